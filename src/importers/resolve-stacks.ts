// Symbolizes a parsed profile after the fact: the perf importer parses with
// perf's own frames, then each distinct raw frame is resolved once here and
// the stack trie is rebuilt from the resolved frames, unwind garbage trimmed.
//
// Why not resolve while parsing: on a 167 MB text (49k distinct frames) the
// same resolutions cost ~0.8 s interleaved with the parse against 0.3-0.4 s
// after it (the pclntab work and its garbage evict the parser's hot tables),
// and the rebuild costs ~0.13 s.
//
// Trimming follows unwind-garbage.ts's rule, read along each trie path from
// the root (the outer end) instead of per stack: a path's leading run of
// unmapped frames (u of them) is dropped unless the path is all unmapped;
// then, in the run of frames in the first mapped frame's binary, the first
// Go entry frame (at position j) makes everything before it dropped. Until a
// path decides (its binary's run ends, or an entry frame shows), how much to
// drop depends on where the stack ends, so such nodes are resolved per leaf.
import type { Frame } from '../model/types.ts';
import { CpuProfileBuilder, type CpuProfileBuilderOptions, type CpuProfileState } from '../model/cpu-profile-builder.ts';
import { ROOT, UNMAPPED, frameGarbageFlags } from './unwind-garbage.ts';
import type { FrameResolve } from './perf-script.ts';
import { expandFrames } from './symbolize.ts';

export interface ResolvedStacks {
  builder: CpuProfileBuilder;
  /** Samples that had garbage dropped, and the frames dropped (per sample, summed). */
  garbageSamples: number;
  garbageFrames: number;
}

/**
 * Rebuilds `raw` (a spent builder's state, frames as perf printed them) into
 * a new builder: each raw frame becomes the frames `resolve` gives for it
 * (innermost first; null keeps the frame), and, with `trim`, unwind garbage
 * is dropped as UnwindGarbageTrimmer would have dropped it from each stack.
 */
export function resolveStacks(raw: CpuProfileState, resolve: FrameResolve, trim: boolean, opts: CpuProfileBuilderOptions): ResolvedStacks {
  const b = new CpuProfileBuilder('', opts);
  // Raw frame → resolved frame ids, root-first order (the reverse of resolve's), in one flat array.
  const expanded = expandFrames(raw.frames, resolve);
  const expStart = expanded.start;
  const exp: number[] = [];
  for (let i = 0; i < raw.frames.length; i++) {
    for (let k = expStart[i + 1] - 1; k >= expStart[i]; k--) exp.push(b.frame(expanded.frames[k]));
  }
  // The new trie has about as many more nodes as resolving added frames.
  b.reserveNodes(Math.ceil((raw.nodes * exp.length) / Math.max(1, raw.frames.length)));
  const flags = new Uint8Array(b.frames.length);
  const dsoOf = new Int32Array(b.frames.length);
  const dsoIds = new Map<string, number>();
  b.frames.forEach((f, i) => {
    flags[i] = frameGarbageFlags(f);
    let d = dsoIds.get(f.dso);
    if (d === undefined) dsoIds.set(f.dso, (d = dsoIds.size));
    dsoOf[i] = d;
  });

  // Per raw node, along its path from the root: the resolved length, the
  // leading unmapped count, the binary of the first mapped frame, and, once
  // decided, how many frames are dropped and the node in the new trie.
  const n = raw.nodes;
  const len = new Int32Array(n);
  const lead = new Int32Array(n);
  const dso = new Int32Array(n).fill(-1);
  const drop = new Int32Array(n); // -1: undecided
  const node = new Int32Array(n); // valid when decided
  const nf = raw.node4;
  /** The new-trie node of raw node `r`'s resolved path without its first `k` frames. */
  const fromScratch = (r: number, k: number): number => {
    const path: number[] = [];
    for (let x = r; x > 0; x = nf[(x << 2) + 1]) path.push(nf[x << 2]);
    let at = 0;
    let out = 0;
    for (let i = path.length - 1; i >= 0; i--) {
      const rf = path[i];
      for (let e = expStart[rf]; e < expStart[rf + 1]; e++, at++) if (at >= k) out = b.child(out, exp[e]);
    }
    return out;
  };
  /** The new-trie node of raw node `r`'s path (parent `p`) up to its resolved frame `e`, without the path's first `k` frames. */
  const decided = (p: number, r: number, e: number, k: number): number => {
    let out = fromScratch(p, k);
    let at = len[p];
    for (let x = expStart[nf[r << 2]]; x <= e; x++, at++) if (at >= k) out = b.child(out, exp[x]);
    return out;
  };
  drop[0] = trim ? -1 : 0; // without trimming every path is decided (nothing dropped) at the root
  for (let r = 1; r < n; r++) {
    const p = nf[(r << 2) + 1];
    const rf = nf[r << 2];
    let l = len[p];
    let u = lead[p];
    let d = dso[p];
    let k = drop[p];
    let out = node[p];
    for (let e = expStart[rf]; e < expStart[rf + 1]; e++, l++) {
      const f = exp[e];
      if (k >= 0) out = b.child(out, f);
      else if (u === l) {
        // All unmapped so far.
        if (flags[f] & UNMAPPED) u++;
        else if (u === 0 || flags[f] & ROOT) {
          // Mapped from the root (nothing to drop), or the first mapped frame is an entry frame (the path starts there).
          k = l;
          out = decided(p, r, e, k);
        } else d = dsoOf[f];
      } else if (dsoOf[f] !== d || flags[f] & ROOT) {
        // The first binary's run ended without an entry frame (only the unmapped frames go), or an entry frame (the path starts there).
        k = dsoOf[f] !== d ? u : l;
        out = decided(p, r, e, k);
      }
    }
    len[r] = l;
    lead[r] = u;
    dso[r] = d;
    drop[r] = k;
    node[r] = out;
  }

  let garbageSamples = 0;
  let garbageFrames = 0;
  for (let g = 0; g < raw.groups; g++) {
    const r = raw.gLeaf[g];
    let k = drop[r];
    let leaf = node[r];
    if (k < 0) {
      // Undecided at the leaf: all unmapped (kept whole), or still in the first binary's run (the unmapped frames go).
      k = lead[r] === len[r] ? 0 : lead[r];
      leaf = fromScratch(r, k);
    }
    const count = raw.gSamples[g];
    if (k > 0) {
      garbageSamples += count;
      garbageFrames += k * count;
    }
    b.addSample(leaf, raw.gPid[g], raw.gTid[g], raw.comms[raw.gComm[g]], raw.gPeriod[g], null, count);
  }
  b.adoptTimeline(raw.bucketNs, raw.timeline);
  return { builder: b, garbageSamples, garbageFrames };
}
