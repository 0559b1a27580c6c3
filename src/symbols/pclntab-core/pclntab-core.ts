// The JS side of pclntab-core.c: one instance (and memory) per Go binary,
// holding the binary's pclntab and funcdata bytes, read straight from the
// file into the instance's memory.
import { PCLNTAB_CORE_WASM } from './pclntab-core-wasm.ts';

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  init(tab: number, tabLen: number, funcdata: number, funcdataLen: number, quantum: number, nfunc: number, cuOff: number, pctabOff: number, pclnOff: number, go120: number): void;
  find(rel: number): number;
  frames(rel: number): number;
  out(): number;
  frames_many(rels: number, n: number): number;
  many_out(which: number): number;
}

let compiled: WebAssembly.Module | null = null;
/** pclntab-core.c's out_frames holds this many (1000 inlined calls and their outer function). */
const MAX_FRAMES = 1001;

/** Where the pclntab's fields sit (offsets within the pclntab, as its header gives them). */
export interface PclnGeometry {
  quantum: number;
  nfunc: number;
  cuOff: number;
  pctabOff: number;
  pclnOff: number;
  go120: boolean;
}

/** A file range read into the core: `tab` the pclntab, `funcdata` go:func.* onward (may be empty). */
export interface PclnBytes {
  /** Bytes to read: [file offset, length] of one or two ranges; fill() writes them. */
  ranges: [offset: number, length: number][];
  /** Which range holds the pclntab, and where in it. */
  tab: [range: number, at: number, length: number];
  /** Which range holds go:func.*, where in it, and how many bytes follow it; null: no inline trees. */
  funcdata: [range: number, at: number, length: number] | null;
}

export class PclntabCore {
  private readonly ex: Exports;
  private view: Buffer;
  private readonly tabAt: number;
  private readonly tabLen: number;
  private outView = new Int32Array(0);

  /** Places the ranges in a fresh instance, fills them with `fill(offset, target)` (the file's bytes), and starts the core. */
  constructor(g: PclnGeometry, b: PclnBytes, fill: (offset: number, target: Uint8Array) => void) {
    compiled ??= new WebAssembly.Module(Buffer.from(PCLNTAB_CORE_WASM, 'base64'));
    this.ex = new WebAssembly.Instance(compiled, {}).exports as unknown as Exports;
    const at = b.ranges.map(([, length]) => this.ex.alloc(Math.max(1, length)));
    for (let i = 0; i < b.ranges.length; i++) fill(b.ranges[i][0], new Uint8Array(this.ex.memory.buffer, at[i], b.ranges[i][1]));
    this.tabAt = at[b.tab[0]] + b.tab[1];
    this.tabLen = b.tab[2];
    const fd = b.funcdata;
    this.ex.init(this.tabAt, this.tabLen, fd ? at[fd[0]] + fd[1] : 0, fd ? fd[2] : 0, g.quantum, g.nfunc, g.cuOff, g.pctabOff, g.pclnOff, g.go120 ? 1 : 0);
    this.view = Buffer.from(this.ex.memory.buffer);
  }

  /** The pclntab's bytes (a view: valid until the next call into the core). */
  tab(): Buffer {
    if (this.view.buffer !== this.ex.memory.buffer) this.view = Buffer.from(this.ex.memory.buffer);
    return this.view.subarray(this.tabAt, this.tabAt + this.tabLen);
  }

  /** Index of the function holding `rel` (address - text start, 0 ≤ rel < 2^32), or -1. */
  find(rel: number): number {
    return this.ex.find(rel);
  }

  /**
   * The frames at `rel`, innermost (inlined) first: 4 ints each (name offset
   * in funcnametab, file offset in filetab or -1, line or 0, inlined 1 or 0),
   * in a view valid until the next call, and how many (0 outside every function).
   */
  frames(rel: number): [Int32Array, number] {
    const n = this.ex.frames(rel);
    if (this.outView.buffer !== this.ex.memory.buffer) this.outView = new Int32Array(this.ex.memory.buffer, this.ex.out(), MAX_FRAMES * 4);
    return [this.outView, n];
  }

  /**
   * frames() of every rel at once, looked up in ascending order (see
   * frames_many): rel i's frames are the count[i] rows from row at[i] of
   * `rows`, 4 ints each as frames() gives them. Views, valid until the next call.
   */
  framesMany(rels: Uint32Array): { at: Uint32Array; count: Uint32Array; rows: Int32Array } {
    const at = this.ex.alloc(Math.max(4, rels.byteLength));
    new Uint32Array(this.ex.memory.buffer, at, rels.length).set(rels);
    const rows = this.ex.frames_many(at, rels.length);
    const mem = this.ex.memory.buffer;
    return { at: new Uint32Array(mem, this.ex.many_out(0), rels.length), count: new Uint32Array(mem, this.ex.many_out(1), rels.length), rows: new Int32Array(mem, this.ex.many_out(2), rows * 4) };
  }
}
