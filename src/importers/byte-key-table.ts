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
  private slots = new Int32Array(1 << 12).fill(EMPTY);
  private count = 0;

  /** Number of distinct keys. */
  get size(): number {
    return this.count;
  }

  /** The id (0, 1, …: insertion order) of bytes [s, e) of buf, or -1 when absent. */
  get(buf: Uint8Array, s: number, e: number): number {
    const h = hashBytes(buf, s, e);
    const mask = this.slots.length - 1;
    const len = e - s;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = this.slots[i];
      if (id === EMPTY) return -1;
      if (this.keyHash[id] === h && this.keyLen[id] === len && this.sameBytes(id, buf, s, len)) return id;
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
    if (this.count * 2 > this.slots.length) this.rehash();
    else this.place(id);
    return id;
  }

  private sameBytes(id: number, buf: Uint8Array, s: number, len: number): boolean {
    const o = this.keyOff[id];
    // Native memcmp: cheaper than a JS loop once keys are longer than a few bytes.
    return this.arena.compare(buf, s, s + len, o, o + len) === 0;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let i = this.keyHash[id] & mask;
    while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
    this.slots[i] = id;
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
