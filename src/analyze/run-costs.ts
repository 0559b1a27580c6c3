// Each tool run's cost, with the best number each collector has for it: the
// shim's exit-time rusage for CPU (complete even for 10 ms asm runs), /proc
// for peak RSS and IO, and /proc CPU as a fallback. Without a toolexec log the action
// graph stands in, one row per action that ran commands.
import type { BuildModel, ToolInvocation } from '../model/types.ts';
import { processOf } from '../importers/join.ts';

/** One tool run's cost: its wall, CPU, peak RSS and IO, each from the best collector that saw it. */
export interface RunCost {
  /** `compile`, `asm`, `link`, …; the action mode (`build`, `link`) when only the action graph is known. */
  tool: string;
  /** Import path; '' when the run names none. */
  package: string;
  pid: number | null;
  seq: number | null;
  actionId: number | null;
  /** Relative ns. */
  start: number;
  wallNs: number;
  /** user + sys CPU, ns. */
  cpuNs: number;
  /** Peak RSS, bytes (0: unknown). */
  peakRssBytes: number;
  /** Bytes passed through read()/write() (`rchar`/`wchar` of /proc/PID/io; 0: unknown). */
  readBytes: number;
  writeBytes: number;
  /** Where the CPU figure came from. */
  cpuSource: 'shim' | 'proc' | 'actiongraph' | 'none';
}

/** Options of runCosts; defaults in DEFAULT_RUN_COST_OPTIONS. */
export interface RunCostOptions {
  /** Include `compile -V=full`-style version probes. */
  includeProbes: boolean;
}

/** Defaults: version probes left out (they are go asking for versions, not build work). */
export const DEFAULT_RUN_COST_OPTIONS: RunCostOptions = { includeProbes: false };

/** Every tool run of the build, in start order; from the toolexec log, else from the action graph. */
export function runCosts(model: BuildModel, opts: Partial<RunCostOptions> = {}): RunCost[] {
  const o = { ...DEFAULT_RUN_COST_OPTIONS, ...opts };
  if (model.invocations.length === 0) return actionRuns(model);
  const actions = new Map(model.actions.map((a) => [a.id, a]));
  return model.invocations.filter((inv) => o.includeProbes || !inv.probe).map((inv) => fromInvocation(inv, model, actions.get(inv.actionId ?? -1)?.package));
}

function fromInvocation(inv: ToolInvocation, model: BuildModel, actionPackage: string | undefined): RunCost {
  const proc = processOf(inv, model.processes);
  const last = proc?.points[proc.points.length - 1];
  let cpuSource: RunCost['cpuSource'] = 'none';
  let cpuNs = 0;
  if (inv.userNs !== null && inv.sysNs !== null) {
    cpuNs = inv.userNs + inv.sysNs;
    cpuSource = 'shim';
  } else if (last) {
    cpuNs = last.cpuNs;
    cpuSource = 'proc';
  }
  let peak = inv.maxRssBytes ?? 0;
  for (const p of proc?.points ?? []) peak = Math.max(peak, p.hwmBytes ?? p.rssBytes);
  const end = inv.end ?? last?.t ?? inv.start;
  return {
    tool: inv.tool,
    package: inv.importPath || actionPackage || '',
    pid: inv.pid,
    seq: inv.seq,
    actionId: inv.actionId ?? null,
    start: inv.start,
    wallNs: Math.max(0, end - inv.start),
    cpuNs,
    peakRssBytes: peak,
    readBytes: last?.rchar ?? 0,
    writeBytes: last?.wchar ?? 0,
    cpuSource,
  };
}

function actionRuns(model: BuildModel): RunCost[] {
  return model.actions
    .filter((a) => a.cmdCount > 0 && a.start !== null)
    .map((a) => ({
      tool: a.mode,
      package: a.package,
      pid: null,
      seq: null,
      actionId: a.id,
      start: a.start!,
      wallNs: a.done !== null ? Math.max(0, a.done - a.start!) : 0,
      cpuNs: a.cmdUserNs + a.cmdSysNs,
      peakRssBytes: 0,
      readBytes: 0,
      writeBytes: 0,
      cpuSource: 'actiongraph' as const,
    }))
    .sort((x, y) => x.start - y.start);
}
