// Streaming parser of `perf script` text (default layout and `-F` layouts,
// with or without callchains) into the model's CpuProfile.
//
// A sample is an event line, then (with callchains) one frame line per frame,
// innermost first, then a blank line:
//   my worker 1 29901   632.436019:    1001001 cpu-clock:
//   \t            229e run_lib+0x65 (/tmp/perfgen/cpp prog/libwith space.so)
//   \t            1157 main+0xe (/tmp/perfgen/cpp prog/my worker 1)
// Without callchains the one frame sits on the event line and no blank line follows:
//        gop 29975/29975    1001001 cpu-clock:            4142c9 runtime.makechan+0x149 (/tmp/perfgen/go prog/gop)
// Format source: tools/perf/builtin-script.c (perf_sample__fprintf_start, sample__fprintf_callchain).
//
// Speed: the bytes are scanned in WebAssembly (perf-core/perf-core.c), which
// interns frame lines and event-line prefixes by their bytes, so only the
// first sight of each distinct frame line or prefix is parsed into strings,
// here; the rest of the work never leaves the core's memory.
import { createGunzip } from 'node:zlib';
import { Readable, pipeline } from 'node:stream';
import { closeSync, openSync, readSync } from 'node:fs';
import type { CpuProfile, Frame, Warning } from '../model/types.ts';
import { CpuProfileBuilder, DEFAULT_CPU_PROFILE_BUILDER_OPTIONS, profileFromState, type CpuProfileState } from '../model/cpu-profile-builder.ts';
import { GbpError } from '../errors.ts';
import { bufferChunks, fileInput, isGzipMagic, type Input } from './input.ts';
import { WarningSink } from './warnings.ts';
import { UnwindGarbageTrimmer } from './unwind-garbage.ts';
import { resolveStacks } from './resolve-stacks.ts';
import { CoreStop, PerfCore, type CoreCounts } from './perf-core/perf-core.ts';

/** A frame as perf printed it, before symbolization. */
export interface RawFrame {
  /** Hex address without 0x, as printed (kernel addresses exceed 2^53). */
  addr: string;
  /** Symbol as printed: `[unknown]`, `runtime.mallocgc`, `std::vector<int>::push_back(int const&)`, … */
  symbol: string;
  /** `0x1c` from `+0x1c`, or '' when perf printed no offset. */
  offset: string;
  /** DSO path or `[kernel.kallsyms]`, `[unknown]`; '' when the layout has no dso. */
  dso: string;
}

/**
 * A symbolization hook: the frames a raw frame stands for (innermost first),
 * or null to keep it. `perfNamed` holds each DSO of which perf named at least
 * one frame (so perf had its symbols).
 */
export interface FrameResolve {
  (frame: RawFrame, perfNamed: ReadonlySet<string>): Frame[] | null;
  /** The same for every frame at once (raw[i] → result i), when the hook can do better in bulk. */
  many?: (raw: readonly Frame[], perfNamed: ReadonlySet<string>) => (Frame[] | null)[];
}

/** Options of the perf script parser; defaults in DEFAULT_PERF_SCRIPT_OPTIONS. */
export interface PerfScriptOptions {
  /** Entry or file name used in warnings and errors. */
  entry: string;
  /**
   * perf-clock time (ns, the clock of `perf script` timestamps) that maps to
   * build-relative 0. null: the first sample's time is 0.
   */
  clockStartNs: bigint | null;
  /** Weight of a sample when the layout has no period column. */
  defaultPeriod: number;
  /** Event name when the layout has no event column. */
  defaultEvent: string;
  /**
   * Symbolization hook, called once per distinct frame (address, DSO and
   * perf's name; `offset` is '') after the whole input is parsed. Return the
   * frames it stands for (several when inlined, innermost first), or null to
   * keep perf's own name.
   */
  resolve?: FrameResolve;
  /**
   * Drop the frames perf's unwinder read past a stack's real end (addresses in
   * no mapping at the outer end, and stale words beyond a Go entry frame; see
   * unwind-garbage.ts), counted in `profile.unwindGarbage`.
   */
  dropUnwindGarbage: boolean;
  /** Bytes read at a time; tests use tiny chunks to exercise line splits. */
  chunkSize: number;
  /** Called after each chunk with the bytes parsed so far, then once with `inputDone` when all are (symbolization follows): for progress lines. */
  onProgress?: (bytes: number, inputDone: boolean) => void;
  /** Warnings kept in full; the rest are counted in one summary warning. */
  maxWarnings: number;
  bucketNs: number;
  maxBuckets: number;
}

