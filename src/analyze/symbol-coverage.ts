// How well a CPU profile's frames are named: the share of samples whose every
// frame has a name (kernel frames perf named count), over all samples and over
// the samples of Go binaries, plus what is left unnamed and where.
import type { CpuProfile } from '../model/types.ts';

/** Named-frame figures of a CPU profile; counts are samples (or frame occurrences in samples). */
export interface SymbolCoverage {
  samples: number;
  /** Samples all of whose frames are named. */
  fullyNamed: number;
  /** Samples with a frame in a Go binary (one the symbolizer read a pclntab of, or as given). */
  goSamples: number;
  goFullyNamed: number;
  /** Go samples fully named whose outermost frame is a Go entry frame (the stack is whole, not cut by the unwinder). */
  goWhole: number;
  /** Frame occurrences in user-space DSOs (paths), and how many of them are named. */
  userFrames: number;
  namedUserFrames: number;
  /** Garbage frames the importer dropped (see importers/unwind-garbage.ts). */
  unwindGarbage: { samples: number; frames: number } | null;
  /** DSOs holding unnamed frames: samples with at least one unnamed frame there, most first. */
  unnamedByDso: { dso: string; samples: number }[];
}

const GO_ENTRY = /^runtime\.(goexit|mstart|rt0_go)(\.abi0)?$/;

/**
 * Counts named frames per sample. `goDsos` says which DSOs are Go binaries;
 * by default the ones the symbolizer read a pclntab of (`cpu.binaries`).
 */
export function symbolCoverage(cpu: CpuProfile, goDsos?: ReadonlySet<string>): SymbolCoverage {
  const go = goDsos ?? new Set([...(cpu.binaries ?? [])].filter(([, b]) => b.kind === 'go').map(([d]) => d));
  const c: SymbolCoverage = { samples: 0, fullyNamed: 0, goSamples: 0, goFullyNamed: 0, goWhole: 0, userFrames: 0, namedUserFrames: 0, unwindGarbage: cpu.unwindGarbage ?? null, unnamedByDso: [] };
  const unnamed = new Map<string, number>();
  // Per trie node, memoized: whole stack named, in a Go binary, user frames and named ones.
  const memo = new Map<number, { named: boolean; go: boolean; user: number; namedUser: number; unnamedDsos: Set<string> }>();
  const walk = (leaf: number) => {
    let r = memo.get(leaf);
    if (r) return r;
    r = { named: true, go: false, user: 0, namedUser: 0, unnamedDsos: new Set<string>() };
    for (let n = leaf; n > 0; n = cpu.stackParent[n]) {
      const f = cpu.frames[cpu.stackFrame[n]];
      if (!f.named) {
        r.named = false;
        r.unnamedDsos.add(f.dso || '[unknown]');
      }
      if (go.has(f.dso)) r.go = true;
      if (f.dso.startsWith('/')) {
        r.user++;
        if (f.named) r.namedUser++;
      }
    }
    memo.set(leaf, r);
    return r;
  };
  for (const g of cpu.groups) {
    const r = walk(g.stack);
    c.samples += g.count;
    c.userFrames += r.user * g.count;
    c.namedUserFrames += r.namedUser * g.count;
    if (r.named) c.fullyNamed += g.count;
    if (r.go) {
      c.goSamples += g.count;
      if (r.named) {
        c.goFullyNamed += g.count;
        let root = g.stack;
        while (root > 0 && cpu.stackParent[root] > 0) root = cpu.stackParent[root];
        if (root > 0 && GO_ENTRY.test(cpu.frames[cpu.stackFrame[root]].name)) c.goWhole += g.count;
      }
    }
    for (const d of r.unnamedDsos) unnamed.set(d, (unnamed.get(d) ?? 0) + g.count);
  }
  c.unnamedByDso = [...unnamed].map(([dso, samples]) => ({ dso, samples })).sort((a, b) => b.samples - a.samples || (a.dso < b.dso ? -1 : 1));
  return c;
}

/** `part` as a percentage of `whole` with two decimals ('-' for an empty whole). */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(2)}%` : '-';
}
