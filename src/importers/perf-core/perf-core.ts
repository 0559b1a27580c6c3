// The JS side of perf-core.c, the perf script parser's hot loop in
// WebAssembly: loads the module once, gives each parser its own instance,
// and names its exports. perf-script.ts drives it.
import { PERF_CORE_WASM } from './perf-core-wasm.ts';
import type { CpuProfileState } from '../../model/cpu-profile-builder.ts';

/** What run() returns: why the core stopped (see perf-core.c). */
export const CoreStop = {
  NeedInput: 0,
  /**
   * A frame line never seen before, inside a sample, that the core split
   * (lastSplit()) but left to JS: a malformed line (warn), or a new frame
   * whose name or DSO is not ASCII (make it, frameMade(), then addFrame(id)).
   */
  NewFrame: 1,
  /** A frame line outside any sample. */
  Outside: 2,
  /** An event line whose bytes before the time token are new: parse the line, then addPrefix(); the line is read again. */
  NewPrefix: 3,
  /** A line indented with spaces that the fast path refused: an event line (right-aligned comm) or a frame line. */
  SlowSpace: 4,
  /** An unindented line that the fast path refused (the open sample is already closed). */
  SlowEvent: 5,
} as const;
export type CoreStop = (typeof CoreStop)[keyof typeof CoreStop];

interface Exports {
  memory: WebAssembly.Memory;
  init(bucketNs: number, defaultPeriod: number, trim: number, clockSec: number, clockNsec: number, hasClock: number): void;
  input(n: number): number;
  commit(n: number): void;
  run(last: number): CoreStop;
  flush(): void;
  open_event(comm: number, pid: number, tid: number, sec: number, nsec: number, period: number): void;
  push_frame(id: number): void;
  add_frame(id: number): void;
  known_frame(): number;
  add_prefix(ok: number, comm: number, pid: number, tid: number): void;
  event_seen(): void;
  split_frame(): number;
  split_at(s: number, e: number): number;
  frame_made(fid: number, id: number): void;
  frame_of(fid: number): number;
  frames_made(): number;
  new_frames(from: number, to: number): number;
  dso_bytes(id: number): number;
  dso_length(id: number): number;
  out(which: number): number;
  num(which: number): number;
}

/** Where out() reads (the indices of perf-core.c's out()). */
const OUT = {
  start: 0,
  s: 1,
  end: 2,
  anchor: 3,
  nodes: 5,
  node4: 6,
  groups: 7,
  gLeaf: 8,
  gComm: 9,
  gPid: 10,
  gTid: 11,
  gSamples: 12,
  gPeriod: 13,
  timeline: 14,
  tlPid: 15,
  tlBucket: 16,
  tlCount: 17,
  eventName: 19,
  eventLen: 20,
  flags: 21,
  addr0: 23,
  addr1: 24,
  sym0: 25,
  sym1: 26,
  dso: 27,
  nonAscii: 28,
  fid: 30,
  isNew: 31,
  splitOk: 32,
} as const;
const NUM = { lines: 0, samples: 1, period: 2, garbageSamples: 3, garbageFrames: 4, noPidLine: 5, noPeriodLine: 6 } as const;

let compiled: WebAssembly.Module | null = null;

export interface PerfCoreOptions {
  bucketNs: number;
  defaultPeriod: number;
  /** perf-clock seconds and ns of build-relative 0, or null: the first sample's time. */
  clock: [number, number] | null;
  /** Called per sample (frame ids, innermost first) with how many to keep, when trimming unwind garbage while parsing. */
  keep?: (stack: Int32Array, n: number) => number;
}

/** The samples as the core counted them, copied out of its memory (the trie and groups in CpuProfileState's layout). */
export interface CoreCounts extends Pick<CpuProfileState, 'nodes' | 'node4' | 'groups' | 'gLeaf' | 'gComm' | 'gPid' | 'gTid' | 'gSamples' | 'gPeriod' | 'totalSamples' | 'totalPeriod'> {
  /** (pid, bucket index of the initial width, samples), in order of first appearance. */
  tlPid: Float64Array;
  tlBucket: Float64Array;
  tlCount: Float64Array;
  garbageSamples: number;
  garbageFrames: number;
  hadPid: boolean;
  hadTime: boolean;
  hadPeriod: boolean;
}