/** First sample = time 0, period 1 when the text has none, every frame kept (loadBuild drops unwind garbage), 1 MiB reads, 100 warnings kept, 100 ms timeline buckets. */
export const DEFAULT_PERF_SCRIPT_OPTIONS: PerfScriptOptions = {
  entry: 'perf script',
  clockStartNs: null,
  defaultPeriod: 1,
  defaultEvent: 'unknown',
  resolve: undefined,
  dropUnwindGarbage: false,
  chunkSize: 1 << 20,
  maxWarnings: 100,
  bucketNs: DEFAULT_CPU_PROFILE_BUILDER_OPTIONS.bucketNs,
  maxBuckets: DEFAULT_CPU_PROFILE_BUILDER_OPTIONS.maxBuckets,
};

/** What the parser returns: the CpuProfile (times in build-relative ns), warnings, and what the layout held. */
export interface PerfScriptResult {
  profile: CpuProfile;
  warnings: Warning[];
  /** Lines read, bytes read (decompressed). */
  lines: number;
  bytes: number;
  /** Whether the text had pid and time columns (without pid, pid = tid). */
  hadPid: boolean;
  hadTime: boolean;
  hadPeriod: boolean;
}

/**
 * What endStacks() returns: the samples as perf printed their frames, in the
 * builder's trie (no symbolization, no unwind-garbage trimming: the
 * standalone converter does both while it writes pprof), and the same
 * counts as PerfScriptResult.
 */
export interface PerfScriptStacks extends Omit<PerfScriptResult, 'profile'> {
  stacks: CpuProfileState;
  event: string;
}

/** The fields of one event line. Times stay split in seconds + ns to be exact. */
export interface EventLine {
  comm: string;
  pid: number | null;
  tid: number | null;
  cpu: number | null;
  sec: number | null;
  nsec: number;
  period: number | null;
  event: string | null;
  /** The frame printed on the event line itself when there is no callchain. */
  inlineFrame: string | null;
}

const TAB = 9;
const SPACE = 32;

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHex(s: string, from = 0): boolean {
  if (s.length <= from) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** `632.436019:` → [632, 436019000]; null when the token is not a time. */
function parseTime(tok: string): [number, number] | null {
  if (tok.charCodeAt(tok.length - 1) !== 58 /* : */) return null;
  const dot = tok.indexOf('.');
  if (dot <= 0) return null;
  const s = tok.slice(0, dot);
  const f = tok.slice(dot + 1, tok.length - 1);
  if (!isDigits(s) || !isDigits(f) || f.length > 9) return null;
  return [Number(s), Number(f) * 10 ** (9 - f.length)];
}

/** `cpu-clock:`, `cpu-clock:u:`, `cycles:ppp:` → the event name without the trailing colon. */
function parseEventToken(tok: string): string | null {
  if (tok.length < 2 || tok.charCodeAt(tok.length - 1) !== 58) return null;
  const c0 = tok.charCodeAt(0) | 0x20;
  if (c0 < 97 || c0 > 122) return null; // event names start with a letter
  return tok.slice(0, -1);
}

/** Splits on runs of spaces/tabs, keeping each token's start offset. */
function tokenize(line: string): { toks: string[]; starts: number[] } {
  const toks: string[] = [];
  const starts: number[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line.charCodeAt(i) === SPACE || line.charCodeAt(i) === TAB)) i++;
    if (i >= n) break;
    const s = i;
    while (i < n && line.charCodeAt(i) !== SPACE && line.charCodeAt(i) !== TAB) i++;
    toks.push(line.slice(s, i));
    starts.push(s);
  }
  return { toks, starts };
}

