// What the chart builders read: the model plus the analysis results they plot.
import type { BuildModel } from '../model/types.ts';
import { toolRuns, type ToolRun } from '../analyze/tool-runs.ts';
import { criticalPath, type CriticalPath } from '../analyze/critical-path.ts';
import { graphMetrics } from '../analyze/graph-metrics.ts';

/** What chart builders read: the model, its tool runs, critical path and depths (from chartContext). */
export interface ChartContext {
  model: BuildModel;
  /** Tool runs on worker lanes (`toolRuns(model)`). */
  runs: ToolRun[];
  /** The critical path's packages in build order and its length, or null when it could not be computed. */
  critical: { packages: string[]; lengthNs: number; path?: CriticalPath } | null;
  /** Dependency depth per package: the longest import chain from the build's roots (roots are 0). */
  depth: Map<string, number>;
  /** Label for this build in comparisons (`base`, `new`); none for a single build. */
  label?: string;
}

/** Runs the analyses the charts need (tool runs, critical path, depths) once. */
export function chartContext(model: BuildModel, label?: string): ChartContext {
  const graph = graphMetrics(model);
  const depth = new Map<string, number>();
  for (const [p, m] of graph.packages) if (m.depth >= 0) depth.set(p, m.depth);
  const cp = model.actions.length ? criticalPath(model, {}, undefined, graph) : null;
  const packages = cp ? [...new Set(cp.steps.map((s) => s.package).filter((p) => p))] : [];
  return {
    model,
    runs: toolRuns(model),
    critical: cp && packages.length ? { packages, lengthNs: cp.lengthNs, path: cp } : null,
    depth,
    label,
  };
}
