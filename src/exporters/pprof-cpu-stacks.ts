// cpu.pb.gz for the standalone converter (`gbp pprof --perf-script`),
// straight from the perf parser's raw stacks: no model, no second trie.
// Each distinct frame perf printed is resolved once (FrameExpansion) and
// becomes one location; unwind garbage is trimmed as the stacks are written.
// It says what buildCpuPprof says for the same text after the model's way
// (resolve, rebuild the trie, trim); test/pprof-stacks.test.ts holds the two equal.
import type { BinaryInfo, UnwindGarbage } from '../model/types.ts';
import type { CpuProfileState, FrameExpansion } from '../model/cpu-profile-builder.ts';
import { UnwindGarbageTrimmer, isUnmappedFrame } from '../importers/unwind-garbage.ts';
import { CpuPprofParts, cpuProfileNotes, grown } from './pprof-cpu.ts';
import type { PprofBuilder, PprofLabelSet } from './pprof-builder.ts';
import { encodeStackSamples } from './pprof-samples/pprof-samples.ts';

/** What buildCpuPprofFromStacks made: the profile, its sample count, and the unwind garbage it dropped. */
export interface StacksPprof {
  pprof: PprofBuilder;
  /** pprof samples: distinct (stack, thread) after trimming. */
  samples: number;
  unwindGarbage: UnwindGarbage | null;
}

/**
 * The CPU profile straight from perf's raw stacks (the standalone converter:
 * no model, no second trie). Each raw frame is one location, its frames the
 * expansion's; with `trim`, each stack loses its unwind garbage as
 * UnwindGarbageTrimmer decides it on the expanded stack (a cut inside an
 * expansion keeps its inner frames as their own location). Stacks that
 * become equal (same locations and thread) are merged into one sample.
 *
 * `sampleBytesPiece`: bytes of encoded samples per piece (tests make it small).
 *
 * Each pass over the groups or the trie is a function of its own: V8
 * optimizes a long loop on the stack (OSR) one function at a time, and one
 * function holding all the passes was compiled 9 times and deoptimized at
 * each pass it had not yet run (~50 ms of a 270 ms build).
 */
export function buildCpuPprofFromStacks(s: CpuProfileState, event: string, exp: FrameExpansion, binaries: Map<string, BinaryInfo> | undefined, trim: boolean, sampleBytesPiece?: number): StacksPprof {
  const parts = new CpuPprofParts(event, s, exp.frames, binaries, [], {}, []);
  parts.mapMainDso(leafPeriodByDso(s, exp));
  const locations = new RawFrameLocations(parts, exp);
  // Stacks that lose frames to trimming can become equal to another stack
  // of their thread: they are merged in `merged` (by label set and locations).
  const merged = new MergedSamples();
  const trimmed = new Uint8Array(s.groups);
  const unmappedOuter = trim ? unmappedOuterFrames(exp, s.frames.length) : null;
  const garbage = unmappedOuter ? trimStacks(s, exp, unmappedOuter, locations, merged, trimmed, parts) : { samples: 0, frames: 0 };

  // The other stacks are encoded by pprof-samples.c, thread by thread (a
  // thread's stacks mostly share their outer frames, so each walk up the
  // trie stops where it meets the previous stack's path). It needs the
  // location of every raw frame those stacks pass through and each group's
  // label set, made here first.
  const threads = threadsOfGroups(s);
  const setOf = labelSetOfGroups(s, threads, trimmed, parts);
  locations.makeOnPaths(s, setOf);
  const [setBytes, setAt] = parts.b.encodedLabelSets();
  const input = { node4: s.node4, nodes: s.nodes, locOfRaw: locations.locOfRaw, order: groupsByThread(s, threads), leaf: s.gLeaf, setOf, count: s.gSamples, period: s.gPeriod, setBytes, setAt, trimHashes: merged.hashes() };
  // A stack that trimming made equal to this one (same thread, same locations) takes its values.
  const written = encodeStackSamples(
    input,
    (g, locs, n) => merged.addIfPresent(locs, n, setOf[g], s.gSamples[g], s.gPeriod[g]),
    (bytes, samples) => parts.b.addEncodedSamples(bytes, samples), // compressed from here on, on another thread
    sampleBytesPiece,
  );
  merged.writeTo(parts.b);
  const unwindGarbage = trim ? garbage : null;
  for (const note of cpuProfileNotes({ unwindGarbage: unwindGarbage ?? undefined, binaries })) parts.b.comment(note);
  return { pprof: parts.b, samples: written + merged.count, unwindGarbage };
}

