// Writes protobuf wire format into fixed-size chunks handed to a sink, so a
// large message never has to exist as one buffer. Only what profile.proto
// needs: varint fields (numbers, bigints, negative int64 as two's complement),
// length-delimited strings, and tags of fields numbered below 16 (one byte).
// The caller measures each submessage first (sizeField/sizeVarint) and calls
// ensure() with an upper bound of what it is about to write.

const TWO32 = 2 ** 32;
const LOW32 = (1n << 32n) - 1n;

export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(
    private readonly chunkSize: number,
    private readonly sink: (chunk: Uint8Array) => void,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize);
  }

  /** Makes room for `n` more bytes, handing the full chunk to the sink first. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /** Hands what was written to the sink (a fresh chunk follows: the sink may keep it). */
  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkSize, 16));
    this.pos = 0;
  }

  /** Field tag with wire type (0 varint, 2 length-delimited); fields 1..15. */
  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }

  /** A varint field, omitted when 0 (proto3 default). */
  field(field: number, v: number | bigint): void {
    if (v === 0 || v === 0n) return;
    this.buf[this.pos++] = field << 3;
    this.varint(v);
  }

  /** A string field (always written: the string table keeps ''). */
  string(field: number, s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(11 + n);
    this.tag(field, 2);
    this.varint(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Hands `bytes` (whole fields, encoded elsewhere) to the sink after what was written, in chunks of the chunk size; the sink may keep them. */
  chunks(bytes: Uint8Array): void {
    this.flush();
    for (let at = 0; at < bytes.length; at += this.chunkSize) this.sink(bytes.subarray(at, Math.min(bytes.length, at + this.chunkSize)));
  }

  /** Bytes [s, e) of src as they are (the caller made room with ensure()). */
  bytes(src: Uint8Array, s: number, e: number): void {
    const b = this.buf;
    let p = this.pos;
    if (e - s > 64) {
      b.set(src.subarray(s, e), p);
      p += e - s;
    } else for (let k = s; k < e; k++) b[p++] = src[k];
    this.pos = p;
  }

  /** A varint: non-negative integers < 2^31 take the fast path; the rest go through hi/lo words like pprof-format. */
  varint(v: number | bigint): void {
    const b = this.buf;
    let p = this.pos;
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
      let x = v >>> 0;
      while (x > 127) {
        b[p++] = (x & 127) | 128;
        x >>>= 7;
      }
      b[p++] = x;
      this.pos = p;
      return;
    }
    this.pos = p;
    const [hi, lo] = words(v);
    this.varint64(hi, lo);
  }

  /** The varint of the uint64 hi * 2^32 + lo (32-bit words, as words() gives them). */
  varint64(hi: number, lo: number): void {
    const b = this.buf;
    let p = this.pos;
    while (hi) {
      b[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      b[p++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  /** Bytes of a varint; 0 for the value 0 (callers add 1 where a 0 is written, e.g. packed arrays). */
  sizeVarint(v: number | bigint): number {
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
      if (v === 0) return 0;
      return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : v < 268435456 ? 4 : 5;
    }
    if (v === 0n) return 0;
    const [hi, lo] = words(v);
    return this.sizeVarint64(hi, lo);
  }

  /** Bytes of the varint of hi * 2^32 + lo; 0 for the value 0, like sizeVarint. */
  sizeVarint64(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) return 0;
    const c = hi >>> 24;
    if (c !== 0) return c < 128 ? 9 : 10;
    const m = ((lo >>> 28) | (hi << 4)) >>> 0;
    if (m !== 0) return m < 16384 ? (m < 128 ? 5 : 6) : m < 2097152 ? 7 : 8;
    return lo < 16384 ? (lo < 128 ? 1 : 2) : lo < 2097152 ? 3 : 4;
  }

  /** Bytes of a varint field (tag + value), 0 when omitted. */
  sizeField(v: number | bigint): number {
    const n = this.sizeVarint(v);
    return n ? 1 + n : 0;
  }
}

/** [high, low] 32-bit words of a uint64/int64 (negative: two's complement), as pprof-format computes them. */
export function words(v: number | bigint): [number, number] {
  const neg = v < 0;
  if (neg) v = -v;
  let lo: number;
  let hi: number;
  if (typeof v === 'bigint') {
    lo = Number(v & LOW32);
    hi = Number((v >> 32n) & LOW32);
  } else {
    lo = (v >>> 0) % TWO32;
    hi = (v / TWO32) >>> 0;
  }
  if (neg) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 0xffffffff) {
      lo = 0;
      if (++hi > 0xffffffff) hi = 0;
    }
  }
  return [hi, lo];
}
