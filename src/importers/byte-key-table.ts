// A hash table keyed by byte ranges of a Buffer, so a line can be looked up
// without first turning it into a string: the perf importer's hot path sees
// millions of frame lines but only thousands of distinct ones, and a string
// per line made the garbage collector the biggest cost.
const EMPTY = -1;

export class ByteKeyTable {
  private arena = Buffer.allocUnsafe(1 << 16);
  private arenaView = new DataView(this.arena.buffer, this.arena.byteOffset, this.arena.length);
  private arenaUsed = 0;
  // A DataView of the buffer last looked in (the parser reuses one buffer), to read 4 bytes at a time.
  private lastBuf: Uint8Array | null = null;
  private lastView: DataView = new DataView(new ArrayBuffer(0));
  private keyOff = new Int32Array(1024);
  private keyLen = new Int32Array(1024);
  private keyHash = new Int32Array(1024);
  // Open addressing, 4 ints per slot: id (EMPTY when free), hash, length, arena
  // offset, so a probe reads one cache line before it compares any bytes.
  private slots = new Int32Array(4 << 12).fill(EMPTY);
  private count = 0;

  /** Number of distinct keys. */
  get size(): number {
    return this.count;
  }

  /** The id (0, 1, …: insertion order) of bytes [s, e) of buf, or -1 when absent. */
  get(buf: Uint8Array, s: number, e: number): number {
    const h = hashBytes(buf, this.view(buf), s, e);
    const slots = this.slots;
    const mask = (slots.length >> 2) - 1;
    const len = e - s;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = i << 2;
      const id = slots[at];
      if (id === EMPTY) return -1;
      if (slots[at + 1] === h && slots[at + 2] === len && this.sameBytes(slots[at + 3], buf, s, len)) return id;
    }
  }

  /** Length in bytes of key `id`. */
  lengthOf(id: number): number {
    return this.keyLen[id];
  }

  /** true when buf holds key `id` at s (the caller checks that s + lengthOf(id) is inside buf). */
  matchAt(id: number, buf: Uint8Array, s: number): boolean {
    return this.sameBytes(this.keyOff[id], buf, s, this.keyLen[id]);
  }

  private view(buf: Uint8Array): DataView {
    if (buf !== this.lastBuf) {
      this.lastBuf = buf;
      this.lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.lastView;
  }

  /** Adds bytes [s, e) of buf (known to be absent) and returns its id. */
  add(buf: Uint8Array, s: number, e: number): number {
    const len = e - s;
    const id = this.count++;
    if (id === this.keyOff.length) {
      this.keyOff = grow(this.keyOff);
      this.keyLen = grow(this.keyLen);
      this.keyHash = grow(this.keyHash);
    }
    if (this.arenaUsed + len > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 4, this.arenaUsed + len));
      this.arena.copy(bigger, 0, 0, this.arenaUsed);
      this.arena = bigger;
      this.arenaView = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
    }
    this.arena.set(buf.subarray(s, e), this.arenaUsed);
    this.keyOff[id] = this.arenaUsed;
    this.keyLen[id] = len;
    this.keyHash[id] = hashBytes(buf, this.view(buf), s, e);
    this.arenaUsed += len;
    if (this.count * 2 > this.slots.length >> 2) this.rehash();
    else this.place(id);
    return id;
  }

  private sameBytes(off: number, buf: Uint8Array, s: number, len: number): boolean {
    // 4 bytes at a time through DataViews: cheaper than Buffer.compare's argument checks or a byte loop.
    const a = this.arenaView;
    const b = this.view(buf);
    let k = 0;
    for (; k + 4 <= len; k += 4) if (a.getUint32(off + k, true) !== b.getUint32(s + k, true)) return false;
    for (; k < len; k++) if (this.arena[off + k] !== buf[s + k]) return false;
    return true;
  }

  private place(id: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 2) - 1;
    let i = this.keyHash[id] & mask;
    while (slots[i << 2] !== EMPTY) i = (i + 1) & mask;
    const at = i << 2;
    slots[at] = id;
    slots[at + 1] = this.keyHash[id];
    slots[at + 2] = this.keyLen[id];
    slots[at + 3] = this.keyOff[id];
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    for (let id = 0; id < this.count; id++) this.place(id);
  }
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * FNV-style over the first 32 and the last 16 bytes (4 at a time) and the
 * length, then a final mix. Perf frame lines start with the address and end
 * with the DSO, so these bytes tell them apart; the full comparison on lookup
 * keeps it exact.
 */
function hashBytes(buf: Uint8Array, dv: DataView, s: number, e: number): number {
  let h = (0x811c9dc5 ^ (e - s)) | 0;
  const headEnd = Math.min(e, s + 32);
  let k = s;
  for (; k + 4 <= headEnd; k += 4) h = Math.imul(h ^ dv.getUint32(k, true), 0x01000193);
  let t = Math.max(k, e - 16);
  for (; t + 4 <= e; t += 4) h = Math.imul(h ^ dv.getUint32(t, true), 0x01000193);
  for (; t < e; t++) h = Math.imul(h ^ buf[t], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
