// Model-level facts for `gbp info`: what the importers made of a bundle,
// beside the info command's own raw counts, so the two can be compared.
import type { BuildModel, Warning } from '../model/types.ts';

/** Counts after import and joins, plus the first warnings. */
export interface ModelFacts {
  packages: number;
  /** Packages named on the command line (go list roots). */
  roots: string[];
  actions: number;
  /** Actions that ran at least one command. */
  actionsRun: number;
  /** Tool runs (version probes apart). */
  toolRuns: number;
  probes: number;
  /** Tool runs joined to their action graph action. */
  toolRunsJoined: number;
  /** Processes with /proc snapshots, and their snapshots in all. */
  processes: number;
  procPoints: number;
  /** Packages with compiler phase timings, and phase lines. */
  compiledPackages: number;
  phaseTimings: number;
  traceSpans: number;
  /** CPU samples, when perf text was imported. */
  cpuSamples: number | null;
  /** Warnings recorded (an importer keeps 1000 and sums the rest up in one), and the first `maxWarnings` of them. */
  warningCount: number;
  warnings: Warning[];
}

/** Computes the facts; `maxWarnings` caps the listed warnings (all are counted). */
export function modelFacts(model: BuildModel, maxWarnings = 20): ModelFacts {
  const runs = model.invocations.filter((i) => !i.probe);
  let procPoints = 0;
  for (const p of model.processes.values()) procPoints += p.points.length;
  return {
    packages: model.packages.size,
    roots: [...model.packages.values()].filter((p) => p.root).map((p) => p.importPath),
    actions: model.actions.length,
    actionsRun: model.actions.filter((a) => a.cmdCount > 0).length,
    toolRuns: runs.length,
    probes: model.invocations.length - runs.length,
    toolRunsJoined: runs.filter((i) => i.actionId != null).length,
    processes: model.processes.size,
    procPoints,
    compiledPackages: new Set(model.phases.map((p) => p.package)).size,
    phaseTimings: model.phases.length,
    traceSpans: model.trace.length,
    cpuSamples: model.cpu ? model.cpu.totalSamples : null,
    warningCount: model.warnings.length,
    warnings: model.warnings.slice(0, maxWarnings),
  };
}
