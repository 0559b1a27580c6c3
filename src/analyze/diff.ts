// Diff of two builds (or of two sets of runs of the same build): what got
// slower, what is new, and which changes are only noise.
import type { BuildModel } from '../model/types.ts';
import { GbpError } from '../errors.ts';
import { criticalPath } from './critical-path.ts';
import { packageCosts } from './package-costs.ts';
import { median } from './stats.ts';

/** Noise thresholds of a diff; defaults in DEFAULT_DIFF_OPTIONS. */
export interface DiffOptions {
  /** A change smaller than this fraction of the base is noise (0.1 = 10%). */
  relThreshold: number;
  /** A change smaller than this many ns is noise, whatever its fraction. */
  absThresholdNs: number;
}

/** Changes under 10% or under 50 ms are noise. */
export const DEFAULT_DIFF_OPTIONS: DiffOptions = { relThreshold: 0.1, absThresholdNs: 50e6 };

/** What a change is: beyond the noise either way, noise, or present on one side only. */
export type Verdict = 'regression' | 'improvement' | 'noise' | 'added' | 'removed';

/** One metric compared across the two sides: medians (ns), ranges, delta and verdict. */
export interface MetricDelta {
  /** e.g. `wall`, `cpu`, `critical path`, or a phase name. */
  metric: string;
  /** Median over the runs of each side (ns), null when the side lacks it. */
  base: number | null;
  new: number | null;
  delta: number | null;
  /** delta / base, null when base is 0 or missing. */
  relative: number | null;
  /** [min, max] over the runs of each side. */
  baseRange: [number, number] | null;
  newRange: [number, number] | null;
  verdict: Verdict;
  /** Why it is noise: under the threshold, or inside the run-to-run spread. */
  reason?: 'threshold' | 'spread';
}

/** One package compared: duration, CPU and compiler phases. */
export interface PackageDelta {
  importPath: string;
  status: 'common' | 'added' | 'removed';
  duration: MetricDelta;
  cpu: MetricDelta;
  phases: MetricDelta[];
}

/** The diff of two builds (or two sets of runs): totals, packages, phases, critical path, regressions. */
export interface BuildDiff {
  runs: { base: number; new: number };
  options: DiffOptions;
  totals: MetricDelta[];
  packages: PackageDelta[];
  /** Leaf compiler phases summed over all packages. */
  phases: MetricDelta[];
  criticalPath: { base: string[]; new: string[]; entered: string[]; left: string[] };
  /** Everything judged a regression, for CI gates: wall, cpu, critical path and package durations. */
  regressions: Array<{ what: string; delta: MetricDelta }>;
}

interface RunSummary {
  totals: Record<string, number>;
  pkgs: Map<string, { duration: number; cpu: number; phases: Record<string, number> }>;
  phases: Record<string, number>;
  cpPackages: string[];
}

function summarize(m: BuildModel): RunSummary {
  const costs = packageCosts(m);
  const cp = criticalPath(m);
  const pkgs: RunSummary['pkgs'] = new Map();
  const phases: Record<string, number> = {};
  let cpu = 0;
  for (const c of costs.values()) {
    cpu += c.cpuNs;
    // Packages that only appear in go list but never ran an action have nothing to compare.
    if (c.actionIds.length === 0 && c.cpuNs === 0 && Object.keys(c.phases).length === 0) continue;
    pkgs.set(c.importPath, { duration: c.durationNs, cpu: c.cpuNs, phases: c.phases });
    for (const [ph, ns] of Object.entries(c.phases)) phases[ph] = (phases[ph] ?? 0) + ns;
  }
  const cpPackages = [...new Set(cp.steps.map((s) => s.package).filter(Boolean))];
  return {
    totals: { wall: m.meta.wallNs, 'critical path': cp.lengthNs, cpu, 'action time': cp.totalWorkNs },
    pkgs, phases, cpPackages,
  };
}

