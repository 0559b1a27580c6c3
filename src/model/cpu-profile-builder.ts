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

/**
 * A spent builder's state as plain data and typed-array views (see
 * handOver()), for code that rebuilds its stacks into another builder.
 */
export interface CpuProfileState {
  frames: Frame[];
  /** 4 ints per trie node (frame, parent, -, -), `nodes` of them; a parent comes before its children. */
  node4: Int32Array;
  nodes: number;
  groups: number;
  gLeaf: Int32Array;
  gComm: Int32Array;
  gPid: Float64Array;
  gTid: Float64Array;
  gSamples: Float64Array;
  gPeriod: Float64Array;
  comms: string[];
  bucketNs: number;
  timeline: Map<number, Float64Array>;
  totalSamples: number;
  totalPeriod: number;
}

/** Raw frame i of a CpuProfileState stands for frames [start[i], start[i + 1]) of `frames`, innermost first (several when inlined). */
export interface FrameExpansion {
  frames: Frame[];
  start: Int32Array;
}

/** Builds a CpuProfile (stack trie, sample groups, per-pid timeline) from samples, in memory bounded by distinct stacks. */
export class CpuProfileBuilder {
  readonly frames: Frame[] = [];
  // Frames by address string: the first one, and the others at that address
  // (an inlined call shares its caller's address; DSOs share small offsets).
  private readonly frameByAddr = new Map<string, number>();
  private readonly moreAtAddr = new Map<string, number[]>();
  // Trie nodes, 4 ints each so one cache line holds all of a node: frame,
  // parent, the child it was last asked for (see child()), unused. Node 0 is
  // the root; build() hands frames and parents out as the model's arrays.
  private node4 = Int32Array.of(-1, -1, 0, 0, 0, 0, 0, 0);
  private nodes = 1;
  private table = new Int32Array(1 << 16).fill(EMPTY); // node ids; key is (parent, frame) of that node
  private tableMask = (1 << 16) - 1;
  // Sample groups in typed columns (objects only in build(): ~100k live objects
  // would make every young-generation GC copy them), found through an
  // open-addressing table keyed by (leaf, pid, tid, comm id): no string key per sample.
  private groupCount = 0;
  private gLeaf = new Int32Array(1024);
  private gComm = new Int32Array(1024);
  private gPid = new Float64Array(1024);
  private gTid = new Float64Array(1024);
  private gSamples = new Float64Array(1024);
  private gPeriod = new Float64Array(1024);
  private groupTable = new Int32Array(1 << 12).fill(EMPTY);
  private readonly commIds = new Map<string, number>();
  private readonly comms: string[] = [];
  private lastComm = '';
  private lastCommId = -1;
  private lastPid = NaN;
  private lastSeries: Float64Array | undefined;
  private readonly timeline = new Map<number, Float64Array>();
  private bucketNs: number;
  private readonly maxBuckets: number;
  private totalSamples = 0;
  private totalPeriod = 0;
  private spent = false;

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
    // Looked up by its address string (frames keep it: no key string to build).
    const first = this.frameByAddr.get(f.addr);
    if (first === undefined) {
      this.frameByAddr.set(f.addr, this.frames.length);
      return this.frames.push(f) - 1;
    }
    const g = this.frames[first];
    if (g.name === f.name && g.dso === f.dso) return first;
    let more = this.moreAtAddr.get(f.addr);
    if (more === undefined) this.moreAtAddr.set(f.addr, (more = []));
    for (const id of more) {
      const h = this.frames[id];
      if (h.name === f.name && h.dso === f.dso) return id;
    }
    more.push(this.frames.length);
    return this.frames.push(f) - 1;
  }

  /** Makes room for `n` trie nodes at once (a caller that knows roughly how many saves the regrowing). */
  reserveNodes(n: number): void {
    if (this.node4.length < n << 2) this.growNodes(n << 2);
    while (n * 2 > this.tableMask) this.grow();
  }

  /**
   * The trie node for `frame` under `parent` (0 is the root), created on first
   * use. Samples in a row mostly repeat their callers' paths, so the child a
   * node was last asked for answers most lookups without hashing.
   */
  child(parent: number, frame: number): number {
    if (this.spent) throw new Error('CpuProfileBuilder: build() was already called; use a new builder');
    const nodes = this.node4;
    const last = nodes[(parent << 2) + 2];
    if (last !== 0 && nodes[last << 2] === frame) return last;
    const mask = this.tableMask;
    let h = (Math.imul(parent, 0x9e3779b1) ^ Math.imul(frame, 0x85ebca77)) & mask;
    const table = this.table;
    for (;;) {
      const n = table[h];
      if (n === EMPTY) break;
      if (nodes[n << 2] === frame && nodes[(n << 2) + 1] === parent) {
        nodes[(parent << 2) + 2] = n;
        return n;
      }
      h = (h + 1) & mask;
    }
    const node = this.nodes++;
    if (node << 2 === this.node4.length) this.growNodes();
    const at = node << 2;
    this.node4[at] = frame;
    this.node4[at + 1] = parent;
    this.node4[(parent << 2) + 2] = node;
    table[h] = node;
    if (node * 2 > mask) this.grow();
    return node;
  }

  private growNodes(size = this.node4.length * 2): void {
    // Doubling: by 4 a 533k-node trie took a 33 MB array for 8.5 MB of nodes.
    const bigger = new Int32Array(size);
    bigger.set(this.node4);
    this.node4 = bigger;
  }

  /** Adds `count` samples ending at trie node `leaf`; `t` is build-relative ns or null. */
  addSample(leaf: number, pid: number, tid: number, comm: string, period: number, t: number | null, count = 1): void {
    if (this.spent) throw new Error('CpuProfileBuilder: build() was already called; use a new builder');
    const c = comm === this.lastComm && this.lastCommId >= 0 ? this.lastCommId : this.commId(comm);
    const table = this.groupTable;
    const mask = table.length - 1;
    let h = groupHash(leaf, pid, tid, c) & mask;
    let g: number;
    for (;;) {
      g = table[h];
      if (g === EMPTY) break;
      if (this.gLeaf[g] === leaf && this.gPid[g] === pid && this.gTid[g] === tid && this.gComm[g] === c) break;
      h = (h + 1) & mask;
    }
    if (g === EMPTY) {
      g = this.groupCount++;
      if (g === this.gLeaf.length) this.growGroupColumns();
      this.gLeaf[g] = leaf;
      this.gComm[g] = c;
      this.gPid[g] = pid;
      this.gTid[g] = tid;
      table[h] = g;
      if (this.groupCount * 2 > table.length) this.growGroups();
    }
    this.gSamples[g] += count;
    this.gPeriod[g] += period;
    this.totalSamples += count;
    this.totalPeriod += period;
    if (t !== null) this.addToTimeline(pid, t < 0 ? 0 : t, count);
  }

  private commId(comm: string): number {
    let id = this.commIds.get(comm);
    if (id === undefined) {
      id = this.comms.length;
      this.comms.push(comm);
      this.commIds.set(comm, id);
    }
    this.lastComm = comm;
    this.lastCommId = id;
    return id;
  }

  private growGroupColumns(): void {
    const n = this.gLeaf.length * 4;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.gLeaf = i32(this.gLeaf);
    this.gComm = i32(this.gComm);
    this.gPid = f64(this.gPid);
    this.gTid = f64(this.gTid);
    this.gSamples = f64(this.gSamples);
    this.gPeriod = f64(this.gPeriod);
  }

  private growGroups(): void {
    const table = new Int32Array(this.groupTable.length * 2).fill(EMPTY);
    const mask = table.length - 1;
    for (let g = 0; g < this.groupCount; g++) {
      let h = groupHash(this.gLeaf[g], this.gPid[g], this.gTid[g], this.gComm[g]) & mask;
      while (table[h] !== EMPTY) h = (h + 1) & mask;
      table[h] = g;
    }
    this.groupTable = table;
  }

  /**
   * The state, without copies, for code that rebuilds the stacks into another
   * builder (the perf importer symbolizes after parsing). The builder is
   * spent; its lookup tables are let go.
   */
  handOver(): CpuProfileState {
    if (this.spent) throw new Error('CpuProfileBuilder: build() was already called; use a new builder');
    this.spent = true;
    const n = this.groupCount;
    const state: CpuProfileState = {
      frames: this.frames,
      node4: this.node4.subarray(0, this.nodes << 2),
      nodes: this.nodes,
      groups: n,
      gLeaf: this.gLeaf.subarray(0, n),
      gComm: this.gComm.subarray(0, n),
      gPid: this.gPid.subarray(0, n),
      gTid: this.gTid.subarray(0, n),
      gSamples: this.gSamples.subarray(0, n),
      gPeriod: this.gPeriod.subarray(0, n),
      comms: this.comms,
      bucketNs: this.bucketNs,
      timeline: this.timeline,
      totalSamples: this.totalSamples,
      totalPeriod: this.totalPeriod,
    };
    this.node4 = this.table = this.groupTable = this.gLeaf = this.gComm = new Int32Array(0);
    this.gPid = this.gTid = this.gSamples = this.gPeriod = new Float64Array(0);
    return state;
  }

  /** Takes another builder's timeline as this one's (this one has none yet: its samples come without times). */
  adoptTimeline(bucketNs: number, timeline: Map<number, Float64Array>): void {
    if (this.timeline.size) throw new Error('CpuProfileBuilder: adoptTimeline() on a builder that has a timeline');
    this.bucketNs = bucketNs;
    for (const [pid, series] of timeline) this.timeline.set(pid, series);
  }

  /** The timeline as it stands (its buckets widen while samples come). */
  timelineState(): { bucketNs: number; timeline: Map<number, Float64Array> } {
    return { bucketNs: this.bucketNs, timeline: this.timeline };
  }

  get sampleCount(): number {
    return this.totalSamples;
  }

  /**
   * The profile. The builder is spent afterwards (its hash tables are let go
   * before the model's arrays are made).
   */
  build(): CpuProfile {
    return profileFromState(this.event, this.handOver());
  }

  private grow(): void {
    const size = this.table.length * 2;
    const table = new Int32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (let n = 1; n < this.nodes; n++) {
      let h = (Math.imul(this.node4[(n << 2) + 1], 0x9e3779b1) ^ Math.imul(this.node4[n << 2], 0x85ebca77)) & mask;
      while (table[h] !== EMPTY) h = (h + 1) & mask;
      table[h] = n;
    }
    this.table = table;
    this.tableMask = mask;
  }

  /** Counts `count` samples of `pid` at build-relative ns `t` (≥ 0) in the timeline (addSample does it per sample). */
  addToTimeline(pid: number, t: number, count: number): void {
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

/** The model's CpuProfile from a builder's state (the state's arrays are read, not kept). */
export function profileFromState(event: string, s: CpuProfileState): CpuProfile {
  const stackFrame: number[] = new Array(s.nodes);
  const stackParent: number[] = new Array(s.nodes);
  for (let n = 0; n < s.nodes; n++) {
    stackFrame[n] = s.node4[n << 2];
    stackParent[n] = s.node4[(n << 2) + 1];
  }
  const groups: SampleGroup[] = new Array(s.groups);
  for (let g = 0; g < s.groups; g++) {
    groups[g] = { stack: s.gLeaf[g], pid: small(s.gPid[g]), tid: small(s.gTid[g]), comm: s.comms[s.gComm[g]], count: small(s.gSamples[g]), period: small(s.gPeriod[g]) };
  }
  return { event, frames: s.frames, stackFrame, stackParent, groups, bucketNs: s.bucketNs, timeline: s.timeline, totalSamples: s.totalSamples, totalPeriod: s.totalPeriod };
}

/**
 * The same number, as a small integer when it is one: numbers read from a
 * Float64Array would otherwise make V8 box every field of ~100k group objects.
 */
function small(v: number): number {
  return (v | 0) === v ? v | 0 : v;
}

/** Hash of a group's key; pids and tids beyond 2^31 only lose hash bits, the comparison stays exact. */
function groupHash(leaf: number, pid: number, tid: number, comm: number): number {
  let h = Math.imul(leaf, 0x9e3779b1) ^ Math.imul(pid | 0, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ Math.imul(tid | 0, 0xc2b2ae3d) ^ comm;
  h ^= h >>> 13;
  return Math.imul(h, 0x27d4eb2f) ^ (h >>> 16);
}
