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
import { StackSamples } from './pprof-samples/pprof-samples.ts';

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
  // The trie and the groups go into pprof-samples.c once: its integer passes (threads, leaves, label triples, paths) and then its sample writer.
  const core = new StackSamples(s);
  parts.mapMainDso(leafPeriodByDso(core, exp));
  const locations = new RawFrameLocations(parts, exp);
  // Stacks that lose frames to trimming can become equal to another stack
  // of their thread: they are merged in `merged` (by label set and locations).
  const merged = new MergedSamples();
  const trimmed = new Uint8Array(s.groups);
  const unmappedOuter = trim ? unmappedOuterFrames(exp, s.frames.length) : null;
  const garbage = unmappedOuter ? trimStacks(s, exp, core.candidates(unmappedOuter), locations, merged, trimmed, parts) : { samples: 0, frames: 0 };

  // The other stacks are encoded by pprof-samples.c, thread by thread (a
  // thread's stacks mostly share their outer frames, so each walk up the
  // trie stops where it meets the previous stack's path). It needs the
  // location of every raw frame those stacks pass through and each group's
  // label set, made here first.
  const setOf = core.labelSets(trimmed, (g) => parts.labels(s.gPid[g], s.gTid[g], s.comms[s.gComm[g]]).labelSet);
  locations.makeAll(core.framesOnPaths());
  const [setBytes, setAt] = parts.b.encodedLabelSets();
  // A stack that trimming made equal to this one (same thread, same locations) takes its values.
  const written = core.encode(
    { locOfRaw: locations.locOfRaw, setBytes, setAt, trimHashes: merged.hashes() },
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
 * Summed per leaf frame first (by the core), DSOs then added in the
 * groups' order, as buildCpuPprof does.
 */
function leafPeriodByDso(core: StackSamples, exp: FrameExpansion): Map<string, number> {
  const { leaves, periodOfLeaf } = core.leafPeriods();
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

  /** Makes the location of each of `rawFrames` not made yet, in that order (the core's frames on paths: trie order). */
  makeAll(rawFrames: Int32Array): void {
    const es = this.exp.start;
    for (let i = 0; i < rawFrames.length; i++) {
      const rf = rawFrames[i];
      if (this.locOfRaw[rf] === 0) this.of(rf, es[rf + 1] - es[rf]);
    }
  }
}

/**
 * Trims the unwind garbage of the candidate groups (those whose outermost
 * raw frame has no mapping, in order); a stack that loses frames is marked in
 * `trimmed` and added to `merged`. Returns the samples and frames dropped.
 */
function trimStacks(s: CpuProfileState, exp: FrameExpansion, candidates: Int32Array, locations: RawFrameLocations, merged: MergedSamples, trimmed: Uint8Array, parts: CpuPprofParts): UnwindGarbage {
  const nf = s.node4;
  const es = exp.start;
  const trimmer = new UnwindGarbageTrimmer(exp.frames);
  let raw = new Int32Array(256); // raw frames of a stack, leaf first
  let full = new Int32Array(256); // their expansion
  let locs = new Int32Array(256);
  let samples = 0;
  let frames = 0;
  for (let c = 0; c < candidates.length; c++) {
    const g = candidates[c];
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