/** Compares base runs with new runs; several runs per side give the spread that counts as noise. */
export function diffBuilds(base: BuildModel[], next: BuildModel[], options: Partial<DiffOptions> = {}): BuildDiff {
  const opts = { ...DEFAULT_DIFF_OPTIONS, ...options };
  if (base.length === 0 || next.length === 0) throw new GbpError('usage', 'diff needs at least one build on each side');
  const B = base.map(summarize);
  const N = next.map(summarize);
  const judge = (metric: string, b: number[], n: number[]) => delta(metric, b, n, B.length, N.length, opts);

  const totals = ['wall', 'critical path', 'cpu', 'action time'].map((k) => judge(k, B.map((s) => s.totals[k]), N.map((s) => s.totals[k])));

  const names = new Set<string>();
  for (const s of [...B, ...N]) for (const p of s.pkgs.keys()) names.add(p);
  const packages: PackageDelta[] = [];
  for (const p of [...names].sort()) {
    const bs = B.map((s) => s.pkgs.get(p)).filter((x) => x !== undefined);
    const ns = N.map((s) => s.pkgs.get(p)).filter((x) => x !== undefined);
    const status = bs.length === 0 ? 'added' : ns.length === 0 ? 'removed' : 'common';
    const phaseNames = new Set([...bs, ...ns].flatMap((x) => Object.keys(x.phases)));
    packages.push({
      importPath: p,
      status,
      duration: judge('duration', bs.map((x) => x.duration), ns.map((x) => x.duration)),
      cpu: judge('cpu', bs.map((x) => x.cpu), ns.map((x) => x.cpu)),
      phases: [...phaseNames].sort().map((ph) => judge(ph, bs.map((x) => x.phases[ph] ?? 0), ns.map((x) => x.phases[ph] ?? 0))),
    });
  }
  // Biggest absolute change first: what a reader wants to see.
  packages.sort((a, b) => Math.abs(b.duration.delta ?? b.duration.new ?? b.duration.base ?? 0) - Math.abs(a.duration.delta ?? a.duration.new ?? a.duration.base ?? 0));

  const phaseNames = new Set([...B, ...N].flatMap((s) => Object.keys(s.phases)));
  const phases = [...phaseNames].sort().map((ph) => judge(ph, B.map((s) => s.phases[ph] ?? 0), N.map((s) => s.phases[ph] ?? 0)));

  // The critical path of the first run on each side (paths do not average).
  const cpB = B[0].cpPackages;
  const cpN = N[0].cpPackages;
  const regressions: BuildDiff['regressions'] = [];
  for (const t of totals) if (t.verdict === 'regression') regressions.push({ what: t.metric, delta: t });
  for (const p of packages) if (p.duration.verdict === 'regression') regressions.push({ what: `${p.importPath} duration`, delta: p.duration });
  return {
    runs: { base: B.length, new: N.length },
    options: opts,
    totals,
    packages,
    phases,
    criticalPath: { base: cpB, new: cpN, entered: cpN.filter((p) => !cpB.includes(p)), left: cpB.filter((p) => !cpN.includes(p)) },
    regressions,
  };
}

/** Judges one metric: medians, ranges, and whether the change is beyond noise. */
export function delta(metric: string, b: number[], n: number[], baseRuns: number, newRuns: number, opts: DiffOptions): MetricDelta {
  const range = (xs: number[]): [number, number] | null => (xs.length ? [Math.min(...xs), Math.max(...xs)] : null);
  const bm = b.length ? median(b) : null;
  const nm = n.length ? median(n) : null;
  const out: MetricDelta = {
    metric, base: bm, new: nm, delta: null, relative: null, baseRange: range(b), newRange: range(n), verdict: 'noise',
  };
  if (bm === null) return { ...out, verdict: 'added' };
  if (nm === null) return { ...out, verdict: 'removed' };
  const d = nm - bm;
  out.delta = d;
  out.relative = bm !== 0 ? d / bm : null;
  if (Math.abs(d) < opts.absThresholdNs || Math.abs(d) < opts.relThreshold * Math.abs(bm)) return { ...out, reason: 'threshold' };
  // With several runs on a side, overlapping ranges mean the runs alone vary this much.
  if ((baseRuns > 1 || newRuns > 1) && b.length && n.length) {
    const [b0, b1] = out.baseRange!;
    const [n0, n1] = out.newRange!;
    if (n0 <= b1 && b0 <= n1) return { ...out, reason: 'spread' };
  }
  return { ...out, verdict: d > 0 ? 'regression' : 'improvement' };
}