/** One parse's core: its own wasm instance and memory. */
export class PerfCore {
  private readonly ex: Exports;
  private u8: Buffer;

  constructor(o: PerfCoreOptions) {
    compiled ??= new WebAssembly.Module(Buffer.from(PERF_CORE_WASM, 'base64'));
    const keep = o.keep;
    const env = { keep: keep ? (ptr: number, n: number) => keep(new Int32Array(this.ex.memory.buffer, ptr, n), n) : (_ptr: number, n: number) => n };
    this.ex = new WebAssembly.Instance(compiled, { env }).exports as unknown as Exports;
    this.u8 = Buffer.from(this.ex.memory.buffer);
    this.ex.init(o.bucketNs, o.defaultPeriod, keep ? 1 : 0, o.clock?.[0] ?? 0, o.clock?.[1] ?? 0, o.clock ? 1 : 0);
  }

  /** The core's memory as bytes (a new view after the memory grew). */
  bytes(): Buffer {
    if (this.u8.buffer !== this.ex.memory.buffer) this.u8 = Buffer.from(this.ex.memory.buffer);
    return this.u8;
  }

  /** Bytes [s, e) of the core's memory as a latin1 string (how the parser reads text). */
  text(s: number, e: number): string {
    return this.bytes().toString('latin1', s, e);
  }

  /** Appends bytes to the core's input window (after the unparsed end of the last chunk). */
  write(chunk: Uint8Array): void {
    this.room(chunk.length).set(chunk);
    this.ex.commit(chunk.length);
  }

  /** Room for `n` more bytes at the window's end, to fill before commit() (valid until the next call into the core). */
  room(n: number): Uint8Array {
    const at = this.ex.input(n);
    return new Uint8Array(this.ex.memory.buffer, at, n);
  }

  /** Adds the first `n` bytes of the room() just given to the window. */
  commit(n: number): void {
    this.ex.commit(n);
  }

  /** Parses what the window holds; `last`: the final line may lack its newline. */
  run(last: boolean): CoreStop {
    return this.ex.run(last ? 1 : 0);
  }

  /** The line behind the last stop: [start, end) with indentation, s its first non-blank byte, anchor its time token. */
  get start(): number {
    return this.ex.out(OUT.start);
  }
  get s(): number {
    return this.ex.out(OUT.s);
  }
  get end(): number {
    return this.ex.out(OUT.end);
  }
  get anchor(): number {
    return this.ex.out(OUT.anchor);
  }

  get lines(): number {
    return this.ex.num(NUM.lines);
  }

  get isOpen(): boolean {
    return (this.ex.out(OUT.flags) & 8) !== 0;
  }

  flush(): void {
    this.ex.flush();
  }

  /** Opens a sample JS parsed; null fields become the core's NaN. */
  openEvent(comm: number, pid: number | null, tid: number, sec: number | null, nsec: number, period: number | null): void {
    this.ex.open_event(comm, pid ?? NaN, tid, sec ?? NaN, nsec, period ?? NaN);
  }

  pushFrame(id: number): void {
    this.ex.push_frame(id);
  }

  /** The new frame line behind the last NewFrame/SlowSpace stop stands for frame `id`. */
  addFrame(id: number): void {
    this.ex.add_frame(id);
  }

  /** Pushes the frame line behind the last stop when it was seen before. */
  knownFrame(): boolean {
    return this.ex.known_frame() !== 0;
  }

  /** The prefix behind the last NewPrefix stop: null when the fast path must leave such lines to JS. */
  addPrefix(p: { comm: number; pid: number | null; tid: number } | null): void {
    if (p) this.ex.add_prefix(1, p.comm, p.pid ?? NaN, p.tid);
    else this.ex.add_prefix(0, 0, NaN, NaN);
  }

  /**
   * Splits the frame line behind the last stop as parseFrame splits it
   * (perf-core.c's split_frame), or bytes [s, e) of the memory when given (a
   * frame on an event line): the frame's id (frames are numbered by address,
   * name and DSO in order of first sight), or -1 when malformed.
   * frameIsNew() and frameParts() then tell about it.
   */
  splitFrame(s?: number, e?: number): number {
    const ok = s === undefined ? this.ex.split_frame() : this.ex.split_at(s, e!);
    return ok ? this.ex.out(OUT.fid) : -1;
  }

