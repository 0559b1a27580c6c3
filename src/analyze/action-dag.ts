// The action graph as an indexed DAG: the shared base of the critical path,
// the scheduler replay and the per-package tables.
import type { Action, BuildModel } from '../model/types.ts';
import { GbpError } from '../errors.ts';

/** The action graph indexed for analysis: deps and dependents by position, measured durations, a topological order. */
export interface ActionDag {
  actions: Action[];
  /** Position in `actions` of each action id. */
  indexOf: Map<number, number>;
  /** deps[i]: indices of the actions action i waits for, in recorded order. */
  deps: number[][];
  /** dependents[i]: indices of the actions that wait for action i. */
  dependents: number[][];
  /** Measured duration of each action (done − start), ns; 0 when it never ran. */
  durationNs: number[];
  /** Indices in an order where every action comes after all its deps. */
  topo: number[];
  /** Actions nothing depends on (the `go build` action, normally one). */
  roots: number[];
  /** Dep ids that name no action (a damaged graph); they are ignored. */
  danglingDeps: number;
}

/** Measured duration of one action in ns: done − start, or 0 if it did not run. */
export function actionDurationNs(a: Action): number {
  if (a.start == null || a.done == null) return 0;
  return Math.max(0, a.done - a.start);
}

/** Indexes the model's action graph; throws GbpError('parse') on a cycle. */
export function buildActionDag(model: Pick<BuildModel, 'actions'>): ActionDag {
  const actions = model.actions;
  const indexOf = new Map<number, number>();
  actions.forEach((a, i) => indexOf.set(a.id, i));
  const n = actions.length;
  const deps: number[][] = [];
  const dependents: number[][] = Array.from({ length: n }, () => []);
  let danglingDeps = 0;
  for (let i = 0; i < n; i++) {
    const ds: number[] = [];
    for (const id of actions[i].deps) {
      const j = indexOf.get(id);
      if (j === undefined) {
        danglingDeps++;
        continue;
      }
      ds.push(j);
      dependents[j].push(i);
    }
    deps.push(ds);
  }
  const durationNs = actions.map(actionDurationNs);
  const topo = topoOrder(deps, dependents);
  if (topo.length !== n) {
    const stuck = actions.find((_, i) => !topo.includes(i));
    throw new GbpError('parse', `action graph has a cycle (through action ${stuck?.id} ${stuck?.mode} ${stuck?.package})`);
  }
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (dependents[i].length === 0) roots.push(i);
  return { actions, indexOf, deps, dependents, durationNs, topo, roots, danglingDeps };
}

/** Kahn's algorithm; returns fewer than n indices when there is a cycle. */
export function topoOrder(deps: number[][], dependents: number[][]): number[] {
  const n = deps.length;
  const pending = deps.map((d) => d.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (pending[i] === 0) out.push(i);
  for (let k = 0; k < out.length; k++) {
    for (const j of dependents[out[k]]) if (--pending[j] === 0) out.push(j);
  }
  return out;
}

/**
 * The go command's priorities: the position of each action in a depth-first
 * post-order walk from the root, visiting deps in order (cmd/go/internal/work
 * exec.go, `actionList` and `Builder.Do`). Lower runs first. Actions not
 * reachable from `roots` come after, in index order.
 */
export function goPriorities(deps: number[][], roots: number[]): number[] {
  const n = deps.length;
  const prio = new Array<number>(n).fill(-1);
  let next = 0;
  // Iterative DFS: deep graphs (cmd has chains of hundreds) must not blow the stack.
  for (const r of roots) {
    if (prio[r] !== -1) continue;
    const seen = new Uint8Array(n);
    const stack: Array<[number, number]> = [[r, 0]];
    seen[r] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [v, k] = top;
      if (k < deps[v].length) {
        top[1]++;
        const w = deps[v][k];
        if (!seen[w] && prio[w] === -1) {
          seen[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        stack.pop();
        if (prio[v] === -1) prio[v] = next++;
      }
    }
  }
  for (let i = 0; i < n; i++) if (prio[i] === -1) prio[i] = next++;
  return prio;
}

/** The span the go command spent running actions: first ready to last done, ns. */
export function actionSpan(actions: Action[]): { startNs: number; endNs: number } | null {
  let s = Infinity;
  let e = -Infinity;
  for (const a of actions) {
    const first = a.ready ?? a.start;
    if (first != null && first < s) s = first;
    if (a.done != null && a.done > e) e = a.done;
  }
  return Number.isFinite(s) && Number.isFinite(e) ? { startNs: s, endNs: e } : null;
}

/** `-p N` from the build's argv, else null (the go command then uses GOMAXPROCS). */
export function buildFlagP(argv: string[]): number | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '-p' || a === '--p') {
      const v = Number(argv[i + 1]);
      if (Number.isInteger(v) && v > 0) return v;
    }
    const m = /^--?p=(\d+)$/.exec(a);
    if (m) return Number(m[1]);
  }
  return null;
}

/** The worker count the build ran with: `-p`, else the host's cores. */
export function buildWorkers(model: Pick<BuildModel, 'meta'>): number {
  return buildFlagP(model.meta.argv) ?? Math.max(1, model.meta.host.cores || 1);
}
