// Everything `gbp analyze` shows, computed once from the model.
import type { BuildModel } from '../model/types.ts';
import { actionSpan, buildActionDag, buildWorkers } from './action-dag.ts';
import { criticalPath, parallelismOverTime, type CriticalPath, type ParallelismProfile } from './critical-path.ts';
import { graphMetrics } from './graph-metrics.ts';
import { packageCosts } from './package-costs.ts';
import { stageAnalysis, type StageAnalysis } from './stages.ts';

/** The headline figures of one build (ns, bytes, parallelism as average workers). */
export interface BuildSummary {
  wallNs: number;
  /** CPU of all tool runs (user + sys), ns. */
  cpuNs: number;
  /** First action ready → last action done, ns. */
  actionSpanNs: number;
  /** Sum of all action durations, ns. */
  actionTimeNs: number;
  cores: number;
  workers: number;
  /** actionTime / actionSpan: workers kept busy on average. */
  achievedParallelism: number;
  /** actionTime / critical path: the most the graph allows with unlimited workers. */
  possibleParallelism: number;
  /** cpu / wall: cores kept busy on average. */
  cpuParallelism: number;
  criticalPathNs: number;
  /** Total time actions waited for a free worker, ns. */
  queueNs: number;
  packages: number;
  builtPackages: number;
  maxDepth: number;
  /** Largest peak RSS of any tool process, and whose it was. */
  peakRss: { bytes: number; package: string; tool: string } | null;
  /** Leaf compiler phases summed over packages, largest first, ns. */
  phases: Array<{ phase: string; ns: number }>;
}

/** Every analysis of one build, as gbp analyze --json prints it. */
export interface BuildAnalysis {
  summary: BuildSummary;
  criticalPath: CriticalPath;
  stages: StageAnalysis;
  parallelism: ParallelismProfile;
  roots: string[];
  warnings: number;
}

/** Runs every analysis on one build. */
export function analyzeBuild(model: BuildModel): BuildAnalysis {
  const dag = buildActionDag(model);
  const graph = graphMetrics(model);
  const costs = packageCosts(model);
  const cp = criticalPath(model, {}, dag, graph);
  const stages = stageAnalysis(model, graph, costs);
  const par = parallelismOverTime(model);
  const span = actionSpan(model.actions);
  const spanNs = span ? span.endNs - span.startNs : 0;

  let cpu = 0;
  let queue = 0;
  let built = 0;
  let peak: BuildSummary['peakRss'] = null;
  const phases = new Map<string, number>();
  for (const c of costs.values()) {
    cpu += c.cpuNs;
    if (c.durationNs > 0) built++;
    if (c.peakRssBytes != null && (!peak || c.peakRssBytes > peak.bytes)) peak = { bytes: c.peakRssBytes, package: c.importPath, tool: c.peakRssTool ?? '' };
    for (const [ph, ns] of Object.entries(c.phases)) phases.set(ph, (phases.get(ph) ?? 0) + ns);
  }
  // Every action's wait, not only each package's main one: in Go 1.20+ a
  // package's cache check queues first and its build then starts at once.
  for (const a of model.actions) if (a.ready != null && a.start != null && a.start > a.ready) queue += a.start - a.ready;
  const wall = model.meta.wallNs;
  return {
    summary: {
      wallNs: wall,
      cpuNs: cpu,
      actionSpanNs: spanNs,
      actionTimeNs: cp.totalWorkNs,
      cores: par.cores,
      workers: buildWorkers(model),
      achievedParallelism: spanNs > 0 ? cp.totalWorkNs / spanNs : 0,
      possibleParallelism: cp.lengthNs > 0 ? cp.totalWorkNs / cp.lengthNs : 0,
      cpuParallelism: wall > 0 ? cpu / wall : 0,
      criticalPathNs: cp.lengthNs,
      queueNs: queue,
      packages: model.packages.size,
      builtPackages: built,
      maxDepth: graph.maxDepth,
      peakRss: peak,
      phases: [...phases].map(([phase, ns]) => ({ phase, ns })).sort((a, b) => b.ns - a.ns),
    },
    criticalPath: cp,
    stages,
    parallelism: par,
    roots: graph.roots,
    warnings: model.warnings.length,
  };
}