/**
 * Parses an event line (any `-F` layout that keeps comm, and time or event).
 * The comm may contain spaces, so the line is anchored on the time token
 * (`632.436019:`), or on the event token (`cpu-clock:`) when there is no time;
 * pid/tid and cpu are read leftwards from the anchor, the rest is comm.
 * Returns null when the line has neither anchor or no comm.
 */
export function parseEventLine(line: string): EventLine | null {
  const { toks, starts } = tokenize(line);
  if (toks.length < 2) return null;
  let anchor = -1;
  let time: [number, number] | null = null;
  for (let i = 1; i < toks.length; i++) {
    time = parseTime(toks[i]);
    if (time) {
      anchor = i;
      break;
    }
  }
  let event: string | null = null;
  let period: number | null = null;
  let right: number; // first token after period/event
  let left: number; // last token before the anchor that can be pid/cpu
  if (anchor >= 0) {
    left = anchor - 1;
    right = anchor + 1;
    // After the time: [period] [event:] [inline frame]. A number is a period only
    // when an event or the end of line follows (an inline frame's address can be all digits).
    if (right < toks.length && isDigits(toks[right]) && (right + 1 === toks.length || parseEventToken(toks[right + 1]) !== null)) {
      period = Number(toks[right]);
      right++;
    }
    if (right < toks.length) {
      const ev = parseEventToken(toks[right]);
      if (ev !== null) {
        event = ev;
        right++;
      }
    }
  } else {
    for (let i = 1; i < toks.length; i++) {
      event = parseEventToken(toks[i]);
      if (event !== null) {
        anchor = i;
        break;
      }
    }
    if (anchor < 0) return null;
    right = anchor + 1;
    left = anchor - 1;
    // Before the event: pid/tid [cpu] [period]. A lone number after the comm is
    // read as the tid; two numbers as tid then period.
    if (left >= 2 && isDigits(toks[left]) && (isDigits(toks[left - 1]) || isPidTid(toks[left - 1]) || isCpu(toks[left - 1]))) {
      period = Number(toks[left]);
      left--;
    }
  }
  let cpu: number | null = null;
  if (left >= 1 && isCpu(toks[left])) {
    cpu = Number(toks[left].slice(1, -1));
    left--;
  }
  let pid: number | null = null;
  let tid: number | null = null;
  if (left >= 1 && isPidTid(toks[left])) {
    const slash = toks[left].indexOf('/');
    pid = Number(toks[left].slice(0, slash));
    tid = Number(toks[left].slice(slash + 1));
    left--;
  } else if (left >= 1 && isDigits(toks[left])) {
    tid = Number(toks[left]);
    left--;
  }
  if (left < 0 || tid === null) return null;
  const commEnd = starts[left] + toks[left].length;
  const comm = line.slice(starts[0], commEnd);
  const inlineFrame = right < toks.length ? line.slice(starts[right]) : null;
  return { comm, pid, tid, cpu, sec: time ? time[0] : null, nsec: time ? time[1] : 0, period, event, inlineFrame };
}

function isPidTid(t: string): boolean {
  const slash = t.indexOf('/');
  return slash > 0 && isDigits(t.slice(0, slash)) && isDigits(t.slice(slash + 1));
}

function isCpu(t: string): boolean {
  return t.length >= 3 && t.charCodeAt(0) === 91 /* [ */ && t.charCodeAt(t.length - 1) === 93 && isDigits(t.slice(1, -1));
}

/**
 * Parses a frame (without its leading whitespace):
 *   `ffffffff8161c639 __rmqueue_pcplist+0x49 ([kernel.kallsyms])`
 *   `a2074 type:.eq.struct { main.a int; main.b int; main.s string }+0x14 (/tmp/go prog/gop)`
 * The DSO is taken from the last ` (` because symbols and paths contain spaces and brackets.
 */
