// What-if scheduling: replay the action graph with the measured durations the
// way the go command runs it (cmd/go/internal/work exec.go, Builder.Do):
// every action whose deps are done joins a ready queue ordered by priority
// (lowest first: depth-first post-order from the root), and `-p` workers each
// take the first ready action whenever they are free.
import type { BuildModel } from '../model/types.ts';
import { GbpError } from '../errors.ts';
import { actionSpan, buildActionDag, buildWorkers, goPriorities, topoOrder, type ActionDag } from './action-dag.ts';

/** Packages matched like go's patterns: exact, or `prefix/...`. */
export interface FasterRule {
  pattern: string;
  /** Fraction of time saved: 0.3 means 30% faster (duration × 0.7). */
  fraction: number;
}

/** Remove the dependency edge "package from imports package to". */
export interface CutRule {
  from: string;
  to: string;
}

/** What to replay: worker counts and what-if edits; defaults in DEFAULT_SIMULATE_OPTIONS. */
export interface SimulateOptions {
  /** Worker counts to predict; the go command's `-p`. */
  workers: number[];
  faster: FasterRule[];
  cut: CutRule[];
  /** Keep the per-action schedule in the result (for charts and tests). */
  keepSchedule: boolean;
}

/** Workers 1, 2, 4, 8, 16, 32, 64; no edits; no per-action schedule. */
export const DEFAULT_SIMULATE_OPTIONS: SimulateOptions = {
  workers: [1, 2, 4, 8, 16, 32, 64],
  faster: [],
  cut: [],
  keepSchedule: false,
};

/** One action placed by the replay: worker and simulated start/end, ns. */
export interface ScheduledAction {
  id: number;
  worker: number;
  startNs: number;
  endNs: number;
}

/** The replay on one worker count: makespan and predicted wall, ns. */
export interface SimulatedRun {
  workers: number;
  /** Time from the first action becoming ready to the last finishing, ns. */
  makespanNs: number;
  /** makespan + the measured time the go command spent outside the action graph, ns. */
  predictedWallNs: number;
  /** Present with keepSchedule. */
  schedule?: ScheduledAction[];
}

/** Replays on every asked worker count, with the measured figures to compare them with. */
export interface Simulation {
  runs: SimulatedRun[];
  /** Workers the real build had, and what the replay says for that count. */
  realWorkers: number;
  measuredWallNs: number;
  /** Measured first-ready → last-done of the real action graph, ns. */
  measuredSpanNs: number;
  /** measured wall − measured span: loading packages, writing outputs, exit, ns. */
  overheadNs: number;
  /** Sum of the (adjusted) durations: the one-worker makespan, ns. */
  totalWorkNs: number;
  /** Rules that changed something: how many actions each one touched or edges it removed. */
  applied: Array<{ rule: string; matched: number }>;
  /** Actions of packages that leave the build after the cuts (no root imports them any more). */
  removedActions: number;
}

/** Replays the build on each worker count, after the what-if edits. */
export function simulate(model: BuildModel, options: Partial<SimulateOptions> = {}, dag: ActionDag = buildActionDag(model)): Simulation {
  const opts = { ...DEFAULT_SIMULATE_OPTIONS, ...options };
  for (const w of opts.workers) {
    if (!Number.isInteger(w) || w < 1) throw new GbpError('usage', `worker count must be a positive integer, got ${w}`);
  }
  const applied: Simulation['applied'] = [];
  const dur = dag.durationNs.slice();
  for (const r of opts.faster) {
    if (!(r.fraction >= 0 && r.fraction <= 1)) throw new GbpError('usage', `--faster ${r.pattern}: fraction must be within 0..100%`);
    let matched = 0;
    dag.actions.forEach((a, i) => {
      if (!matchPackage(r.pattern, a.package)) return;
      dur[i] = dur[i] * (1 - r.fraction);
      matched++;
    });
    applied.push({ rule: `faster ${r.pattern}=${Math.round(r.fraction * 1000) / 10}%`, matched });
  }

  let deps = dag.deps;
  let removedActions = 0;
  let prio = dag.actions.map((a) => a.priority);
  if (opts.cut.length) {
    deps = dag.deps.map((ds) => ds.slice());
    for (const c of opts.cut) {
      let matched = 0;
      deps.forEach((ds, i) => {
        const a = dag.actions[i];
        // A link needs every package in the binary, imported directly or not:
        // its edges go only if the package leaves the build (below).
        if (!matchPackage(c.from, a.package) || a.mode.startsWith('link')) return;
        const keep = ds.filter((j) => !matchPackage(c.to, dag.actions[j].package));
        matched += ds.length - keep.length;
        deps[i] = keep;
      });
      applied.push({ rule: `cut ${c.from}=${c.to}`, matched });
    }
    // Packages the roots no longer import (directly or not) leave the build.
    const gone = packagesLeaving(model, opts.cut);
    deps.forEach((ds, i) => {
      if (gone.has(dag.actions[i].package)) {
        removedActions++;
        dur[i] = 0;
        deps[i] = [];
      } else deps[i] = ds.filter((j) => !gone.has(dag.actions[j].package));
    });
    // The go command derives priorities from the graph, so a changed graph gets new ones.
    prio = goPriorities(deps, dag.roots);
  }
  const dependents: number[][] = deps.map(() => []);
  deps.forEach((ds, i) => ds.forEach((j) => dependents[j].push(i)));
  if (topoOrder(deps, dependents).length !== deps.length) throw new GbpError('parse', 'action graph has a cycle');

  const span = actionSpan(dag.actions);
  const measuredSpanNs = span ? span.endNs - span.startNs : 0;
  const overheadNs = Math.max(0, model.meta.wallNs - measuredSpanNs);
  const runs = opts.workers.map((w) => {
    const r = replay(deps, dependents, dur, prio, w, opts.keepSchedule);
    const run: SimulatedRun = { workers: w, makespanNs: r.makespan, predictedWallNs: r.makespan + overheadNs };
    if (r.schedule) run.schedule = r.schedule.map((s) => ({ ...s, id: dag.actions[s.index].id }));
    return run;
  });
  return {
    runs,
    realWorkers: buildWorkers(model),
    measuredWallNs: model.meta.wallNs,
    measuredSpanNs,
    overheadNs,
    totalWorkNs: dur.reduce((a, b) => a + b, 0),
    applied,
    removedActions,
  };
}

