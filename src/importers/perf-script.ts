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
// Speed: the input is scanned as bytes with Buffer.indexOf('\n'). A frame line
// is turned into one flat latin1 string and looked up in a cache of parsed
// frames, so only the first sight of each distinct frame line is parsed.
// Event lines (one per sample) are tokenized by hand, without regexes.
import { createGunzip } from 'node:zlib';
import { Readable, pipeline } from 'node:stream';
import { promises as fsp } from 'node:fs';
import type { CpuProfile, Frame, Warning } from '../model/types.ts';
import { CpuProfileBuilder, DEFAULT_CPU_PROFILE_BUILDER_OPTIONS, type CpuProfileState } from '../model/cpu-profile-builder.ts';
import { GbpError } from '../errors.ts';
import { bufferChunks, fileInput, isGzipMagic, type Input } from './input.ts';
import { WarningSink } from './warnings.ts';
import { ByteKeyTable } from './byte-key-table.ts';
import { UnwindGarbageTrimmer } from './unwind-garbage.ts';
import { resolveStacks } from './resolve-stacks.ts';

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
  resolve?: (frame: RawFrame) => Frame[] | null;
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
const NL = 10;
const CR = 13;
const HASH = 35;

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

/** A copy of `s` that holds no reference to a longer string it was sliced from. */
function flat(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8'); // V8 copies slices shorter than 13 characters already
}

/** Latin1 (how the bytes were read) back to UTF-8, only when there are non-ASCII bytes. */
function utf8(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
}

/** A thread's previous sample: frame ids and trie nodes from the root, `depth` of them. */
interface PrevStack {
  frames: Int32Array;
  nodes: Int32Array;
  depth: number;
}

/** What the bytes of an event line before its time token stand for (null: not for the fast path). */
interface EventPrefix {
  comm: string;
  pid: number | null;
  tid: number;
}

/** `632.436019:` at [s, e): 1 when it is a time the fast path reads exactly, 0 when it is no time, -1 when only the slow path can read it. */
function timeToken(buf: Uint8Array, s: number, e: number): number {
  if (e - s < 4 || buf[e - 1] !== 58 /* : */) return 0;
  let dot = s;
  while (dot < e - 1 && buf[dot] !== 46 /* . */) dot++;
  if (dot === s || dot >= e - 2) return 0;
  for (let k = s; k < e - 1; k++) {
    const c = buf[k];
    if (k !== dot && (c < 48 || c > 57)) return 0;
  }
  if (e - 1 - (dot + 1) > 9) return 0;
  return dot - s > 15 ? -1 : 1;
}

/** The number written in digits [s, e) (callers keep it under 16 digits: exact). */
function digitsValue(buf: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let k = s; k < e; k++) v = v * 10 + (buf[k] - 48);
  return v;
}

function allDigits(buf: Uint8Array, s: number, e: number): boolean {
  if (s === e) return false;
  for (let k = s; k < e; k++) if (buf[k] < 48 || buf[k] > 57) return false;
  return true;
}

/** `cpu-clock:` at [s, e): a letter first, a colon last (as parseEventToken). */
function isEventToken(buf: Uint8Array, s: number, e: number): boolean {
  if (e - s < 2 || buf[e - 1] !== 58) return false;
  const c = buf[s] | 0x20;
  return c >= 97 && c <= 122;
}

/**
 * The push parser: feed it chunks of bytes (any split), then end(). Memory is
 * bounded by distinct frame lines, stacks and groups.
 */