export function parseFrame(text: string): RawFrame | null {
  const sp = text.indexOf(' ');
  const addr = sp < 0 ? text : text.slice(0, sp);
  if (!isHex(addr)) return null;
  let rest = sp < 0 ? '' : text.slice(sp + 1).trim();
  let dso = '';
  if (rest.endsWith(')')) {
    const open = dsoOpen(rest);
    if (open >= 0) {
      dso = rest.slice(open + 2, -1);
      rest = rest.slice(0, open);
    } else if (rest.startsWith('(')) {
      dso = rest.slice(1, -1); // `-F ip,dso`: no symbol at all
      rest = '';
    }
  }
  let offset = '';
  const plus = rest.lastIndexOf('+0x');
  if (plus > 0 && isHex(rest, plus + 3)) {
    offset = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
  }
  return { addr, symbol: rest, offset, dso };
}

/**
 * Index of the ` (` that opens the trailing `(dso)`: the one that balances the
 * final `)`, so `/tmp/a (b)/gop` survives; else the last ` (`.
 */
function dsoOpen(rest: string): number {
  let depth = 0;
  for (let i = rest.length - 1; i > 0; i--) {
    const c = rest.charCodeAt(i);
    if (c === 41 /* ) */) depth++;
    else if (c === 40 /* ( */ && --depth === 0) return rest.charCodeAt(i - 1) === SPACE ? i - 1 : rest.lastIndexOf(' (');
  }
  return rest.lastIndexOf(' (');
}

/** The model frame for a raw frame when no resolver names it. */
function defaultFrame(r: RawFrame): Frame {
  const named = r.symbol !== '' && r.symbol !== '[unknown]';
  return { name: named ? r.symbol : `[unknown]`, dso: r.dso, addr: r.addr, named };
}

/** Latin1 (how the bytes were read) back to UTF-8, only when there are non-ASCII bytes. */
function utf8(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
}

/**
 * The push parser: feed it chunks of bytes (any split), then end(). Memory is
 * bounded by distinct frame lines, stacks and groups.
 *
 * The per-line work runs in WebAssembly (perf-core/perf-core.c): it interns
 * frame lines by their bytes (most lines are checked against one guess, the
 * line that followed the previous one last time, since callers' frames repeat
 * in the same order), reads event lines whose prefix it knows, walks the
 * stack trie and counts groups. It stops and asks this class about anything
 * it has not seen before, so text becomes frames, comms and warnings here.
 */
export class PerfScriptParser {
  private readonly o: PerfScriptOptions;
  private readonly b: CpuProfileBuilder;
  private core: PerfCore | null;
  private builderEvent: string | null = null;
  // DSO strings by the core's DSO ids; model frame ids by the core's frame ids.
  private readonly dsoOfId: string[] = [];
  private readonly dsoNonAscii: number[] = [];
  private readonly nonAsciiFrames = new Map<string, number>();
  private readonly commIds = new Map<string, number>();
  private readonly comms: string[] = [];
  private lineNo = 0;
  private bytes = 0;
  private readonly warnings: WarningSink;
  private readonly trimmer: UnwindGarbageTrimmer | null;
  private counted: CoreCounts | null = null;

  constructor(opts: Partial<PerfScriptOptions> = {}) {
    this.o = { ...DEFAULT_PERF_SCRIPT_OPTIONS, ...opts };
    this.warnings = new WarningSink(this.o.entry, this.o.maxWarnings);
    this.b = new CpuProfileBuilder('', { bucketNs: this.o.bucketNs, maxBuckets: this.o.maxBuckets });
    // With a resolver, frames stay perf's while parsing and are resolved (and
    // unwind garbage trimmed) once each at the end: see resolve-stacks.ts.
    const trimmer = this.o.dropUnwindGarbage && !this.o.resolve ? new UnwindGarbageTrimmer(this.b.frames) : null;
    this.trimmer = trimmer;
    const c = this.o.clockStartNs;
    this.core = new PerfCore({
      bucketNs: this.o.bucketNs,
      defaultPeriod: this.o.defaultPeriod,
      clock: c === null ? null : [Number(c / 1_000_000_000n), Number(c % 1_000_000_000n)],
      keep: trimmer
        ? (stack, n) => {
            this.materialize(this.core!); // the trimmer reads the frames
            return trimmer.keep(stack, n);
          }
        : undefined,
    });
  }

