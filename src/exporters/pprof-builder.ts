// A small builder of pprof profiles that every pprof exporter shares
// (cpu.pb.gz, stages.pb.gz, phases.pb.gz). It hides the format's traps:
// strings are interned in one table whose entry 0 is '', ids start at 1,
// mappings/functions/locations are deduplicated by key, numeric labels keep
// their unit, and gzip is done here.
//
//   const b = new PprofBuilder({ sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']], defaultSampleType: 'cpu' });
//   const m = b.mapping({ file: '/usr/bin/x', hasFunctions: true });
//   const leaf = b.location({ mapping: m, address: '4a5b3c', lines: [{ name: 'main.work' }] });
//   b.sample([leaf, b.location({ lines: [{ name: 'main.main' }] })], [1, 1e6], { comm: 'x', pid: 42 });
//   await b.encodeGzip();
//
// Why not pprof-format's object graph: a perf profile has ~100k samples, and
// one Sample + 5 Label objects each (plus its measuring pass) cost ~100 MiB and
// most of the export time. Samples live here in flat typed arrays and the
// protobuf is written straight from them (profile.proto field numbers), in
// chunks that stream through gzip. The bytes are the ones pprof-format writes
// for the same content (a test decodes and re-encodes with pprof-format).
import { gzip, constants as zc } from 'node:zlib';
import { createRequire } from 'node:module';
import type { Profile } from 'pprof-format';
import { ProtoWriter, words } from './proto-writer.ts';
import { encodeTables } from './pprof-tables/pprof-tables.ts';

const TWO32 = 2 ** 32;

/** [type, unit], e.g. ['cpu', 'nanoseconds'] or ['peak_rss', 'bytes']. */
export type PprofValueType = [type: string, unit: string];

/** Sample types, default type, period and comments of the profile a PprofBuilder makes. */
export interface PprofBuilderOptions {
  sampleTypes: PprofValueType[];
  /** The `type` of the sample type `go tool pprof` shows by default; the last one when absent. */
  defaultSampleType?: string;
  periodType?: PprofValueType;
  period?: number;
  /** Epoch ns of the profile start (decimal string or bigint: exact). */
  timeNanos?: string | bigint;
  durationNanos?: number;
  /** Free-text comments, shown by `go tool pprof -comments`. */
  comments?: string[];
}

/** A mapping (binary or DSO). Addresses are hex strings without 0x, numbers or bigints. */
export interface PprofMappingInput {
  file: string;
  buildId?: string;
  start?: Addr;
  limit?: Addr;
  offset?: Addr;
  /**
   * true when every location in this mapping carries a function name, so
   * `go tool pprof` does not try to re-symbolize it from local binaries.
   */
  hasFunctions?: boolean;
  hasFilenames?: boolean;
  hasLineNumbers?: boolean;
  hasInlineFrames?: boolean;
}

/** One line of a location; several lines = inlined frames, innermost first. */
export interface PprofLineInput {
  name: string;
  systemName?: string;
  file?: string;
  line?: number;
  startLine?: number;
}

/** A location: an address in a mapping and the (possibly inlined) lines there. */
export interface PprofLocationInput {
  /** Id from `mapping()`, or 0/absent for none. */
  mapping?: number;
  address?: Addr;
  /** Empty or absent for an unsymbolized address. */
  lines?: PprofLineInput[];
}

/** A label value: strings become `str` labels, numbers `num` labels; `[n, unit]` adds a unit. */
export type PprofLabelValue = string | number | [num: number, unit: string];

/** Labels for `sample()`: a record, or a set made once by `labelSet()` and shared by many samples. */
export type PprofLabels = Record<string, PprofLabelValue | undefined | null> | PprofLabelSet;

/** A set of labels interned once by `PprofBuilder.labelSet()`; samples that share it are cheaper to add and encode. */
export class PprofLabelSet {
  constructor(readonly labelSet: number) {}
}

export type Addr = number | bigint | string;

