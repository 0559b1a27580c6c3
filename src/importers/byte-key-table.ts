// A hash table keyed by byte ranges of a Buffer, so a line can be looked up
// without first turning it into a string: the perf importer's hot path sees
// millions of frame lines but only thousands of distinct ones, and a string
// per line made the garbage collector the biggest cost.
const EMPTY = -1;

export class ByteKeyTable {
  private arena = Buffer.allocUnsafe(1 << 16);
  private arenaUsed = 0;
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
    const h = hashBytes(buf, s, e);
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
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + len));
      this.arena.copy(bigger, 0, 0, this.arenaUsed);
      this.arena = bigger;
    }
    this.arena.set(buf.subarray(s, e), this.arenaUsed);
    this.keyOff[id] = this.arenaUsed;
    this.keyLen[id] = len;
    this.keyHash[id] = hashBytes(buf, s, e);
    this.arenaUsed += len;
    if (this.count * 2 > this.slots.length >> 2) this.rehash();
    else this.place(id);
    return id;
  }

  private sameBytes(off: number, buf: Uint8Array, s: number, len: number): boolean {
    // A JS loop: Buffer.compare's argument checks cost more than comparing a ~70-byte line here.
    const a = this.arena;
    const o = off - s;
    // From the end: lines that share a hash mostly differ in their tail (symbol offset, DSO).
    for (let k = s + len - 1; k >= s; k--) if (a[o + k] !== buf[k]) return false;
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
 * FNV-1a over the first 32 and the last 16 bytes and the length, then a final
 * mix. Perf frame lines start with the address and end with the DSO, so these
 * bytes tell them apart; the full comparison on lookup keeps it exact.
 */
function hashBytes(buf: Uint8Array, s: number, e: number): number {
  let h = (0x811c9dc5 ^ (e - s)) | 0;
  const head = Math.min(e, s + 32);
  for (let k = s; k < head; k++) h = Math.imul(h ^ buf[k], 0x01000193);
  for (let k = Math.max(head, e - 16); k < e; k++) h = Math.imul(h ^ buf[k], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