  /** Feeds bytes; lines may be split anywhere. The parser keeps no reference to `chunk` (callers may reuse it). */
  push(chunk: Buffer): void {
    const core = this.live();
    this.bytes += chunk.length;
    this.o.onProgress?.(this.bytes, false);
    core.write(chunk);
    this.drive(core, false);
  }

  /**
   * Like push(), reading the bytes straight into the parser's window: `read`
   * fills the array it is given (at most `size` bytes) and returns how many
   * it wrote. Returns that count (0: nothing read, nothing parsed).
   */
  pushFrom(size: number, read: (into: Uint8Array) => number): number {
    const core = this.live();
    const n = read(core.room(size));
    if (n === 0) return 0;
    core.commit(n);
    this.bytes += n;
    this.o.onProgress?.(this.bytes, false);
    this.drive(core, false);
    return n;
  }

  /** Lines seen so far (1-based number of the last line). */
  get linesRead(): number {
    return this.core ? this.core.lines : this.lineNo;
  }

  /** Finishes the input and returns the profile. */
  end(): PerfScriptResult {
    const state = this.finishInput();
    const c = this.counted!;
    let profile: CpuProfile;
    if (this.o.resolve) {
      const r = resolveStacks(state, this.o.resolve, this.o.dropUnwindGarbage, { bucketNs: this.o.bucketNs, maxBuckets: this.o.maxBuckets });
      profile = r.builder.build();
      if (this.o.dropUnwindGarbage) profile.unwindGarbage = { samples: r.garbageSamples, frames: r.garbageFrames };
    } else profile = profileFromState('', state);
    profile.event = this.builderEvent ?? this.o.defaultEvent;
    if (this.trimmer) profile.unwindGarbage = { samples: c.garbageSamples, frames: c.garbageFrames };
    return { profile, ...this.counts() };
  }

  /**
   * Finishes the input and returns the stacks as perf printed them, for a
   * caller that resolves and trims while it exports (the options `resolve`
   * and `dropUnwindGarbage` must be off: they would do it here first).
   */
  endStacks(): PerfScriptStacks {
    if (this.o.resolve || this.o.dropUnwindGarbage) throw new Error('PerfScriptParser.endStacks(): resolve and dropUnwindGarbage are for end()');
    const stacks = this.finishInput();
    return { stacks, event: this.builderEvent ?? this.o.defaultEvent, ...this.counts() };
  }

  private live(): PerfCore {
    if (!this.core) throw new Error('PerfScriptParser: the input was already ended');
    return this.core;
  }

  /** Parses the last line, closes the last sample, and takes the counts out of the core (which is let go). */
  private finishInput(): CpuProfileState {
    const core = this.live();
    this.drive(core, true);
    core.flush();
    this.drain(core);
    this.materialize(core);
    this.lineNo = core.lines;
    this.o.onProgress?.(this.bytes, true);
    const c = (this.counted = core.counts());
    this.core = null;
    // The timeline comes back per bucket of the initial width; the builder widens buckets as the model needs.
    const b = this.b;
    for (let i = 0; i < c.tlPid.length; i++) b.addToTimeline(c.tlPid[i], c.tlBucket[i] * this.o.bucketNs, c.tlCount[i]);
    const tl = b.timelineState();
    return {
      frames: b.frames,
      node4: c.node4,
      nodes: c.nodes,
      groups: c.groups,
      gLeaf: c.gLeaf,
      gComm: c.gComm,
      gPid: c.gPid,
      gTid: c.gTid,
      gSamples: c.gSamples,
      gPeriod: c.gPeriod,
      comms: this.comms,
      bucketNs: tl.bucketNs,
      timeline: tl.timeline,
      totalSamples: c.totalSamples,
      totalPeriod: c.totalPeriod,
    };
  }

  private counts(): Omit<PerfScriptResult, 'profile'> {
    const c = this.counted!;
    return { warnings: this.warnings.done(), lines: this.lineNo, bytes: this.bytes, hadPid: c.hadPid, hadTime: c.hadTime, hadPeriod: c.hadPeriod };
  }

  private warn(line: number | undefined, message: string): void {
    this.warnings.at(line, message);
  }