export class PerfScriptParser {
  private readonly o: PerfScriptOptions;
  private readonly b: CpuProfileBuilder;
  private builderEvent: string | null = null;
  // Frame lines seen before, by their bytes (indentation included) → frame id.
  private frameKeys = new ByteKeyTable();
  private frameOfKey = new Int32Array(1024);
  private readonly dsos = new Map<string, string>();
  // The frame line that followed each frame line last time, and the key of the
  // previous line of the open sample (-1 at its start): callers' frames repeat
  // in the same order, so most lines are checked against one guess, with no
  // newline search and no hashing.
  private nextKey = new Int32Array(1024).fill(-1);
  private prevKey = -1;
  // Event lines by the bytes before their time token → comm, pid, tid.
  private readonly prefixKeys = new ByteKeyTable();
  private readonly prefixes: (EventPrefix | null)[] = [];
  // The last event name and its bytes, so a repeated one makes no string.
  private eventName = '';
  private eventBytes = Buffer.alloc(0);
  // Frames printed on event lines (layouts without callchains), by text.
  private readonly inlineFrames = new Map<string, number>();
  private tail: Buffer | null = null;
  private lineNo = 0;
  private bytes = 0;
  private readonly warnings: WarningSink;
  // The open sample: its event line's fields, frame ids innermost first.
  private isOpen = false;
  private openComm = '';
  private openPid: number | null = null;
  private openTid = 0;
  private openSec: number | null = null;
  private openNsec = 0;
  private openPeriod: number | null = null;
  private openEventName: string | null = null;
  private openLine = 0;
  private stack = new Int32Array(256);
  // Per thread, its previous sample's frames and trie nodes (from the root).
  private readonly prevByTid = new Map<number, PrevStack>();
  private lastPrev: PrevStack | null = null;
  private lastPrevTid = -1;
  private depth = 0;
  private clockSec = 0;
  private clockNsec = 0;
  private clockSet = false;
  private hadPid = false;
  private hadTime = false;
  private hadPeriod = false;
  private warnedNoPid = false;
  private warnedNoPeriod = false;
  private readonly trimmer: UnwindGarbageTrimmer | null;
  private garbageSamples = 0;
  private garbageFrames = 0;

  constructor(opts: Partial<PerfScriptOptions> = {}) {
    this.o = { ...DEFAULT_PERF_SCRIPT_OPTIONS, ...opts };
    this.warnings = new WarningSink(this.o.entry, this.o.maxWarnings);
    this.b = new CpuProfileBuilder('', { bucketNs: this.o.bucketNs, maxBuckets: this.o.maxBuckets });
    // With a resolver, frames stay perf's while parsing and are resolved (and
    // unwind garbage trimmed) once each at the end: see resolve-stacks.ts.
    this.trimmer = this.o.dropUnwindGarbage && !this.o.resolve ? new UnwindGarbageTrimmer(this.b.frames) : null;
    if (this.o.clockStartNs !== null) {
      this.clockSec = Number(this.o.clockStartNs / 1_000_000_000n);
      this.clockNsec = Number(this.o.clockStartNs % 1_000_000_000n);
      this.clockSet = true;
    }
  }