  /** The frame id of the split the core made before a NewFrame stop (as splitFrame() returns it). */
  lastSplit(): number {
    return this.ex.out(OUT.splitOk) ? this.ex.out(OUT.fid) : -1;
  }

  /** The id of the frame with identity `fid` (from splitFrame), -1 when not made yet. */
  frameOf(fid: number): number {
    return this.ex.frame_of(fid);
  }

  /** JS made frame `id` for identity `fid` (a new frame: the next id, framesMade(); or one it found by its strings). */
  frameMade(fid: number, id: number): void {
    this.ex.frame_made(fid, id);
  }

  /** Frames made so far, by the core or by JS: ids [0, framesMade()). */
  framesMade(): number {
    return this.ex.frames_made();
  }

  /**
   * The frames the core made, ids [from, to): 5 words each (address at, its
   * length, name at, its length, DSO id), all ASCII; a view valid until the next call.
   */
  newFrames(from: number, to: number): Uint32Array {
    const at = this.ex.new_frames(from, to);
    return new Uint32Array(this.ex.memory.buffer, at, (to - from) * 5);
  }

  /** Whether the last split frame was seen for the first time. */
  frameIsNew(): boolean {
    return this.ex.out(OUT.isNew) !== 0;
  }

  /** The last split frame's address and symbol (offset cut) as latin1 strings, symbol still to be read as UTF-8 when `nonAscii`, and its DSO id. */
  frameParts(): { addr: string; symbol: string; nonAscii: boolean; dso: number } {
    const ex = this.ex;
    return { addr: this.text(ex.out(OUT.addr0), ex.out(OUT.addr1)), symbol: this.text(ex.out(OUT.sym0), ex.out(OUT.sym1)), nonAscii: ex.out(OUT.nonAscii) !== 0, dso: ex.out(OUT.dso) };
  }

  /** The bytes of DSO `id` as a latin1 string. */
  dsoText(id: number): string {
    const at = this.ex.dso_bytes(id);
    return this.text(at, at + this.ex.dso_length(id));
  }

  /** JS named the profile's event itself: the core need not keep one. */
  eventSeen(): void {
    this.ex.event_seen();
  }

  /** The first event name the core read (then cleared), or null. */
  takeEventName(): string | null {
    const n = this.ex.out(OUT.eventLen);
    if (n === 0) return null;
    const at = this.ex.out(OUT.eventName);
    const s = this.text(at, at + n);
    this.ex.event_seen();
    return s;
  }

  /** Lines of the first sample without pid, and without period (then cleared; 0: none yet). */
  takeWarnings(): [number, number] {
    return [this.ex.num(NUM.noPidLine), this.ex.num(NUM.noPeriodLine)];
  }

  /** Copies the counts out (the instance can then be dropped). */
  counts(): CoreCounts {
    const ex = this.ex;
    const mem = ex.memory.buffer;
    const nodes = ex.out(OUT.nodes);
    const groups = ex.out(OUT.groups);
    const tl = ex.out(OUT.timeline);
    const i32 = (at: number, n: number) => new Int32Array(mem, ex.out(at), n).slice();
    const f64 = (at: number, n: number) => new Float64Array(mem, ex.out(at), n).slice();
    const flags = ex.out(OUT.flags);
    return {
      nodes,
      node4: i32(OUT.node4, nodes * 4),
      groups,
      gLeaf: i32(OUT.gLeaf, groups),
      gComm: i32(OUT.gComm, groups),
      gPid: f64(OUT.gPid, groups),
      gTid: f64(OUT.gTid, groups),
      gSamples: f64(OUT.gSamples, groups),
      gPeriod: f64(OUT.gPeriod, groups),
      tlPid: f64(OUT.tlPid, tl),
      tlBucket: f64(OUT.tlBucket, tl),
      tlCount: f64(OUT.tlCount, tl),
      totalSamples: ex.num(NUM.samples),
      totalPeriod: ex.num(NUM.period),
      garbageSamples: ex.num(NUM.garbageSamples),
      garbageFrames: ex.num(NUM.garbageFrames),
      hadPid: (flags & 1) !== 0,
      hadTime: (flags & 2) !== 0,
      hadPeriod: (flags & 4) !== 0,
    };
  }
}