/**
 * Packages reachable from the roots through imports before the cuts but not
 * after. Packages that were never reachable through imports (the runtime
 * pieces a link adds implicitly) are left alone.
 */
function packagesLeaving(model: Pick<BuildModel, 'packages'>, cuts: CutRule[]): Set<string> {
  const reach = (cut: boolean) => {
    const seen = new Set<string>();
    const stack = [...model.packages.values()].filter((p) => p.root).map((p) => p.importPath);
    stack.forEach((p) => seen.add(p));
    while (stack.length) {
      const p = stack.pop()!;
      for (const q of model.packages.get(p)?.imports ?? []) {
        if (seen.has(q) || !model.packages.has(q)) continue;
        if (cut && cuts.some((c) => matchPackage(c.from, p) && matchPackage(c.to, q))) continue;
        seen.add(q);
        stack.push(q);
      }
    }
    return seen;
  };
  const before = reach(false);
  const after = reach(true);
  return new Set([...before].filter((p) => !after.has(p)));
}

/** Go-style pattern: `x/...` matches x and everything below it; otherwise exact. */
export function matchPackage(pattern: string, pkg: string): boolean {
  if (!pkg) return false;
  if (pattern.endsWith('/...')) {
    const base = pattern.slice(0, -4);
    return pkg === base || pkg.startsWith(base + '/');
  }
  if (pattern === '...') return true;
  return pkg === pattern;
}

/**
 * Discrete-event replay. Ready actions sit in a min-heap on priority; finished
 * actions release their dependents before free workers pick again, which is
 * what the go command does under its lock.
 */
export function replay(
  deps: number[][],
  dependents: number[][],
  dur: number[],
  prio: number[],
  workers: number,
  keepSchedule = false,
): { makespan: number; schedule?: Array<{ index: number; worker: number; startNs: number; endNs: number }> } {
  const n = deps.length;
  const pending = deps.map((d) => d.length);
  const ready = new Heap((a, b) => prio[a] - prio[b] || a - b);
  for (let i = 0; i < n; i++) if (pending[i] === 0) ready.push(i);
  const endAt = new Float64Array(n);
  const startSeq = new Int32Array(n);
  // Running actions ordered by end time, then by start order so replays are deterministic.
  const running = new Heap((a, b) => endAt[a] - endAt[b] || startSeq[a] - startSeq[b]);
  const workerOf = new Int32Array(n);
  const freeWorkers: number[] = [];
  for (let w = workers - 1; w >= 0; w--) freeWorkers.push(w);
  const schedule: Array<{ index: number; worker: number; startNs: number; endNs: number }> | undefined = keepSchedule ? [] : undefined;
  let now = 0;
  let seq = 0;
  let done = 0;
  while (done < n) {
    while (freeWorkers.length && ready.size) {
      const i = ready.pop();
      const w = freeWorkers.pop()!;
      workerOf[i] = w;
      endAt[i] = now + dur[i];
      startSeq[i] = seq++;
      running.push(i);
      schedule?.push({ index: i, worker: w, startNs: now, endNs: endAt[i] });
    }
    if (!running.size) throw new GbpError('parse', 'action graph cannot finish: some actions wait on missing ones');
    now = endAt[running.peek()];
    while (running.size && endAt[running.peek()] === now) {
      const i = running.pop();
      done++;
      freeWorkers.push(workerOf[i]);
      for (const j of dependents[i]) if (--pending[j] === 0) ready.push(j);
    }
  }
  return { makespan: now, schedule };
}

/** A binary min-heap of indices under a comparator. */
class Heap {
  private a: number[] = [];
  constructor(private less: (x: number, y: number) => number) {}
  get size(): number {
    return this.a.length;
  }
  peek(): number {
    return this.a[0];
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