  /** Runs the core over its input, answering each stop. */
  private drive(core: PerfCore, last: boolean): void {
    for (;;) {
      let stop: CoreStop;
      try {
        stop = core.run(last);
      } catch (e) {
        // The core traps (`unreachable`) only when its tables would pass wasm32's 4 GiB.
        if (e instanceof WebAssembly.RuntimeError && /unreachable/.test(e.message)) {
          throw new GbpError('limit', `${this.o.entry}: the perf parser's tables passed 4 GiB near line ${core.lines}`, { file: this.o.entry, line: core.lines });
        }
        throw e;
      }
      this.drain(core);
      if (stop === CoreStop.NeedInput) return;
      this.answer(core, stop);
    }
  }

  /** What the core learned that JS reports: the profile's event name, the one-time warnings. */
  private drain(core: PerfCore): void {
    if (this.builderEvent === null) this.builderEvent = core.takeEventName();
    const [noPid, noPeriod] = core.takeWarnings();
    if (noPid) this.warn(noPid, 'no pid column (perf script -F +pid adds it): the tid stands in for the pid, so threads of one process are not joined');
    if (noPeriod) this.warn(noPeriod, `no period column: every sample weighs ${this.o.defaultPeriod}`);
  }

  private answer(core: PerfCore, stop: CoreStop): void {
    const s = core.s;
    const end = core.end;
    switch (stop) {
      case CoreStop.NewFrame:
        this.newFrameLine(core, s, end, core.lastSplit());
        return;
      case CoreStop.Outside:
        this.warn(core.lines, 'frame line outside a sample');
        return;
      case CoreStop.NewPrefix: {
        // The bytes before the time token (comm, pid/tid, cpu), parsed once per distinct prefix.
        const ev = parseEventLine(core.text(s, end));
        core.addPrefix(ev && ev.tid !== null && ev.sec !== null ? { comm: this.commId(utf8(ev.comm)), pid: ev.pid, tid: ev.tid } : null);
        return;
      }
      case CoreStop.SlowSpace: {
        // `-F` layouts right-align the comm with spaces: `     my worker 1 29901   632.433994: ...`
        const ev = parseEventLine(core.text(s, end));
        if (ev && ev.tid !== null) {
          core.flush();
          this.drain(core);
          this.openEvent(core, ev);
        } else if (!core.isOpen) this.warn(core.lines, 'frame line outside a sample');
        else if (!core.knownFrame()) this.newFrameLine(core, s, end);
        return;
      }
      case CoreStop.SlowEvent: {
        const text = core.text(s, end);
        const ev = parseEventLine(text);
        if (!ev || ev.tid === null) this.warn(core.lines, `malformed event line: ${JSON.stringify(utf8(text).slice(0, 120))}`);
        else this.openEvent(core, ev);
        return;
      }
    }
  }

  /** A frame line seen for the first time, from its first non-blank byte s: its frame joins the open sample, or a warning. */
  private newFrameLine(core: PerfCore, s: number, end: number, fid = core.splitFrame()): void {
    const id = this.frameOf(core, fid, s, end);
    if (id >= 0) core.addFrame(id);
  }

  /**
   * The frame the core just split from bytes [s, e) (the core's frame id, -1
   * when malformed, and a warning). The core numbers frames by the bytes of
   * their address, name and DSO; the model's frame is made here the first
   * time, with one string per DSO shared by all its frames. Frames whose
   * name or DSO is not ASCII are also looked up by their strings: bytes that
   * are not UTF-8 read as U+FFFD, so two byte strings can be one frame.
   */
  private frameOf(core: PerfCore, fid: number, s: number, e: number): number {
    if (fid < 0) {
      this.warn(core.lines, `malformed frame line: ${JSON.stringify(utf8(core.text(s, e)).slice(0, 120))}`);
      return -1;
    }
    if (!core.frameIsNew()) return core.frameOf(fid);
    this.materialize(core); // ids are given in order
    const f = core.frameParts();
    const dso = this.dsoString(core, f.dso);
    const frame = defaultFrame({ addr: f.addr, symbol: f.nonAscii ? utf8(f.symbol) : f.symbol, offset: '', dso });
    let id: number | undefined;
    if (f.nonAscii || this.dsoNonAscii[f.dso]) {
      const key = `${frame.addr}\0${frame.name}\0${frame.dso}`;
      id = this.nonAsciiFrames.get(key);
      if (id === undefined) this.nonAsciiFrames.set(key, (id = this.b.frames.push(frame) - 1));
    } else id = this.b.frames.push(frame) - 1;
    core.frameMade(fid, id);
    return id;
  }

