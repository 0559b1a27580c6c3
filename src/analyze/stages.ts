// Stage × depth: does a package's place in the import graph explain when it
// ran and what it cost?
import type { BuildModel } from '../model/types.ts';
import { graphMetrics, type GraphMetrics, type PackageGraphMetrics } from './graph-metrics.ts';
import { packageCosts, type PackageCost } from './package-costs.ts';
import { spearman } from './stats.ts';

/** A package's costs joined to its place in the import graph (depth −1: not reachable from a root). */
export interface PackageStage extends PackageCost, Omit<PackageGraphMetrics, 'importPath'> {}

/** One depth level of the import graph: how many packages, their time (ns) and parallelism. */
export interface DepthLevel {
  depth: number;
  packages: number;
  /** Packages at this depth that actually ran an action. */
  built: number;
  totalNs: number;
  maxNs: number;
  /** Package that took maxNs. */
  slowest: string | null;
  /** First start and last done of the level's actions, relative ns. */
  firstStartNs: number | null;
  lastDoneNs: number | null;
  /** totalNs / (lastDone − firstStart): how many ran at once, on average. */
  parallelism: number | null;
}

/** Per-package stages joined to depth and height, per-depth levels, rank correlations. */
export interface StageAnalysis {
  packages: PackageStage[];
  levels: DepthLevel[];
  /** Spearman rank correlation of height against compile time, over built packages; null if undefined. */
  heightVsCompile: { rho: number | null; n: number };
  depthVsCompile: { rho: number | null; n: number };
}

/** Joins every package's costs to its depth and height, and summarizes each depth level. */
export function stageAnalysis(model: BuildModel, graph: GraphMetrics = graphMetrics(model), costs: Map<string, PackageCost> = packageCosts(model)): StageAnalysis {
  const packages: PackageStage[] = [];
  for (const c of costs.values()) {
    const g = graph.packages.get(c.importPath);
    packages.push({
      ...c,
      depth: g?.depth ?? -1,
      height: g?.height ?? -1,
      fanIn: g?.fanIn ?? 0,
      fanOut: g?.fanOut ?? 0,
      transitiveDependents: g?.transitiveDependents ?? 0,
      chain: g?.chain ?? [],
    });
  }
  packages.sort((a, b) => a.depth - b.depth || (a.importPath < b.importPath ? -1 : a.importPath > b.importPath ? 1 : 0));

  const byDepth = new Map<number, PackageStage[]>();
  for (const p of packages) {
    if (p.depth < 0) continue;
    const l = byDepth.get(p.depth) ?? [];
    l.push(p);
    byDepth.set(p.depth, l);
  }
  const levels: DepthLevel[] = [...byDepth.keys()].sort((a, b) => a - b).map((depth) => {
    const ps = byDepth.get(depth)!;
    let total = 0;
    let max = 0;
    let slowest: string | null = null;
    let first = Infinity;
    let last = -Infinity;
    let built = 0;
    for (const p of ps) {
      total += p.compileNs;
      if (p.compileNs > max) {
        max = p.compileNs;
        slowest = p.importPath;
      }
      if (p.startNs != null && p.doneNs != null && p.compileNs > 0) {
        built++;
        first = Math.min(first, p.startNs);
        last = Math.max(last, p.doneNs);
      }
    }
    const has = Number.isFinite(first) && last > first;
    return {
      depth, packages: ps.length, built, totalNs: total, maxNs: max, slowest,
      firstStartNs: has ? first : null, lastDoneNs: has ? last : null,
      parallelism: has ? total / (last - first) : null,
    };
  });

  const built = packages.filter((p) => p.compileNs > 0 && p.height >= 0);
  return {
    packages,
    levels,
    heightVsCompile: { rho: spearman(built.map((p) => p.height), built.map((p) => p.compileNs)), n: built.length },
    depthVsCompile: { rho: spearman(built.map((p) => p.depth), built.map((p) => p.compileNs)), n: built.length },
  };
}