  /** Feeds bytes; lines may be split anywhere. The parser keeps no reference to `chunk` (callers may reuse it). */
  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.o.onProgress?.(this.bytes, false);
    let pos = 0;
    if (this.tail) {
      // Only the line split across chunks is joined, not the whole chunk.
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.tail = Buffer.concat([this.tail, chunk]);
        return;
      }
      const joined = Buffer.concat([this.tail, chunk.subarray(0, nl)]);
      this.tail = null;
      this.line(joined, 0, joined.length);
      pos = nl + 1;
    }
    const keys = this.frameKeys;
    const n = chunk.length;
    while (pos < n) {
      // The hot path: a callchain line (tab first) seen before, inside a sample.
      if (chunk[pos] === TAB && this.isOpen) {
        const guess = this.prevKey >= 0 ? this.nextKey[this.prevKey] : -1;
        if (guess >= 0) {
          const e = pos + keys.lengthOf(guess);
          if (e < n && chunk[e] === NL && keys.matchAt(guess, chunk, pos)) {
            this.lineNo++;
            this.pushKey(guess);
            this.prevKey = guess;
            pos = e + 1;
            continue;
          }
        }
        const nl = chunk.indexOf(NL, pos);
        if (nl < 0) break;
        const end = nl > pos && chunk[nl - 1] === CR ? nl - 1 : nl;
        const k = keys.get(chunk, pos, end);
        if (k >= 0) {
          this.lineNo++;
          this.pushKey(k);
          this.follow(k);
          pos = nl + 1;
          continue;
        }
        this.line(chunk, pos, nl);
        pos = nl + 1;
        continue;
      }
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) break;
      this.line(chunk, pos, nl);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.tail = Buffer.from(chunk.subarray(pos)); // copy: do not pin the whole chunk
  }

  /** Lines seen so far (1-based number of the last line). */
  get linesRead(): number {
    return this.lineNo;
  }

  /** Finishes the input and returns the profile. */
  end(): PerfScriptResult {
    this.finishInput();
    let profile: CpuProfile;
    if (this.o.resolve) {
      const r = resolveStacks(this.b.handOver(), this.o.resolve, this.o.dropUnwindGarbage, { bucketNs: this.o.bucketNs, maxBuckets: this.o.maxBuckets });
      profile = r.builder.build();
      if (this.o.dropUnwindGarbage) profile.unwindGarbage = { samples: r.garbageSamples, frames: r.garbageFrames };
    } else profile = this.b.build();
    profile.event = this.builderEvent ?? this.o.defaultEvent;
    if (this.trimmer) profile.unwindGarbage = { samples: this.garbageSamples, frames: this.garbageFrames };
    return { profile, ...this.counts() };
  }

  /**
   * Finishes the input and returns the stacks as perf printed them, for a
   * caller that resolves and trims while it exports (the options `resolve`
   * and `dropUnwindGarbage` must be off: they would do it here first).
   */
  endStacks(): PerfScriptStacks {
    if (this.o.resolve || this.o.dropUnwindGarbage) throw new Error('PerfScriptParser.endStacks(): resolve and dropUnwindGarbage are for end()');
    this.finishInput();
    return { stacks: this.b.handOver(), event: this.builderEvent ?? this.o.defaultEvent, ...this.counts() };
  }

  private finishInput(): void {
    if (this.tail) {
      const t = this.tail;
      this.tail = null;
      this.line(t, 0, t.length);
    }
    this.flush();
    this.o.onProgress?.(this.bytes, true);
    // The lookup tables are done with: let the GC have them while the model's arrays are made.
    this.frameKeys = new ByteKeyTable();
    this.frameOfKey = new Int32Array(0);
    this.nextKey = new Int32Array(0);
    this.prevByTid.clear();
    this.lastPrev = null;
  }

  private counts(): Omit<PerfScriptResult, 'profile'> {
    return { warnings: this.warnings.done(), lines: this.lineNo, bytes: this.bytes, hadPid: this.hadPid, hadTime: this.hadTime, hadPeriod: this.hadPeriod };
  }

  private warn(line: number | undefined, message: string): void {
    this.warnings.at(line, message);
  }

  private line(buf: Buffer, start: number, end: number): void {
    this.lineNo++;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) {
      this.flush(); // a blank line ends a sample
      return;
    }
    const c = buf[start];
    if (c === TAB || c === SPACE) {
      // Frame line (perf indents them with a tab): skip the indentation to parse it.
      let s = start + 1;
      while (s < end && (buf[s] === SPACE || buf[s] === TAB)) s++;
      if (s === end) {
        this.flush();
        return;
      }
      // `-F` layouts right-align the comm with spaces: `     my worker 1 29901   632.433994: ...`
      if (c === SPACE) {
        if (this.fastEvent(buf, s, end)) return;
        const ev = parseEventLine(buf.toString('latin1', s, end));
        if (ev && ev.tid !== null) {
          this.flush();
          this.openEvent(ev);
          return;
        }
      }
      if (!this.isOpen) {
        this.warn(this.lineNo, 'frame line outside a sample');
        return;
      }
      const known = this.frameKeys.get(buf, start, end);
      if (known >= 0) {
        this.pushKey(known);
        this.follow(known);
        return;
      }
      const id = this.frameId(buf.toString('latin1', s, end));
      if (id >= 0) {
        const k = this.frameKeys.add(buf, start, end);
        if (k >= this.frameOfKey.length) {
          const bigger = new Int32Array(this.frameOfKey.length * 2);
          bigger.set(this.frameOfKey);
          this.frameOfKey = bigger;
          const next = new Int32Array(bigger.length).fill(-1);
          next.set(this.nextKey);
          this.nextKey = next;
        }
        this.frameOfKey[k] = id;
        this.pushFrame(id);
        this.follow(k);
      }
      return;
    }
    if (c === HASH) return; // `--header` metadata
    this.flush(); // layouts without callchains have no blank line between samples
    if (this.fastEvent(buf, start, end)) return;
    const text = buf.toString('latin1', start, end);
    const ev = parseEventLine(text);
    if (!ev || ev.tid === null) {
      this.warn(this.lineNo, `malformed event line: ${JSON.stringify(utf8(text).slice(0, 120))}`);
      return;
    }
    this.openEvent(ev);
  }

  /**
   * Reads an event line [s, e) (from its first non-blank byte) without making
   * strings, and opens its sample; false (nothing changed) when the line is
   * for parseEventLine. It takes what parseEventLine would return: the first
   * time token after the first token is the anchor; the bytes before it
   * (comm, pid/tid, cpu) are parsed once per distinct prefix by
   * parseEventLine and cached; after it, `[period] [event:]` and nothing else
   * (an inline frame goes the slow way).
   */
  private fastEvent(buf: Buffer, s: number, e: number): boolean {
    let i = s;
    while (i < e && buf[i] !== SPACE && buf[i] !== TAB) i++;
    let anchor = -1;
    let anchorEnd = -1;
    while (anchor < 0) {
      while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
      if (i >= e) return false;
      const ts = i;
      while (i < e && buf[i] !== SPACE && buf[i] !== TAB) i++;
      const t = timeToken(buf, ts, i);
      if (t < 0) return false;
      if (t > 0) {
        anchor = ts;
        anchorEnd = i;
      }
    }
    let p = this.prefixKeys.get(buf, s, anchor);
    if (p < 0) {
      const ev = parseEventLine(buf.toString('latin1', s, e));
      p = this.prefixKeys.add(buf, s, anchor);
      this.prefixes[p] = ev && ev.tid !== null && ev.sec !== null ? { comm: utf8(ev.comm), pid: ev.pid, tid: ev.tid } : null;
    }
    const prefix = this.prefixes[p];
    if (!prefix) return false;
    // After the time: [period] [event:]; a number is a period only when an event or the end follows.
    let period: number | null = null;
    let evS = -1;
    let evE = -1;
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    if (i < e) {
      const t1 = i;
      while (i < e && buf[i] !== SPACE && buf[i] !== TAB) i++;
      const t1e = i;
      while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
      let t2 = -1;
      let t2e = -1;
      if (i < e) {
        t2 = i;
        while (i < e && buf[i] !== SPACE && buf[i] !== TAB) i++;
        t2e = i;
        while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
      }
      if (allDigits(buf, t1, t1e)) {
        if (t1e - t1 > 15) return false;
        if (t2 < 0) period = digitsValue(buf, t1, t1e);
        else if (isEventToken(buf, t2, t2e) && i === e) {
          period = digitsValue(buf, t1, t1e);
          evS = t2;
          evE = t2e - 1;
        } else return false;
      } else if (isEventToken(buf, t1, t1e) && t2 < 0) {
        evS = t1;
        evE = t1e - 1;
      } else return false;
    }
    let dot = anchor;
    while (buf[dot] !== 46) dot++;
    this.flush();
    this.isOpen = true;
    this.openComm = prefix.comm;
    this.openPid = prefix.pid;
    this.openTid = prefix.tid;
    this.openSec = digitsValue(buf, anchor, dot);
    this.openNsec = digitsValue(buf, dot + 1, anchorEnd - 1) * 10 ** (9 - (anchorEnd - 1 - (dot + 1)));
    this.openPeriod = period;
    this.openEventName = evS < 0 ? null : this.eventString(buf, evS, evE);
    this.openLine = this.lineNo;
    this.depth = 0;
    this.prevKey = -1;
    return true;
  }

  /** The event name in bytes [s, e), reusing the last string when the bytes repeat. */
  private eventString(buf: Buffer, s: number, e: number): string {
    const last = this.eventBytes;
    if (last.length !== e - s || last.compare(buf, s, e) !== 0) {
      this.eventBytes = Buffer.from(buf.subarray(s, e));
      this.eventName = buf.toString('latin1', s, e);
    }
    return this.eventName;
  }

  /**
   * Parses a frame line seen for the first time into a frame id (perf's frame:
   * a resolver runs at the end, see resolve-stacks.ts); -1 (and a warning) when malformed.
   */
  private frameId(text: string): number {
    const raw = parseFrame(text);
    if (!raw) {
      this.warn(this.lineNo, `malformed frame line: ${JSON.stringify(utf8(text).slice(0, 120))}`);
      return -1;
    }
    // Strings the model keeps are made flat (a slice would keep its whole line
    // alive), and one string per DSO is shared by all its frames.
    raw.symbol = flat(utf8(raw.symbol));
    raw.addr = flat(raw.addr);
    const dso = utf8(raw.dso);
    let shared = this.dsos.get(dso);
    if (shared === undefined) this.dsos.set(dso, (shared = flat(dso)));
    raw.dso = shared;
    return this.b.frame(defaultFrame(raw));
  }

  /** The previous sample of thread `tid` (its frames and trie nodes from the root), with room for `n` frames. */
  private prevOf(tid: number, n: number): PrevStack {
    let p = this.lastPrev;
    if (p === null || this.lastPrevTid !== tid) {
      p = this.prevByTid.get(tid) ?? null;
      if (p === null) {
        p = { frames: new Int32Array(64), nodes: new Int32Array(64), depth: 0 };
        this.prevByTid.set(tid, p);
      }
      this.lastPrev = p;
      this.lastPrevTid = tid;
    }
    if (p.frames.length < n) {
      const f = new Int32Array(n * 2);
      const m = new Int32Array(n * 2);
      f.set(p.frames);
      m.set(p.nodes);
      p.frames = f;
      p.nodes = m;
    }
    return p;
  }

  private growStack(more: number): void {
    const bigger = new Int32Array(Math.max(this.stack.length * 2, this.depth + more));
    bigger.set(this.stack);
    this.stack = bigger;
  }

  /** Records that frame line `k` follows the previous one (the next guess after it). */
  private follow(k: number): void {
    if (this.prevKey >= 0) this.nextKey[this.prevKey] = k;
    this.prevKey = k;
  }

  private pushKey(k: number): void {
    this.pushFrame(this.frameOfKey[k]);
  }

  private pushFrame(id: number): void {
    if (this.depth === this.stack.length) this.growStack(1);
    this.stack[this.depth++] = id;
  }

  private addInlineFrame(text: string): void {
    let id = this.inlineFrames.get(text);
    if (id === undefined) {
      id = this.frameId(text);
      if (id < 0) return;
      this.inlineFrames.set(text, id);
    }
    this.pushFrame(id);
  }

  private openEvent(ev: EventLine): void {
    this.isOpen = true;
    this.openComm = utf8(ev.comm);
    this.openPid = ev.pid;
    this.openTid = ev.tid!;
    this.openSec = ev.sec;
    this.openNsec = ev.nsec;
    this.openPeriod = ev.period;
    this.openEventName = ev.event;
    this.openLine = this.lineNo;
    this.depth = 0;
    this.prevKey = -1;
    if (ev.inlineFrame !== null) this.addInlineFrame(ev.inlineFrame);
  }

  /** Closes the open sample, if any, and adds it to the profile. */
  private flush(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    let node = 0;
    // Walk the trie from the outermost frame. Samples of one thread mostly
    // share their outer frames with that thread's previous sample, so reuse
    // its nodes while the frames match and look up only from where they differ.
    const stack = this.stack;
    let n = this.depth;
    if (this.trimmer) {
      const keep = this.trimmer.keep(stack, n);
      if (keep < n) {
        this.garbageSamples++;
        this.garbageFrames += n - keep;
        n = keep;
      }
    }
    const prev = this.prevOf(this.openTid, n);
    const pf = prev.frames;
    const pn = prev.nodes;
    let k = 0; // depth from the root
    const same = Math.min(n, prev.depth);
    while (k < same && pf[k] === stack[n - 1 - k]) node = pn[k++];
    for (; k < n; k++) {
      const f = stack[n - 1 - k];
      node = this.b.child(node, f);
      pf[k] = f;
      pn[k] = node;
    }
    prev.depth = n;
    this.depth = 0;
    if (this.openEventName !== null && this.builderEvent === null) this.builderEvent = this.openEventName;
    let pid = this.openPid;
    if (pid === null) {
      pid = this.openTid;
      if (!this.warnedNoPid) {
        this.warnedNoPid = true;
        this.warn(this.openLine, 'no pid column (perf script -F +pid adds it): the tid stands in for the pid, so threads of one process are not joined');
      }
    } else this.hadPid = true;
    let period = this.openPeriod;
    if (period === null) {
      period = this.o.defaultPeriod;
      if (!this.warnedNoPeriod) {
        this.warnedNoPeriod = true;
        this.warn(this.openLine, `no period column: every sample weighs ${period}`);
      }
    } else this.hadPeriod = true;
    let t: number | null = null;
    const sec = this.openSec;
    if (sec !== null) {
      this.hadTime = true;
      if (!this.clockSet) {
        this.clockSec = sec;
        this.clockNsec = this.openNsec;
        this.clockSet = true;
      }
      t = (sec - this.clockSec) * 1e9 + (this.openNsec - this.clockNsec);
    }
    this.b.addSample(node, pid, this.openTid, this.openComm, period, t);
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
    const plain = await parsePlainFile(file, chunkSize, named, finish);
    if (plain) return plain;
  }
  const input = file === '-' ? process.stdin : fileInput(file, Math.max(64, Math.min(chunkSize, 1 << 20)));
  return parseInput(input, named, finish);
}