  /** The string of DSO `id`: made once, with whether it is not ASCII. */
  private dsoString(core: PerfCore, id: number): string {
    let dso = this.dsoOfId[id];
    if (dso === undefined) {
      const text = core.dsoText(id);
      this.dsoOfId[id] = dso = utf8(text);
      this.dsoNonAscii[id] = dso !== text ? 1 : 0;
    }
    return dso;
  }

  /**
   * Makes the frames the core numbered itself (ASCII name and DSO) since the
   * last call, from their bytes, in one batch: the core goes on past a new
   * frame line without stopping for JS (~50k stops on a big text, ~1.5 µs each).
   */
  private materialize(core: PerfCore): void {
    const frames = this.b.frames;
    const to = core.framesMade();
    if (frames.length >= to) return;
    const t = core.newFrames(frames.length, to);
    for (let i = 0; i < t.length; i += 5) {
      frames.push(defaultFrame({ addr: core.text(t[i], t[i] + t[i + 1]), symbol: core.text(t[i + 2], t[i + 2] + t[i + 3]), offset: '', dso: this.dsoString(core, t[i + 4]) }));
    }
  }

  private commId(comm: string): number {
    let id = this.commIds.get(comm);
    if (id === undefined) {
      id = this.comms.push(comm) - 1;
      this.commIds.set(comm, id);
    }
    return id;
  }

  private openEvent(core: PerfCore, ev: EventLine): void {
    core.openEvent(this.commId(utf8(ev.comm)), ev.pid, ev.tid!, ev.sec, ev.nsec, ev.period);
    if (ev.event !== null && this.builderEvent === null) {
      this.builderEvent = ev.event;
      core.eventSeen();
    }
    if (ev.inlineFrame !== null) {
      // The frame on the event line itself (no callchain): the line's last bytes.
      const e = core.end;
      const id = this.frameOf(core, core.splitFrame(e - ev.inlineFrame.length, e), e - ev.inlineFrame.length, e);
      if (id >= 0) core.pushFrame(id);
    }
  }
}

/** true when `head` (the first bytes of a file, decompressed) looks like `perf script` text. */
export function detectPerfScript(head: Buffer | string): boolean {
  const text = typeof head === 'string' ? head : head.toString('latin1', 0, Math.min(head.length, 65536));
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i].trim() === '' || lines[i].startsWith('#'))) i++;
  if (i >= lines.length - 1 && i < lines.length && lines[i].length === text.length) return false; // one unterminated line: too little to say
  const first = lines[i]?.replace(/\r$/, '').trimStart();
  if (!first || lines[i].startsWith('\t')) return false;
  const ev = parseEventLine(first);
  if (!ev || ev.tid === null || (ev.sec === null && ev.event === null)) return false;
  if (ev.inlineFrame !== null) return parseFrame(ev.inlineFrame) !== null;
  const next = lines[i + 1]?.replace(/\r$/, '');
  if (next === undefined || next === '') return true;
  if (next.startsWith('\t') || next.startsWith(' ')) return parseFrame(next.trim()) !== null;
  return parseEventLine(next) !== null; // `-F` without ip: event lines only
}

/** Parses perf text from any Input (stream, chunks, Buffer, string), gzip'd or not (sniffed from the magic bytes). */
export async function parsePerfScript(input: Input, opts: Partial<PerfScriptOptions> = {}): Promise<PerfScriptResult> {
  return parseInput(input, opts, (p) => p.end());
}

