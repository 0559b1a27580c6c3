// A small builder over `pprof-format` that every pprof exporter shares
// (cpu.pb.gz, stages.pb.gz, phases.pb.gz). It hides the format's traps:
// strings are interned through one StringTable.dedup(), ids start at 1,
// mappings/functions/locations are deduplicated by key, numeric labels keep
// their unit, and gzip is done here.
//
//   const b = new PprofBuilder({ sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']], defaultSampleType: 'cpu' });
//   const m = b.mapping({ file: '/usr/bin/x', hasFunctions: true });
//   const leaf = b.location({ mapping: m, address: '4a5b3c', lines: [{ name: 'main.work' }] });
//   b.sample([leaf, b.location({ lines: [{ name: 'main.main' }] })], [1, 1e6], { comm: 'x', pid: 42 });
//   await b.encodeGzip();
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Profile, StringTable, ValueType, Sample, Label, Mapping, Location, Function as PFunction, Line } from 'pprof-format';

const gzipAsync = promisify(gzip);

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

/** Builds one pprof profile: add mappings, locations and samples, then encode (gzip'd bytes). */
export class PprofBuilder {
  readonly strings = new StringTable();
  private readonly profile: Profile;
  private readonly mappings = new Map<string, number>();
  private readonly functions = new Map<string, number>();
  private readonly locations = new Map<string, number>();

  constructor(opts: PprofBuilderOptions) {
    const st = this.strings;
    const vt = ([type, unit]: PprofValueType) => new ValueType({ type: st.dedup(type), unit: st.dedup(unit) });
    if (opts.sampleTypes.length === 0) throw new Error('PprofBuilder: at least one sample type is required');
    const def = opts.defaultSampleType ?? opts.sampleTypes[opts.sampleTypes.length - 1][0];
    if (!opts.sampleTypes.some(([t]) => t === def)) throw new Error(`PprofBuilder: default sample type ${def} is not a sample type`);
    this.profile = new Profile({
      stringTable: st,
      sampleType: opts.sampleTypes.map(vt),
      defaultSampleType: st.dedup(def),
      periodType: opts.periodType ? vt(opts.periodType) : undefined,
      period: opts.period ?? 0,
      timeNanos: opts.timeNanos !== undefined ? BigInt(opts.timeNanos) : 0,
      durationNanos: opts.durationNanos ?? 0,
      comment: (opts.comments ?? []).map((c) => st.dedup(c)),
    });
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
    const id = this.profile.mapping.length + 1;
    this.profile.mapping.push(
      new Mapping({
        id,
        memoryStart: start,
        memoryLimit: toAddr(m.limit),
        fileOffset: toAddr(m.offset),
        filename: this.str(m.file),
        buildId: this.str(m.buildId ?? ''),
        hasFunctions: !!m.hasFunctions,
        hasFilenames: !!m.hasFilenames,
        hasLineNumbers: !!m.hasLineNumbers,
        hasInlineFrames: !!m.hasInlineFrames,
      }),
    );
    this.mappings.set(key, id);
    return id;
  }

  /** Returns the id (from 1) of a function, keyed by name, system name, file and start line. */
  func(l: PprofLineInput): number {
    const key = `${l.name}\0${l.systemName ?? l.name}\0${l.file ?? ''}\0${l.startLine ?? 0}`;
    const known = this.functions.get(key);
    if (known !== undefined) return known;
    const id = this.profile.function.length + 1;
    this.profile.function.push(
      new PFunction({
        id,
        name: this.str(l.name),
        systemName: this.str(l.systemName ?? l.name),
        filename: this.str(l.file ?? ''),
        startLine: l.startLine ?? 0,
      }),
    );
    this.functions.set(key, id);
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
    const id = this.profile.location.length + 1;
    this.profile.location.push(
      new Location({
        id,
        mappingId: loc.mapping ?? 0,
        address: toAddr(loc.address),
        line: lines.map((l) => new Line({ functionId: this.func(l), line: l.line ?? 0 })),
      }),
    );
    this.locations.set(k, id);
    return id;
  }

  /**
   * Adds one sample. `stack` is location ids, leaf first; `values` follow the
   * sample types' order. Labels with an empty string are dropped (pprof
   * cannot tell them from absent); numeric labels of 0 are kept as written
   * but `go tool pprof` treats 0 as absent too.
   */
  sample(stack: number[], values: number[], labels?: Record<string, PprofLabelValue | undefined | null>): void {
    if (values.length !== this.profile.sampleType.length) {
      throw new Error(`PprofBuilder: sample has ${values.length} values, profile has ${this.profile.sampleType.length} sample types`);
    }
    const label: Label[] = [];
    if (labels) {
      for (const [k, v] of Object.entries(labels)) {
        if (v === undefined || v === null || v === '') continue;
        if (typeof v === 'string') label.push(new Label({ key: this.str(k), str: this.str(v) }));
        else if (typeof v === 'number') label.push(new Label({ key: this.str(k), num: v }));
        else label.push(new Label({ key: this.str(k), num: v[0], numUnit: this.str(v[1]) }));
      }
    }
    this.profile.sample.push(new Sample({ locationId: stack, value: values, label }));
  }

  /** Number of samples added so far. */
  get sampleCount(): number {
    return this.profile.sample.length;
  }

  /** The pprof-format Profile (for tests and callers that encode themselves). */
  build(): Profile {
    return this.profile;
  }

  /** The gzip'd protobuf, as `go tool pprof` reads it. */
  async encodeGzip(): Promise<Buffer> {
    return gzipAsync(await this.profile.encodeAsync());
  }
}