/**
 * A plain (not gzip'd) file, read into two reused buffers: no allocation per
 * chunk, so memory stays flat whatever the file size. null when the file is gzip'd.
 */
async function parsePlainFile<T>(file: string, chunkSize: number, opts: Partial<PerfScriptOptions>, finish: (p: PerfScriptParser) => T): Promise<T | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    throw new GbpError('io', `${opts.entry}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: opts.entry });
  }
  // Two buffers: the next chunk is read (on the thread pool) while this one is parsed.
  const size = Math.max(2, chunkSize);
  const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let which = 0;
  let next: Promise<{ bytesRead: number }> | null = fh.read(bufs[0], 0, size, null);
  try {
    const p = new PerfScriptParser(opts);
    for (let first = true; ; first = false) {
      const { bytesRead } = await next!;
      next = null;
      const buf = bufs[which];
      if (first && isGzipMagic(buf, bytesRead)) return null;
      if (bytesRead === 0) break;
      which ^= 1;
      next = fh.read(bufs[which], 0, size, null);
      p.push(buf.subarray(0, bytesRead));
    }
    return finish(p);
  } catch (e) {
    if (e instanceof GbpError) throw e;
    throw new GbpError('io', `${opts.entry}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: opts.entry });
  } finally {
    if (next) await next.catch(() => undefined);
    await fh.close();
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
