// Builds a CpuProfile one sample at a time, in memory bounded by the number
// of distinct frames, stacks and (leaf, pid, tid, comm) groups, never by the
// number of samples. Importers call frame() / child() / addSample() and build().
import type { CpuProfile, Frame, SampleGroup } from './types.ts';

/** Timeline shape of a CpuProfileBuilder; defaults in DEFAULT_CPU_PROFILE_BUILDER_OPTIONS. */
export interface CpuProfileBuilderOptions {
  /** Width of a timeline bucket, ns. */
  bucketNs: number;
  /** When a pid's timeline would need more buckets, all buckets double in width. */
  maxBuckets: number;
}

/** 100 ms buckets, at most 2048 per pid (then buckets double in width). */
export const DEFAULT_CPU_PROFILE_BUILDER_OPTIONS: CpuProfileBuilderOptions = {
  bucketNs: 100_000_000,
  maxBuckets: 2048,
};

// Trie children live in one open-addressing hash table keyed by
// (parent node, frame id), so the hot path allocates nothing per frame.
const EMPTY = -1;

/** Builds a CpuProfile (stack trie, sample groups, per-pid timeline) from samples, in memory bounded by distinct stacks. */
export class CpuProfileBuilder {
  readonly frames: Frame[] = [];
  private readonly frameIds = new Map<string, number>();
  private stackFrame: number[] = [-1];
  private stackParent: number[] = [-1];
  // 4 ints per slot: node id (EMPTY when free), its parent, its frame, unused:
  // a probe compares the key in the same cache line as the id.
  private table = new Int32Array(4 << 16).fill(EMPTY);
  private tableMask = (1 << 16) - 1;
  private readonly groups: SampleGroup[] = [];
  // Groups in an open-addressing table keyed by (leaf, pid, tid, comm id): no string key per sample.
  private groupTable = new Int32Array(1 << 12).fill(EMPTY);
  private readonly commIds = new Map<string, number>();
  private groupComm: number[] = [];
  private lastComm = '';
  private lastCommId = -1;
  private lastPid = NaN;
  private lastSeries: Float64Array | undefined;
  private readonly timeline = new Map<number, Float64Array>();
  private bucketNs: number;
  private readonly maxBuckets: number;
  private totalSamples = 0;
  private totalPeriod = 0;

  constructor(
    readonly event: string,
    opts: Partial<CpuProfileBuilderOptions> = {},
  ) {
    const o = { ...DEFAULT_CPU_PROFILE_BUILDER_OPTIONS, ...opts };
    this.bucketNs = o.bucketNs;
    this.maxBuckets = o.maxBuckets;
  }