/**
 * Period by leaf DSO (for the main mapping). The leaf is never trimmed
 * (garbage goes from the outer end and a stack keeps at least one frame).
 * Summed per leaf frame first (fewer map updates), DSOs then added in the
 * groups' order, as buildCpuPprof does.
 */
function leafPeriodByDso(s: CpuProfileState, exp: FrameExpansion): Map<string, number> {
  const nf = s.node4;
  const periodOfLeaf = new Float64Array(s.frames.length + 1); // [rf + 1]; [0]: stacks with no frame
  const isLeaf = new Uint8Array(s.frames.length + 1);
  const leaves: number[] = [];
  for (let g = 0; g < s.groups; g++) {
    const leaf = s.gLeaf[g];
    const at = leaf > 0 ? nf[leaf << 2] + 1 : 0;
    if (!isLeaf[at]) leaves.push(at);
    isLeaf[at] = 1;
    periodOfLeaf[at] += s.gPeriod[g];
  }
  const leafPeriod = new Map<string, number>();
  for (let i = 0; i < leaves.length; i++) {
    const at = leaves[i];
    const dso = at > 0 ? exp.frames[exp.start[at - 1]].dso : '';
    leafPeriod.set(dso, (leafPeriod.get(dso) ?? 0) + periodOfLeaf[at]);
  }
  return leafPeriod;
}

/**
 * Per raw frame, 1 when its outermost expanded frame has no mapping; null
 * when none has. keep() drops frames only from a stack whose outermost frame
 * has no mapping (rule 1): only those stacks need trimming.
 */
function unmappedOuterFrames(exp: FrameExpansion, rawFrames: number): Uint8Array | null {
  const es = exp.start;
  const unmappedOuter = new Uint8Array(rawFrames);
  let any = false;
  for (let rf = 0; rf < rawFrames; rf++) {
    unmappedOuter[rf] = es[rf + 1] > es[rf] && isUnmappedFrame(exp.frames[es[rf + 1] - 1]) ? 1 : 0;
    any ||= unmappedOuter[rf] === 1;
  }
  return any ? unmappedOuter : null;
}

/** The location of each raw frame, made once; a raw frame cut short by trimming gets its own, once per length kept. */
class RawFrameLocations {
  readonly locOfRaw: Int32Array; // 0 = not yet made
  private readonly partial = new Map<string, number>();

  constructor(
    private readonly parts: CpuPprofParts,
    private readonly exp: FrameExpansion,
  ) {
    this.locOfRaw = new Int32Array(exp.start.length - 1);
  }

  /** The location of raw frame `rf` with its `keep` innermost expanded frames. */
  of(rf: number, keep: number): number {
    const a = this.exp.start[rf];
    if (keep === this.exp.start[rf + 1] - a) return this.locOfRaw[rf] || (this.locOfRaw[rf] = this.parts.location(this.exp.frames, a, a + keep));
    const key = `${rf}/${keep}`;
    let loc = this.partial.get(key);
    if (loc === undefined) this.partial.set(key, (loc = this.parts.location(this.exp.frames, a, a + keep)));
    return loc;
  }

  /**
   * Makes the location of every raw frame on the path of a group that has a
   * label set (one not trimmed): leaves to the root in one pass (a parent
   * always has a lower index than its children), then in trie order.
   */
  makeOnPaths(s: CpuProfileState, setOf: Int32Array): void {
    const nf = s.node4;
    const es = this.exp.start;
    const onPath = new Uint8Array(s.nodes);
    for (let g = 0; g < s.groups; g++) if (setOf[g] >= 0) onPath[s.gLeaf[g]] = 1;
    for (let n = s.nodes - 1; n > 0; n--) if (onPath[n]) onPath[nf[(n << 2) + 1]] = 1;
    for (let n = 1; n < s.nodes; n++) {
      const rf = nf[n << 2];
      if (onPath[n] && this.locOfRaw[rf] === 0) this.of(rf, es[rf + 1] - es[rf]);
    }
  }
}

/**
 * Trims the unwind garbage of every stack whose outermost raw frame has no
 * mapping; a stack that loses frames is marked in `trimmed` and added to
 * `merged`. The outermost frame of every trie node is known in one pass (a
 * parent comes before its children). Returns the samples and frames dropped.
 */
