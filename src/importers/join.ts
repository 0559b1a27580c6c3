// Joins between what different collectors saw of the same tool run: the
// toolexec shim (pid, package, times), the action graph (package, mode,
// times) and /proc (pid, start). pids are reused over a long build, so every
// pid join also checks that the times overlap.
import type { Action, PhaseTiming, ProcessSeries, ToolInvocation, Warning } from '../model/types.ts';

/** The action modes a tool run belongs to, preferred first. */
export function actionModesForTool(tool: string): string[] {
  if (tool === 'link') return ['link'];
  if (tool === 'vet') return ['vet'];
  // Go 1.26 runs the first cgo under its own `cgo run` action; 1.19 under `build`.
  if (tool === 'cgo') return ['cgo run', 'build'];
  return ['build']; // compile, asm, pack, cover, …
}

/** How far a tool's start may lie outside its action's [start, done], in ns (clock reads differ). */
const SLACK_NS = 5_000_000;

/**
 * Sets `actionId` on each non-probe invocation: an action that ran commands,
 * of the same package, whose [start, done] holds the tool's start; the
 * tool's preferred mode first, then the tightest window.
 */
export function joinInvocationsToActions(invocations: ToolInvocation[], actions: Action[]): number {
  const byPackage = new Map<string, Action[]>();
  for (const a of actions) {
    // Actions without commands (cache checks, nop) never run a tool.
    if (a.start === null || a.cmdCount === 0) continue;
    const list = byPackage.get(a.package);
    if (list) list.push(a);
    else byPackage.set(a.package, [a]);
  }
  let joined = 0;
  for (const inv of invocations) {
    inv.actionId = null;
    if (inv.probe) continue;
    const modes = actionModesForTool(inv.tool);
    // Without a package only a link may join, and only unambiguously: go also
    // runs `gcc -###` probes through toolexec, with no package.
    const pool = inv.importPath ? byPackage.get(inv.importPath) ?? [] : inv.tool === 'link' ? [...byPackage.values()].flat().filter((a) => a.mode === 'link') : [];
    const fits = pool.filter((a) => inv.start >= a.start! - SLACK_NS && inv.start <= (a.done ?? Infinity) + SLACK_NS);
    if (fits.length === 0 || (!inv.importPath && fits.length > 1)) continue;
    const rank = (a: Action) => (modes.includes(a.mode) ? modes.indexOf(a.mode) : modes.length);
    const span = (a: Action) => (a.done ?? Infinity) - a.start!;
    fits.sort((x, y) => rank(x) - rank(y) || span(x) - span(y));
    inv.actionId = fits[0].id;
    joined++;
  }
  return joined;
}

/**
 * The /proc series of an invocation's process, when its pid and times agree:
 * its first snapshot must fall inside the run (the sampler only sees live
 * processes). A reused pid fails this test.
 */
export function processOf(inv: ToolInvocation, processes: Map<number, ProcessSeries>): ProcessSeries | null {
  const p = processes.get(inv.pid);
  const first = p?.points[0];
  if (!p || !first) return null;
  // Two clocks (the shim's and the sampler's) read around the same instants.
  const slack = 20_000_000;
  return first.t >= inv.start - slack && first.t <= (inv.end ?? Infinity) + slack ? p : null;
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
