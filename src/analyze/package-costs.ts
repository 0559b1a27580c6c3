// What each package cost the build: times from the action graph, CPU, memory
// and IO from the toolexec log and /proc, compiler phases from -bench.
import type { BuildModel, PhaseTiming } from '../model/types.ts';
import { actionDurationNs } from './action-dag.ts';
import { runCosts } from './run-costs.ts';
// The importer's own test of a roll-up row, so both layers agree on what a leaf phase is.
import { isAggregatePhase } from '../importers/compile-bench.ts';

/** What one package cost: times (relative ns), CPU (ns), memory and IO (bytes), compiler phases. */
export interface PackageCost {
  importPath: string;
  /** Action ids of this package (build, link, cache checks, …). */
  actionIds: number[];
  /** When the package's main action became ready, started and finished (relative ns), or null. */
  readyNs: number | null;
  startNs: number | null;
  doneNs: number | null;
  /** start − ready of the main action: time it waited for a free worker, ns. */
  queueNs: number | null;
  /** Sum of the durations of all the package's actions, ns. */
  durationNs: number;
  /** Of which `build` actions (compile, asm, cgo, pack). */
  compileNs: number;
  /** Of which `link` actions. */
  linkNs: number;
  /** CPU (user + sys) of the package's tool runs, ns. */
  cpuNs: number;
  userNs: number;
  sysNs: number;
  /** Largest peak RSS of one of its tool processes, bytes, and which tool. */
  peakRssBytes: number | null;
  peakRssTool: string | null;
  /** Bytes the package's tools passed through read()/write() (rchar/wchar), when /proc saw them. */
  readBytes: number | null;
  writeBytes: number | null;
  /** Tool runs (not counting version probes) per tool name. */
  tools: Record<string, number>;
  /** Compiler phase → ns, leaf phases only (no `total`, no `*:subtotal`). */
  phases: Record<string, number>;
  /** The compiler's own `total`, ns, when -bench was captured. */
  compilerTotalNs: number | null;
}

/** Leaf compiler phases of each package, ns. Repeated compiles of one package add up. */
export function phasesByPackage(model: Pick<BuildModel, 'phases' | 'packages' | 'actions'>): Map<string, { leaf: Record<string, number>; total: number | null }> {
  const out = new Map<string, { leaf: Record<string, number>; total: number | null }>();
  const mainPath = soleMainPackage(model);
  for (const p of model.phases) {
    const pkg = p.package === 'main' && mainPath ? mainPath : p.package;
    let e = out.get(pkg);
    if (!e) out.set(pkg, (e = { leaf: {}, total: null }));
    if (p.phase === 'total') e.total = (e.total ?? 0) + p.ns;
    else if (!isAggregatePhase(p.phase)) e.leaf[p.phase] = (e.leaf[p.phase] ?? 0) + p.ns;
  }
  return out;
}

/** One row per package that appears in the actions, tool runs or go list. */
export function packageCosts(model: BuildModel): Map<string, PackageCost> {
  const rows = new Map<string, PackageCost>();
  const row = (pkg: string): PackageCost => {
    let r = rows.get(pkg);
    if (!r) {
      r = {
        importPath: pkg, actionIds: [], readyNs: null, startNs: null, doneNs: null, queueNs: null,
        durationNs: 0, compileNs: 0, linkNs: 0, cpuNs: 0, userNs: 0, sysNs: 0,
        peakRssBytes: null, peakRssTool: null, readBytes: null, writeBytes: null,
        tools: {}, phases: {}, compilerTotalNs: null,
      };
      rows.set(pkg, r);
    }
    return r;
  };
  for (const p of model.packages.keys()) row(p);

  const actionCpu = new Map<string, { user: number; sys: number }>();
  const mainAction = new Map<string, number>();
  const rank = (i: number) => (model.actions[i].mode === 'build' ? 1e18 : 0) + actionDurationNs(model.actions[i]);
  model.actions.forEach((a, i) => {
    if (!a.package) return;
    const r = row(a.package);
    r.actionIds.push(a.id);
    const d = actionDurationNs(a);
    r.durationNs += d;
    if (a.mode === 'build') r.compileNs += d;
    else if (a.mode === 'link') r.linkNs += d;
    const c = actionCpu.get(a.package) ?? { user: 0, sys: 0 };
    c.user += a.cmdUserNs;
    c.sys += a.cmdSysNs;
    actionCpu.set(a.package, c);
    // The package's main action is its `build`; else whichever ran longest.
    const cur = mainAction.get(a.package);
    if (cur === undefined || rank(i) > rank(cur)) mainAction.set(a.package, i);
  });
  for (const [pkg, i] of mainAction) {
    const a = model.actions[i];
    const r = row(pkg);
    r.readyNs = a.ready;
    r.startNs = a.start;
    r.doneNs = a.done;
    r.queueNs = a.ready != null && a.start != null ? Math.max(0, a.start - a.ready) : null;
  }

  // Each tool run's CPU, peak RSS and IO from the best collector that saw it (shared with the report).
  const runCpu = new Map<string, number>();
  for (const run of runCosts(model)) {
    if (!run.package) continue;
    const r = row(run.package);
    r.tools[run.tool] = (r.tools[run.tool] ?? 0) + 1;
    runCpu.set(run.package, (runCpu.get(run.package) ?? 0) + run.cpuNs);
    if (run.peakRssBytes > 0 && (r.peakRssBytes == null || run.peakRssBytes > r.peakRssBytes)) {
      r.peakRssBytes = run.peakRssBytes;
      r.peakRssTool = run.tool;
    }
    if (run.readBytes > 0) r.readBytes = (r.readBytes ?? 0) + run.readBytes;
    if (run.writeBytes > 0) r.writeBytes = (r.writeBytes ?? 0) + run.writeBytes;
  }
  for (const r of rows.values()) {
    // The go command's own rusage per action covers every command it ran, short
    // tools included, and splits user from sys; the tool runs stand in without it.
    const c = actionCpu.get(r.importPath);
    if (c && c.user + c.sys > 0) {
      r.userNs = c.user;
      r.sysNs = c.sys;
      r.cpuNs = c.user + c.sys;
    } else r.cpuNs = runCpu.get(r.importPath) ?? 0;
  }
  for (const [pkg, ph] of phasesByPackage(model)) {
    const r = row(pkg);
    r.phases = ph.leaf;
    r.compilerTotalNs = ph.total;
  }
  rows.delete('');
  return rows;
}

/**
 * compile -bench names a main package `main`. The importers rename it from
 * the tool runs; without them, a build with exactly one link tells us which.
 */
function soleMainPackage(model: Pick<BuildModel, 'packages' | 'actions'>): string | null {
  if (model.packages.has('main')) return null;
  const links = new Set(model.actions.filter((a) => a.mode === 'link' && a.package).map((a) => a.package));
  return links.size === 1 ? [...links][0] : null;
}