  /** The id of a frame, interned by (name, dso, addr). */
  frame(f: Frame): number {
    const key = `${f.name}\0${f.dso}\0${f.addr}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      this.frames.push(f);
      this.frameIds.set(key, id);
    }
    return id;
  }

  /** The trie node for `frame` under `parent` (0 is the root), created on first use. */
  child(parent: number, frame: number): number {
    const mask = this.tableMask;
    let h = (Math.imul(parent, 0x9e3779b1) ^ Math.imul(frame, 0x85ebca77)) & mask;
    const table = this.table;
    for (;;) {
      const at = h << 2;
      const n = table[at];
      if (n === EMPTY) break;
      if (table[at + 1] === parent && table[at + 2] === frame) return n;
      h = (h + 1) & mask;
    }
    const node = this.stackFrame.length;
    this.stackFrame.push(frame);
    this.stackParent.push(parent);
    const at = h << 2;
    table[at] = node;
    table[at + 1] = parent;
    table[at + 2] = frame;
    if (node * 2 > mask) this.grow();
    return node;
  }

  /** Adds `count` samples ending at trie node `leaf`; `t` is build-relative ns or null. */
  addSample(leaf: number, pid: number, tid: number, comm: string, period: number, t: number | null, count = 1): void {
    const c = comm === this.lastComm && this.lastCommId >= 0 ? this.lastCommId : this.commId(comm);
    const table = this.groupTable;
    const mask = table.length - 1;
    let h = groupHash(leaf, pid, tid, c) & mask;
    let g: number;
    for (;;) {
      g = table[h];
      if (g === EMPTY) break;
      const grp = this.groups[g];
      if (grp.stack === leaf && grp.pid === pid && grp.tid === tid && this.groupComm[g] === c) break;
      h = (h + 1) & mask;
    }
    if (g === EMPTY) {
      g = this.groups.length;
      this.groups.push({ stack: leaf, pid, tid, comm, count: 0, period: 0 });
      this.groupComm.push(c);
      table[h] = g;
      if (this.groups.length * 2 > table.length) this.growGroups();
    }
    const grp = this.groups[g];
    grp.count += count;
    grp.period += period;
    this.totalSamples += count;
    this.totalPeriod += period;
    if (t !== null) this.addToTimeline(pid, t < 0 ? 0 : t, count);
  }

  private commId(comm: string): number {
    let id = this.commIds.get(comm);
    if (id === undefined) {
      id = this.commIds.size;
      this.commIds.set(comm, id);
    }
    this.lastComm = comm;
    this.lastCommId = id;
    return id;
  }

  private growGroups(): void {
    const table = new Int32Array(this.groupTable.length * 2).fill(EMPTY);
    const mask = table.length - 1;
    for (let g = 0; g < this.groups.length; g++) {
      const grp = this.groups[g];
      let h = groupHash(grp.stack, grp.pid, grp.tid, this.groupComm[g]) & mask;
      while (table[h] !== EMPTY) h = (h + 1) & mask;
      table[h] = g;
    }
    this.groupTable = table;
  }

  get sampleCount(): number {
    return this.totalSamples;
  }

  build(): CpuProfile {
    return {
      event: this.event,
      frames: this.frames,
      stackFrame: this.stackFrame,
      stackParent: this.stackParent,
      groups: this.groups,
      bucketNs: this.bucketNs,
      timeline: this.timeline,
      totalSamples: this.totalSamples,
      totalPeriod: this.totalPeriod,
    };
  }

  private grow(): void {
    const slots = (this.tableMask + 1) * 2;
    const table = new Int32Array(slots * 4).fill(EMPTY);
    const mask = slots - 1;
    for (let n = 1; n < this.stackFrame.length; n++) {
      const parent = this.stackParent[n];
      const frame = this.stackFrame[n];
      let h = (Math.imul(parent, 0x9e3779b1) ^ Math.imul(frame, 0x85ebca77)) & mask;
      while (table[h << 2] !== EMPTY) h = (h + 1) & mask;
      table[h << 2] = n;
      table[(h << 2) + 1] = parent;
      table[(h << 2) + 2] = frame;
    }
    this.table = table;
    this.tableMask = mask;
  }

  private addToTimeline(pid: number, t: number, count: number): void {
    let b = Math.floor(t / this.bucketNs);
    while (b >= this.maxBuckets) {
      this.coarsen();
      b = Math.floor(t / this.bucketNs);
    }
    let series = pid === this.lastPid ? this.lastSeries : this.timeline.get(pid);
    if (!series || series.length <= b) {
      const grown = new Float64Array(Math.min(this.maxBuckets, Math.max(b + 1, (series?.length ?? 0) * 2, 16)));
      if (series) grown.set(series);
      series = grown;
      this.timeline.set(pid, series);
    }
    this.lastPid = pid;
    this.lastSeries = series;
    series[b] += count;
  }

  /** Doubles the bucket width so a long build never needs more than maxBuckets per pid. */
  private coarsen(): void {
    this.bucketNs *= 2;
    this.lastPid = NaN;
    for (const [pid, s] of this.timeline) {
      const half = new Float64Array(Math.max(1, Math.ceil(s.length / 2)));
      for (let i = 0; i < s.length; i++) half[i >> 1] += s[i];
      this.timeline.set(pid, half);
    }
  }
}

/** Hash of a group's key; pids and tids beyond 2^31 only lose hash bits, the comparison stays exact. */
function groupHash(leaf: number, pid: number, tid: number, comm: number): number {
  let h = Math.imul(leaf, 0x9e3779b1) ^ Math.imul(pid | 0, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ Math.imul(tid | 0, 0xc2b2ae3d) ^ comm;
  h ^= h >>> 13;
  return Math.imul(h, 0x27d4eb2f) ^ (h >>> 16);
}