async function parseInput<T>(input: Input, opts: Partial<PerfScriptOptions>, finish: (p: PerfScriptParser) => T): Promise<T> {
  const p = new PerfScriptParser(opts);
  const chunkSize = opts.chunkSize ?? DEFAULT_PERF_SCRIPT_OPTIONS.chunkSize;
  const name = opts.entry ?? DEFAULT_PERF_SCRIPT_OPTIONS.entry;
  try {
    for await (const chunk of maybeGunzip(input, chunkSize)) {
      if (chunk.length <= chunkSize) p.push(chunk);
      else for (let i = 0; i < chunk.length; i += chunkSize) p.push(chunk.subarray(i, i + chunkSize));
    }
  } catch (e) {
    if (e instanceof GbpError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_') || /unexpected end of file|incorrect header/i.test(err.message)) {
      throw new GbpError('damaged', `${name}: gzip data is damaged or truncated (${err.message}) after line ${p.linesRead}`, { file: name, line: p.linesRead });
    }
    throw new GbpError('io', `${name}: cannot read: ${err.code ?? err.message}`, { file: name });
  }
  return finish(p);
}

/** Parses a file (`-` for stdin), gzip'd or not. */
export async function parsePerfScriptFile(file: string, opts: Partial<PerfScriptOptions> = {}): Promise<PerfScriptResult> {
  return parseFile(file, opts, (p) => p.end());
}

/** Parses a file (`-` for stdin), gzip'd or not, into its stacks as perf printed them (see PerfScriptParser.endStacks). */
export async function parsePerfScriptStacks(file: string, opts: Partial<PerfScriptOptions> = {}): Promise<PerfScriptStacks> {
  return parseFile(file, opts, (p) => p.endStacks());
}

async function parseFile<T>(file: string, opts: Partial<PerfScriptOptions>, finish: (p: PerfScriptParser) => T): Promise<T> {
  const chunkSize = opts.chunkSize ?? DEFAULT_PERF_SCRIPT_OPTIONS.chunkSize;
  const named = { ...opts, entry: opts.entry ?? (file === '-' ? 'stdin' : file) };
  if (file !== '-') {
    const plain = parsePlainFile(file, chunkSize, named, finish);
    if (plain) return plain;
  }
  const input = file === '-' ? process.stdin : fileInput(file, Math.max(64, Math.min(chunkSize, 1 << 20)));
  return parseInput(input, named, finish);
}

/**
 * A plain (not gzip'd) file, read a chunk at a time straight into the
 * parser's window (pushFrom): memory stays flat whatever the file size, and
 * no chunk is copied twice. Reads are synchronous: an asynchronous read of
 * the next chunk while one is parsed (two buffers, ~160 awaits on 167 MB)
 * made the parse ~25 ms slower, and the kernel's own read-ahead already
 * overlaps the disk with the parse when the file is not cached.
 * null when the file is gzip'd.
 */
function parsePlainFile<T>(file: string, chunkSize: number, opts: Partial<PerfScriptOptions>, finish: (p: PerfScriptParser) => T): T | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new GbpError('io', `${opts.entry}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: opts.entry });
  }
  try {
    const head = Buffer.alloc(2);
    if (isGzipMagic(head, readSync(fd, head, 0, 2, 0))) return null;
    // Read straight into the parser's window: no copy of each chunk from a buffer of our own.
    const size = Math.max(2, chunkSize);
    const p = new PerfScriptParser(opts);
    while (p.pushFrom(size, (into) => readSync(fd, into, 0, into.length, null)) > 0);
    return finish(p);
  } catch (e) {
    if (e instanceof GbpError) throw e;
    throw new GbpError('io', `${opts.entry}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: opts.entry });
  } finally {
    closeSync(fd);
  }
}

/** The input's bytes, gunzip'd when they start with the gzip magic. */
async function* maybeGunzip(input: Input, chunkSize: number): AsyncGenerator<Buffer> {
  const it = bufferChunks(input)[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) break;
    head = head.length ? Buffer.concat([head, r.value]) : r.value;
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (!isGzipMagic(head)) return yield* all();
  const gunzip = createGunzip({ chunkSize: Math.max(64, Math.min(chunkSize, 1 << 20)) });
  yield* pipeline(Readable.from(all()), gunzip, () => {}) as AsyncIterable<Buffer>;
}