function trimStacks(s: CpuProfileState, exp: FrameExpansion, unmappedOuter: Uint8Array, locations: RawFrameLocations, merged: MergedSamples, trimmed: Uint8Array, parts: CpuPprofParts): UnwindGarbage {
  const nf = s.node4;
  const es = exp.start;
  const trimmer = new UnwindGarbageTrimmer(exp.frames);
  const top = outermostFrames(s);
  let raw = new Int32Array(256); // raw frames of a stack, leaf first
  let full = new Int32Array(256); // their expansion
  let locs = new Int32Array(256);
  let samples = 0;
  let frames = 0;
  for (let g = 0; g < s.groups; g++) {
    if (s.gLeaf[g] === 0 || !unmappedOuter[top[s.gLeaf[g]]]) continue;
    let nr = 0;
    let d = 0;
    for (let n = s.gLeaf[g]; n > 0; n = nf[(n << 2) + 1]) {
      const rf = nf[n << 2];
      if (nr === raw.length) raw = grown(raw, nr + 1);
      raw[nr++] = rf;
      if (d + es[rf + 1] - es[rf] > full.length) full = grown(full, d + es[rf + 1] - es[rf]);
      for (let e = es[rf]; e < es[rf + 1]; e++) full[d++] = e;
    }
    const keep = trimmer.keep(full, d);
    if (keep === d) continue;
    const count = s.gSamples[g];
    samples += count;
    frames += (d - keep) * count;
    if (nr > locs.length) locs = grown(locs, nr);
    let nl = 0;
    for (let i = 0, at = 0; i < nr && at < keep; i++) {
      const rf = raw[i];
      const len = es[rf + 1] - es[rf];
      locs[nl++] = locations.of(rf, Math.min(len, keep - at));
      at += len;
    }
    trimmed[g] = 1;
    merged.add(locs, nl, parts.labels(s.gPid[g], s.gTid[g], s.comms[s.gComm[g]]), count, s.gPeriod[g]);
  }
  return { samples, frames };
}

/** The outermost raw frame of each trie node's stack. */
function outermostFrames(s: CpuProfileState): Int32Array {
  const nf = s.node4;
  const top = new Int32Array(s.nodes);
  for (let n = 1; n < s.nodes; n++) {
    const p = nf[(n << 2) + 1];
    top[n] = p === 0 ? nf[n << 2] : top[p];
  }
  return top;
}

/**
 * Each group's thread (by tid, in order of the thread's first group) and the
 * number of threads. An open-addressing table of the tids themselves: a Map
 * keyed by numbers read from a Float64Array boxes each one (~100k groups).
 * tids compare as Map keys do: NaN equals NaN, -0 equals 0.
 */
function threadsOfGroups(s: CpuProfileState): { thread: Int32Array; threads: number } {
  const thread = new Int32Array(s.groups);
  let size = 64;
  while (size < s.groups * 2) size *= 2;
  const mask = size - 1;
  const slotThread = new Int32Array(size).fill(-1);
  const tids: number[] = [];
  const bits = new Float64Array(1);
  const words = new Int32Array(bits.buffer);
  for (let g = 0; g < s.groups; g++) {
    const tid = s.gTid[g];
    bits[0] = tid !== tid ? NaN : tid === 0 ? 0 : tid; // one key for every NaN, one for 0 and -0
    let h = words[0] ^ Math.imul(words[1], 0x9e3779b1); // murmur3's finalizer: an integer's bits sit high in a double
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    let slot = (h ^ (h >>> 16)) & mask;
    let t = slotThread[slot];
    while (t >= 0 && !(tids[t] === tid || (tid !== tid && tids[t] !== tids[t]))) t = slotThread[(slot = (slot + 1) & mask)];
    if (t < 0) {
      t = tids.length;
      tids.push(tid);
      slotThread[slot] = t;
    }
    thread[g] = t;
  }
  return { thread, threads: tids.length };
}

/** Each group's label set (-1 for a trimmed group: merged writes it). The last set of each thread is tried first. */
function labelSetOfGroups(s: CpuProfileState, threads: { thread: Int32Array; threads: number }, trimmed: Uint8Array, parts: CpuPprofParts): Int32Array {
  const setOf = new Int32Array(s.groups).fill(-1);
  const lastSet = new Int32Array(threads.threads).fill(-1);
  const lastPid = new Float64Array(threads.threads);
  const lastComm = new Int32Array(threads.threads);
  for (let g = 0; g < s.groups; g++) {
    if (trimmed[g]) continue;
    const t = threads.thread[g];
    const pid = s.gPid[g];
    if (lastSet[t] >= 0 && lastPid[t] === pid && lastComm[t] === s.gComm[g]) {
      setOf[g] = lastSet[t];
      continue;
    }
    setOf[g] = lastSet[t] = parts.labels(pid, s.gTid[g], s.comms[s.gComm[g]]).labelSet;
    lastPid[t] = pid;
    lastComm[t] = s.gComm[g];
  }
  return setOf;
}

