// What the chart builders read: the model plus the analysis results they plot.
import type { BuildModel } from '../model/types.ts';
import type { ToolRun } from '../analyze/tool-runs.ts';

export interface ChartContext {
  model: BuildModel;
  /** Tool runs on worker lanes (`toolRuns(model)`). */
  runs: ToolRun[];
  /** The critical path's packages in build order and its length, or null when it could not be computed. */
  critical: { packages: string[]; lengthNs: number } | null;
  /** Dependency depth per package: the longest import chain from the build's roots (roots are 0). */
  depth: Map<string, number>;
  /** Label for this build in comparisons (`base`, `new`), default `build`. */
  label?: string;
}