/** Converts a hex string (with or without 0x), number or bigint to a pprof uint64. */
export function toAddr(a: Addr | undefined): number | bigint {
  if (a === undefined) return 0;
  if (typeof a === 'string') {
    const s = a.startsWith('0x') || a.startsWith('0X') ? a.slice(2) : a;
    if (!/^[0-9a-fA-F]{1,16}$/.test(s)) return 0;
    // Kernel addresses exceed 2^53: keep them exact as bigint.
    return s.length > 13 ? BigInt('0x' + s) : parseInt(s, 16);
  }
  return a;
}

/** The profile's string table: index 0 is '' (pprof requires it). */
export class PprofStrings {
  readonly strings: string[] = [''];
  private readonly index = new Map<string, number>([['', 0]]);

  /** The index of `s`, adding it on first use. */
  dedup(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

interface MappingRow {
  start: number | bigint;
  limit: number | bigint;
  offset: number | bigint;
  file: number;
  buildId: number;
  flags: number; // bit 0 functions, 1 filenames, 2 line numbers, 3 inline frames
}

/** A growable Int32Array. */
class Ints {
  a: Int32Array;
  n = 0;
  constructor(size = 1024) {
    this.a = new Int32Array(size);
  }
  push(v: number): void {
    if (this.n === this.a.length) this.grow(this.n + 1);
    this.a[this.n++] = v;
  }
  grow(need: number): void {
    const b = new Int32Array(Math.max(need, this.a.length * 2));
    b.set(this.a);
    this.a = b;
  }
}

/** A growable Float64Array (sample values and numeric labels: int64 beyond 2^31). */
class Nums {
  a: Float64Array;
  n = 0;
  constructor(size = 1024) {
    this.a = new Float64Array(size);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/** Bytes of raw protobuf written before a chunk goes to gzip. */
const CHUNK = 1 << 18;
/** Samples written between two pauses of encodeGzip (for gzip to catch up). */
const SAMPLE_BATCH = 8192;
/** Bytes of protobuf that may wait for the compressor before encodeGzip waits. */
const MAX_PENDING = 8 << 20;

/** `bytes` as one gzip member (fastest level), compressed on the thread pool. */
function gzipMember(bytes: Uint8Array): Promise<Buffer> {
  return new Promise((ok, fail) => gzip(bytes, { level: zc.Z_BEST_SPEED, chunkSize: Math.max(1 << 16, Math.min(1 << 22, bytes.length >> 1)) }, (e, out) => (e ? fail(e) : ok(out))));
}

/** Profile.string_table's tag (field 6, length-delimited) and a length, as latin1 characters (one per byte). */
function stringHead(n: number): string {
  let head = String.fromCharCode((6 << 3) | 2);
  for (; n >= 128; n >>>= 7) head += String.fromCharCode((n & 127) | 128);
  return head + String.fromCharCode(n);
}
const STRING_HEAD = Array.from({ length: 128 }, (_, n) => stringHead(n));
const NON_ASCII = /[^\x00-\x7f]/;

/** Builds one pprof profile: add mappings, locations and samples, then encode (gzip'd bytes). */
export class PprofBuilder {
  readonly strings = new PprofStrings();
  private readonly sampleTypes: [number, number][];
  private readonly defaultSampleType: number;
  private readonly periodType: [number, number] | undefined;
  private readonly period: number;
  private readonly timeNanos: bigint;
  private readonly durationNanos: number;
  private readonly comments: number[];
  private readonly nValues: number;

  private readonly mappingRows: MappingRow[] = [];
  private readonly mappings = new Map<string, number>();
  // Functions: name, system name, file (string indexes) and start line, by id - 1.
  private readonly funcCols = new Ints();
  private readonly functions = new Map<string, number>();
  // Functions with a file: by name, then file (strings the caller shares: their hashes are cached).
  private readonly functionsInFile = new Map<string, Map<string, number>>();
  private readonly bareFunctions = new Map<string, number>();
  // Locations: mapping id, address, and their lines [lineStart[i], lineStart[i+1]) in lineFunc/lineNo.
  private readonly locMapping = new Ints();
  // Addresses as two 32-bit words (hi, lo): a kernel address is a bigint, and words() per write cost ~1 µs.
  private readonly locHi = new Ints();
  private readonly locLo = new Ints();
  private readonly locLineStart = new Ints();
  private readonly lineFunc = new Ints();
  private readonly lineNo = new Ints();
  private readonly locations = new Map<string, number>();
  // Samples: stack [stackStart[i], stackStart[i+1]) in stackIds, values nValues
  // each, and a label set. Set j's labels are [labelStart[j], labelStart[j+1]) in the label columns.
  private readonly stackStart = new Ints();
  private readonly stackIds = new Ints(1 << 16);
  private readonly values = new Nums();
  private readonly sampleSet = new Ints();
  private readonly labelStart = new Ints();
  private readonly labelKey = new Ints();
  private readonly labelStr = new Ints();
  private readonly labelNum = new Nums();
  private readonly labelUnit = new Ints();
  private samples = 0;
  // Sample messages a caller encoded itself (see addEncodedSamples), written after the others,
  // and each block as a gzip member, compressed on the thread pool from the moment it is added.
  private readonly encoded: Uint8Array[] = [];
  private readonly encodedGz: Promise<Buffer>[] = [];
  private emptySet = -1;
  private setCache: [Buffer, Int32Array] | null = null;

  constructor(opts: PprofBuilderOptions) {
    const vt = ([type, unit]: PprofValueType): [number, number] => [this.str(type), this.str(unit)];
    if (opts.sampleTypes.length === 0) throw new Error('PprofBuilder: at least one sample type is required');
    const def = opts.defaultSampleType ?? opts.sampleTypes[opts.sampleTypes.length - 1][0];
    if (!opts.sampleTypes.some(([t]) => t === def)) throw new Error(`PprofBuilder: default sample type ${def} is not a sample type`);
    this.sampleTypes = opts.sampleTypes.map(vt);
    this.nValues = opts.sampleTypes.length;
    this.defaultSampleType = this.str(def);
    this.periodType = opts.periodType ? vt(opts.periodType) : undefined;
    this.period = opts.period ?? 0;
    this.timeNanos = opts.timeNanos !== undefined ? BigInt(opts.timeNanos) : 0n;
    this.durationNanos = opts.durationNanos ?? 0;
    this.comments = (opts.comments ?? []).map((c) => this.str(c));
    this.stackStart.push(0);
    this.labelStart.push(0);
    this.locLineStart.push(0);
  }

  /** Adds a comment line (`go tool pprof -comments`) after those of the options. */
  comment(text: string): void {
    this.comments.push(this.str(text));
  }

  /** Interns a string, returning its string-table index. */
  str(s: string): number {
    return this.strings.dedup(s);
  }

  /** Returns the id (from 1) of a mapping, adding it on first use (keyed by file, build id, start). */
  mapping(m: PprofMappingInput): number {
    const start = toAddr(m.start);
    const key = `${m.file}\0${m.buildId ?? ''}\0${start}`;
    const known = this.mappings.get(key);
    if (known !== undefined) return known;
    this.mappingRows.push({
      start,
      limit: toAddr(m.limit),
      offset: toAddr(m.offset),
      file: this.str(m.file),
      buildId: this.str(m.buildId ?? ''),
      flags: (m.hasFunctions ? 1 : 0) | (m.hasFilenames ? 2 : 0) | (m.hasLineNumbers ? 4 : 0) | (m.hasInlineFrames ? 8 : 0),
    });
    const id = this.mappingRows.length;
    this.mappings.set(key, id);
    return id;
  }

  /** Returns the id (from 1) of a function, keyed by name, system name, file and start line. */
  func(l: PprofLineInput): number {
    if ((l.systemName === undefined || l.systemName === l.name) && !l.startLine) return this.plainFunc(l.name, l.file);
    const key = `${l.name}\0${l.systemName ?? l.name}\0${l.file ?? ''}\0${l.startLine ?? 0}`;
    return this.functions.get(key) ?? this.newFunc(this.functions, key, l.name, l.systemName ?? l.name, l.file ?? '', l.startLine ?? 0);
  }

  /**
   * func() of a function that is a name, or a name and a file (most are):
   * keyed by those strings themselves (their hashes are cached), no key string to build.
   */
  private plainFunc(name: string, file: string | undefined): number {
    if (!file) return this.bareFunctions.get(name) ?? this.newFunc(this.bareFunctions, name, name, name, '', 0);
    let byFile = this.functionsInFile.get(name);
    if (byFile === undefined) this.functionsInFile.set(name, (byFile = new Map()));
    return byFile.get(file) ?? this.newFunc(byFile, file, name, name, file, 0);
  }

  private newFunc(map: Map<string, number>, key: string, name: string, systemName: string, file: string, startLine: number): number {
    const c = this.funcCols;
    c.push(this.str(name));
    c.push(this.str(systemName));
    c.push(this.str(file));
    c.push(startLine);
    const id = c.n / 4;
    map.set(key, id);
    return id;
  }

  /**
   * Returns the id (from 1) of a location. Pass `key` when the caller already
   * knows what makes it unique (faster); otherwise mapping, address and lines are the key.
   */
  location(loc: PprofLocationInput, key?: string): number {
    const lines = loc.lines ?? [];
    const k = key ?? `${loc.mapping ?? 0}\0${loc.address ?? ''}\0${lines.map((l) => `${l.name}\0${l.file ?? ''}\0${l.line ?? 0}`).join('\0')}`;
    const known = this.locations.get(k);
    if (known !== undefined) return known;
    const id = this.newLocation(loc);
    this.locations.set(k, id);
    return id;
  }

  /** Adds a location without looking for an equal one (for callers that keep their own index of them); returns its id. */
  newLocation(loc: PprofLocationInput): number {
    for (const l of loc.lines ?? []) {
      this.lineFunc.push(this.func(l));
      this.lineNo.push(l.line ?? 0);
    }
    return this.endLocation(loc.mapping ?? 0, loc.address);
  }

  /**
   * newLocation() a line at a time, for callers with many locations (no
   * objects per line): addLine() each line, innermost first, then
   * endLocation() makes the location of those lines and returns its id.
   */
  addLine(name: string, file: string | undefined, line: number | undefined): void {
    this.lineFunc.push(this.plainFunc(name, file));
    this.lineNo.push(line ?? 0);
  }

  /** The location of the lines added since the last one (see addLine). */
  endLocation(mapping: number, address: Addr | undefined): number {
    this.locMapping.push(mapping);
    const a = toAddr(address);
    if (typeof a === 'number' && a >= 0 && a < TWO32) {
      this.locHi.push(0);
      this.locLo.push(a | 0);
    } else {
      const [hi, lo] = words(a);
      this.locHi.push(hi | 0);
      this.locLo.push(lo | 0);
    }
    this.locLineStart.push(this.lineFunc.n);
    return this.locHi.n;
  }

  /**
   * Adds one sample. `stack` is location ids, leaf first; `values` follow the
   * sample types' order. Labels with an empty string are dropped (pprof
   * cannot tell them from absent); numeric labels of 0 are kept as written
   * but `go tool pprof` treats 0 as absent too.
   */
  sample(stack: ArrayLike<number>, values: ArrayLike<number>, labels?: PprofLabels): void {
    if (values.length !== this.nValues) {
      throw new Error(`PprofBuilder: sample has ${values.length} values, profile has ${this.nValues} sample types`);
    }
    const set = labels === undefined ? this.noLabels() : labels instanceof PprofLabelSet ? labels.labelSet : this.labelSet(labels).labelSet;
    if (set < 0 || set >= this.labelStart.n - 1) throw new Error(`PprofBuilder: label set ${set} is not from this builder`);
    const ids = this.stackIds;
    if (ids.n + stack.length > ids.a.length) ids.grow(ids.n + stack.length);
    for (let i = 0; i < stack.length; i++) ids.a[ids.n++] = stack[i];
    this.stackStart.push(ids.n);
    for (let i = 0; i < values.length; i++) this.values.push(values[i]);
    this.sampleSet.push(set);
    this.samples++;
  }

  /**
   * Adds `n` samples already encoded as Profile.sample fields (tag, length,
   * Sample message each), with location ids and label sets of this builder
   * (see encodedLabelSets): for callers that encode millions of stack
   * entries in one pass (pprof-samples.c). The bytes are compressed at once
   * on the thread pool (for encodeGzip), while the caller goes on: leave them unchanged.
   */
  addEncodedSamples(bytes: Uint8Array, n: number): void {
    this.encoded.push(bytes);
    const member = gzipMember(bytes);
    member.catch(() => {}); // awaited by encodeGzip; unused by encode()
    this.encodedGz.push(member);
    this.samples += n;
  }

  /** Each label set's encoded Label messages: the bytes, and set j's range [at[j], at[j+1]). Add no label set after encoding with these. */
  encodedLabelSets(): [Buffer, Int32Array] {
    return this.labelSetBytes();
  }

  private noLabels(): number {
    if (this.emptySet < 0) this.emptySet = this.labelSet({}).labelSet;
    return this.emptySet;
  }

  /**
   * Interns a set of labels (as `sample()` takes them) for samples to share:
   * each distinct set is encoded once. Empty strings, null and undefined are dropped.
   */
  labelSet(labels: Record<string, PprofLabelValue | undefined | null>): PprofLabelSet {
    for (const k in labels) {
      const v = labels[k];
      if (v === undefined || v === null || v === '') continue;
      this.labelKey.push(this.str(k));
      if (typeof v === 'string') {
        this.labelStr.push(this.str(v));
        this.labelNum.push(0);
        this.labelUnit.push(0);
      } else {
        this.labelStr.push(0);
        this.labelNum.push(typeof v === 'number' ? v : v[0]);
        this.labelUnit.push(typeof v === 'number' ? 0 : this.str(v[1]));
      }
    }
    this.labelStart.push(this.labelKey.n);
    return new PprofLabelSet(this.labelStart.n - 2);
  }

  /** Number of samples added so far. */
  get sampleCount(): number {
    return this.samples;
  }

  /**
   * The profile decoded by pprof-format (for tests and callers that inspect
   * or re-encode it). pprof-format is loaded here, on first use: the writers
   * never need it, and loading it cost every `gbp pprof` ~6 ms of start-up.
   */
  build(): Profile {
    const { Profile } = createRequire(import.meta.url)('pprof-format') as typeof import('pprof-format');
    return Profile.decode(this.encode());
  }

  /** The protobuf, not compressed. */
  encode(): Buffer {
    const parts: Uint8Array[] = [];
    const w = new ProtoWriter(CHUNK, (c) => parts.push(c));
    for (const _ of this.write(w));
    return Buffer.concat(parts);
  }

  /**
   * The gzip'd protobuf, as `go tool pprof` reads it, at gzip's fastest level
   * (as Go's runtime/pprof writes profiles). Each chunk of protobuf becomes a
   * gzip member of its own, compressed on the thread pool while the next is
   * encoded: a gzip file may hold several members, read as one stream (RFC
   * 1952; Go's gzip.Reader, zlib, Python's gzip). One zlib stream instead
   * could only move on between chunks when this thread is idle, so it
   * compressed the tables after they were all written (~20 ms of a
   * conversion). The samples a caller encoded come first, as the members
   * addEncodedSamples started (protobuf fields may come in any order). At
   * most MAX_PENDING bytes wait for the compressor, besides those samples.
   */
  async encodeGzip(): Promise<Buffer> {
    const members: Promise<Buffer>[] = [...this.encodedGz];
    const pending: [Promise<Buffer>, number][] = [];
    let pendingBytes = 0;
    const w = new ProtoWriter(CHUNK, (c) => {
      const m = gzipMember(c);
      members.push(m);
      pending.push([m, c.length]);
      pendingBytes += c.length;
    });
    for (const _ of this.write(w, false)) {
      while (pendingBytes > MAX_PENDING) {
        const [m, n] = pending.shift()!;
        await m;
        pendingBytes -= n;
      }
    }
    return Buffer.concat(await Promise.all(members));
  }

  /**
   * Writes the profile.proto message (fields in pprof-format's order) into
   * `w`, pausing (yielding) after each batch of samples; the caller's encoded
   * samples too unless `withEncoded` is false (encodeGzip sends them itself).
   */
  private *write(w: ProtoWriter, withEncoded = true): Generator<void> {
    for (const [type, unit] of this.sampleTypes) writeValueType(w, 1, type, unit);
    const stored = this.sampleSet.n;
    for (let i = 0; i < stored; i += SAMPLE_BATCH) {
      this.writeSamples(w, i, Math.min(stored, i + SAMPLE_BATCH));
      yield;
    }
    for (const block of withEncoded ? this.encoded : []) {
      for (let at = 0; at < block.length; at += CHUNK) {
        const end = Math.min(block.length, at + CHUNK);
        w.ensure(end - at);
        w.bytes(block, at, end);
        yield;
      }
    }
    this.writeMappings(w);
    this.writeTables(w);
    this.writeTrailer(w);
    w.flush();
  }

  private writeMappings(w: ProtoWriter): void {
    for (let i = 0; i < this.mappingRows.length; i++) {
      const m = this.mappingRows[i];
      w.ensure(128);
      const body =
        w.sizeField(i + 1) + w.sizeField(m.start) + w.sizeField(m.limit) + w.sizeField(m.offset) + w.sizeField(m.file) + w.sizeField(m.buildId) + 2 * popcount4(m.flags);
      w.tag(3, 2);
      w.varint(body);
      w.field(1, i + 1);
      w.field(2, m.start);
      w.field(3, m.limit);
      w.field(4, m.offset);
      w.field(5, m.file);
      w.field(6, m.buildId);
      for (let bit = 0; bit < 4; bit++) if (m.flags & (1 << bit)) w.field(7 + bit, 1);
    }
  }

  /** Profile.location and Profile.function, encoded by pprof-tables.c. */
  private writeTables(w: ProtoWriter): void {
    const t = encodeTables({
      locations: this.locHi.n,
      locMapping: this.locMapping.a,
      locHi: this.locHi.a,
      locLo: this.locLo.a,
      locLineStart: this.locLineStart.a,
      lines: this.lineFunc.n,
      lineFunc: this.lineFunc.a,
      lineNo: this.lineNo.a,
      functions: this.funcCols.n / 4,
      funcCols: this.funcCols.a,
    });
    w.chunks(t);
  }

  /**
   * The string table as one JS string of fields (tag, length, bytes), each
   * byte one latin1 character, turned into bytes at once: one Buffer copy
   * per string cost ~1 µs each, ~10 ms on the converter's 9k strings. An
   * ASCII string is its own bytes; the rare other (a Go shape's `·`) is
   * first turned into its UTF-8 bytes.
   */
  private writeStrings(w: ProtoWriter): void {
    const strings = this.strings.strings;
    const joined = strings.join('');
    const allAscii = Buffer.byteLength(joined, 'utf8') === joined.length;
    const parts = new Array<string>(2 * strings.length);
    for (let i = 0; i < strings.length; i++) {
      let s = strings[i];
      if (!allAscii && NON_ASCII.test(s)) s = Buffer.from(s, 'utf8').toString('latin1');
      parts[2 * i] = s.length < 128 ? STRING_HEAD[s.length] : stringHead(s.length);
      parts[2 * i + 1] = s;
    }
    w.chunks(Buffer.from(parts.join(''), 'latin1'));
  }

  /** The string table and the profile's scalar fields. */
  private writeTrailer(w: ProtoWriter): void {
    this.writeStrings(w);
    w.ensure(128);
    w.field(9, this.timeNanos);
    w.field(10, this.durationNanos);
    if (this.periodType) writeValueType(w, 11, this.periodType[0], this.periodType[1]);
    w.field(12, this.period);
    if (this.comments.length) {
      let n = 0;
      for (const c of this.comments) n += w.sizeVarint(c);
      w.ensure(16 + n);
      w.tag(13, 2);
      w.varint(n);
      for (const c of this.comments) w.varint(c);
    }
    w.field(14, this.defaultSampleType);
  }

  /** Each label set's Label messages, encoded once (cached until a set is added): the bytes, and set j's range [at[j], at[j+1]). */
  private labelSetBytes(): [Buffer, Int32Array] {
    const sets = this.labelStart.n - 1;
    if (this.setCache && this.setCache[1].length === sets + 1) return this.setCache;
    const lst = this.labelStart.a;
    const setAt = new Int32Array(sets + 1);
    const parts: Uint8Array[] = [];
    const sw = new ProtoWriter(1 << 16, (c) => parts.push(c));
    let size = 0;
    for (let j = 0; j < sets; j++) {
      for (let i = lst[j]; i < lst[j + 1]; i++) {
        const [k, str, num, unit] = [this.labelKey.a[i], this.labelStr.a[i], this.labelNum.a[i], this.labelUnit.a[i]];
        const n = sw.sizeField(k) + sw.sizeField(str) + sw.sizeField(num) + sw.sizeField(unit);
        sw.ensure(6 + n);
        sw.tag(3, 2);
        sw.varint(n);
        sw.field(1, k);
        sw.field(2, str);
        sw.field(3, num);
        sw.field(4, unit);
        size += 1 + sw.sizeVarint(n) + n;
      }
      setAt[j + 1] = size;
    }
    sw.flush();
    this.setCache = [Buffer.concat(parts), setAt];
    return this.setCache;
  }

  /** Samples [from, to). */
  private writeSamples(w: ProtoWriter, from: number, to: number): void {
    const [setBytes, setAt] = this.labelSetBytes();
    const ids = this.stackIds.a;
    const ss = this.stackStart.a;
    const vals = this.values.a;
    const nv = this.nValues;
    const sampleSet = this.sampleSet.a;
    for (let i = from; i < to; i++) {
      let locSize = 0;
      for (let j = ss[i]; j < ss[i + 1]; j++) locSize += w.sizeVarint(ids[j]) || 1;
      let valSize = 0;
      for (let j = i * nv; j < (i + 1) * nv; j++) valSize += w.sizeVarint(vals[j]) || 1;
      const set = sampleSet[i];
      const labelsSize = setAt[set + 1] - setAt[set];
      const body = (locSize ? 1 + w.sizeVarint(locSize) + locSize : 0) + (valSize ? 1 + w.sizeVarint(valSize) + valSize : 0) + labelsSize;
      w.ensure(6 + body);
      w.tag(2, 2);
      w.varint(body);
      if (locSize) {
        w.tag(1, 2);
        w.varint(locSize);
        for (let j = ss[i]; j < ss[i + 1]; j++) w.varint(ids[j]);
      }
      if (valSize) {
        w.tag(2, 2);
        w.varint(valSize);
        for (let j = i * nv; j < (i + 1) * nv; j++) w.varint(vals[j]);
      }
      w.bytes(setBytes, setAt[set], setAt[set + 1]);
    }
  }
}

function writeValueType(w: ProtoWriter, field: number, type: number, unit: number): void {
  w.ensure(32);
  w.tag(field, 2);
  w.varint(w.sizeField(type) + w.sizeField(unit));
  w.field(1, type);
  w.field(2, unit);
}

function popcount4(x: number): number {
  return (x & 1) + ((x >> 1) & 1) + ((x >> 2) & 1) + ((x >> 3) & 1);
}