/** Group indexes, those of each thread together (threads in order of their first group, groups in order). */
function groupsByThread(s: CpuProfileState, threads: { thread: Int32Array; threads: number }): Int32Array {
  const at = new Int32Array(threads.threads + 1);
  for (let g = 0; g < s.groups; g++) at[threads.thread[g] + 1]++;
  for (let t = 1; t <= threads.threads; t++) at[t] += at[t - 1];
  const order = new Int32Array(s.groups);
  for (let g = 0; g < s.groups; g++) order[at[threads.thread[g]]++] = g;
  return order;
}

/** Samples keyed by (label set, location ids): equal ones add their values. */
class MergedSamples {
  count = 0;
  private locs = new Int32Array(1 << 16);
  private used = 0;
  private start = new Int32Array(1024);
  private set = new Int32Array(1024);
  private labelSets: PprofLabelSet[] = [];
  private hash = new Int32Array(1024);
  private values = new Float64Array(2048);
  private table = new Int32Array(1 << 12).fill(-1);

  /** Adds the values to an equal sample (label set `set`) already here and returns true; false when there is none. */
  addIfPresent(locs: Int32Array, n: number, set: number, count: number, period: number): boolean {
    const id = this.find(locs, n, set, sampleHash(locs, n, set));
    if (id < 0) return false;
    this.values[2 * id] += count;
    this.values[2 * id + 1] += period;
    return true;
  }

  add(locs: Int32Array, n: number, labels: PprofLabelSet, count: number, period: number): void {
    const set = labels.labelSet;
    const h = sampleHash(locs, n, set);
    const known = this.find(locs, n, set, h);
    if (known >= 0) {
      this.values[2 * known] += count;
      this.values[2 * known + 1] += period;
      return;
    }
    const mask = this.table.length - 1;
    let slot = h & mask;
    while (this.table[slot] >= 0) slot = (slot + 1) & mask;
    const id = this.count++;
    if (id + 1 >= this.start.length) {
      this.start = grown(this.start, id + 2);
      this.set = grown(this.set, id + 1);
      this.hash = grown(this.hash, id + 1);
      const v = new Float64Array(this.values.length * 2);
      v.set(this.values);
      this.values = v;
    }
    if (this.used + n > this.locs.length) this.locs = grown(this.locs, this.used + n);
    this.locs.set(locs.subarray(0, n), this.used);
    this.start[id] = this.used;
    this.used += n;
    this.start[id + 1] = this.used;
    this.set[id] = set;
    this.labelSets[id] = labels;
    this.hash[id] = h;
    this.values[2 * id] = count;
    this.values[2 * id + 1] = period;
    this.table[slot] = id;
    if (this.count * 2 > this.table.length) this.rehash();
  }

  /** The hash (sampleHash) of every sample here. */
  hashes(): Uint32Array {
    return new Uint32Array(this.hash.buffer, 0, this.count);
  }

  writeTo(b: PprofBuilder): void {
    const values = [0, 0];
    for (let id = 0; id < this.count; id++) {
      values[0] = this.values[2 * id];
      values[1] = this.values[2 * id + 1];
      b.sample(this.locs.subarray(this.start[id], this.start[id + 1]), values, this.labelSets[id]);
    }
  }

  private find(locs: Int32Array, n: number, set: number, h: number): number {
    const mask = this.table.length - 1;
    for (let slot = h & mask, id = this.table[slot]; id >= 0; id = this.table[(slot = (slot + 1) & mask)]) {
      if (this.hash[id] === h && this.set[id] === set && this.same(id, locs, n)) return id;
    }
    return -1;
  }

  private same(id: number, locs: Int32Array, n: number): boolean {
    const a = this.start[id];
    if (this.start[id + 1] - a !== n) return false;
    for (let i = 0; i < n; i++) if (this.locs[a + i] !== locs[i]) return false;
    return true;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hash[id] & mask;
      while (table[slot] >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}

/** Hash of a sample's label set and locations (pprof-samples.c computes it bit for bit). */
function sampleHash(locs: Int32Array, n: number, set: number): number {
  let h = Math.imul(set ^ 0x9e3779b9, 0x85ebca6b) ^ n;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ locs[i], 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}
