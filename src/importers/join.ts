// Joins between what different collectors saw of the same tool run: the
// toolexec shim (pid, package, times), the action graph (package, mode,
// times) and /proc (pid, start). pids are reused over a long build, so every
// pid join also checks that the times overlap.
import type { Action, PhaseTiming, ProcessSeries, ToolInvocation, Warning } from '../model/types.ts';

/** The action mode a tool run belongs to. */
export function actionModeForTool(tool: string): string {
  if (tool === 'link') return 'link';
  if (tool === 'vet') return 'vet';
  return 'build'; // compile, asm, cgo, pack, cover, …
}

/** How far a tool's start may lie outside its action's [start, done], in ns (clock reads differ). */
const SLACK_NS = 5_000_000;

/** Sets `actionId` on each non-probe invocation whose package, mode and time fit one action. */
export function joinInvocationsToActions(invocations: ToolInvocation[], actions: Action[]): number {
  const byKey = new Map<string, Action[]>();
  for (const a of actions) {
    if (a.start === null) continue;
    const k = `${a.mode}\0${a.package}`;
    const list = byKey.get(k);
    if (list) list.push(a);
    else byKey.set(k, [a]);
  }
  let joined = 0;
  for (const inv of invocations) {
    inv.actionId = null;
    if (inv.probe) continue;
    const mode = actionModeForTool(inv.tool);
    let candidates = inv.importPath ? byKey.get(`${mode}\0${inv.importPath}`) ?? [] : actions.filter((a) => a.mode === mode && a.start !== null);
    candidates = candidates.filter((a) => inv.start >= a.start! - SLACK_NS && inv.start <= (a.done ?? Infinity) + SLACK_NS);
    if (candidates.length === 0) continue;
    // Several fit (e.g. a package built twice): take the one that started last before the tool.
    candidates.sort((x, y) => Math.abs(inv.start - x.start!) - Math.abs(inv.start - y.start!));
    inv.actionId = candidates[0].id;
    joined++;
  }
  return joined;
}

/** The /proc series of an invocation's process, when its pid and times agree. */
export function processOf(inv: ToolInvocation, processes: Map<number, ProcessSeries>): ProcessSeries | null {
  const p = processes.get(inv.pid);
  if (!p) return null;
  const end = inv.end ?? Infinity;
  if (p.start !== null) {
    // /proc starttime has clock-tick (10 ms) resolution.
    return p.start >= inv.start - 20_000_000 && p.start <= end + 20_000_000 ? p : null;
  }
  const first = p.points[0];
  return first && first.t >= inv.start - 20_000_000 && first.t <= end + 20_000_000 ? p : null;
}

/**
 * `compile -bench` names a command's package `main`, not its import path.
 * With exactly one compile of a `main` package among the tool runs, the
 * phases are renamed to its import path; otherwise they stay `main`.
 */
export function resolveMainPackage(phases: PhaseTiming[], invocations: ToolInvocation[], warn: (w: Warning) => void, entry: string): void {
  if (!phases.some((p) => p.package === 'main')) return;
  const mains = new Set<string>();
  for (const inv of invocations) {
    if (inv.tool !== 'compile' || !inv.importPath) continue;
    const i = inv.argv.indexOf('-p');
    if (i >= 0 && inv.argv[i + 1] === 'main') mains.add(inv.importPath);
  }
  if (mains.size === 1) {
    const [path] = mains;
    for (const p of phases) if (p.package === 'main') p.package = path;
  } else if (mains.size > 1) {
    warn({ entry, message: `${mains.size} main packages were compiled; their phases stay under 'main'` });
  }
}
