// The critical path through the action graph with the measured durations
// (the classic critical-path method: earliest/latest start, slack), and the
// build's parallelism over time.
import type { BuildModel } from '../model/types.ts';
import { buildActionDag, buildWorkers, type ActionDag } from './action-dag.ts';
import { chainOf, graphMetrics, type GraphMetrics } from './graph-metrics.ts';
import { phasesByPackage } from './package-costs.ts';

/** One action in the critical-path method: earliest/latest start and slack, ns. */
export interface ActionTiming {
  id: number;
  mode: string;
  package: string;
  durationNs: number;
  /** Earliest start/finish with unlimited workers, ns after the graph starts. */
  earliestStartNs: number;
  earliestFinishNs: number;
  /** Latest start that does not lengthen the critical path, ns. */
  latestStartNs: number;
  /** latest − earliest start: how much later this action could run for free, ns. */
  slackNs: number;
  critical: boolean;
}

/** One action on the critical path, with its package's phases and import chain. */
export interface CriticalStep {
  id: number;
  mode: string;
  package: string;
  durationNs: number;
  /** Measured start and done, relative ns (null when the action never ran). */
  startNs: number | null;
  doneNs: number | null;
  /** Measured wait between ready and start, ns. */
  queueNs: number | null;
  /** Leaf compiler phases of the package, ns (empty without -bench). */
  phases: Record<string, number>;
  /** Shortest import chain from a root: why this package is built. */
  chain: string[];
}

/** The critical path through the action graph and every action's slack (ns). */
export interface CriticalPath {
  /** Sum of the durations on the path: the wall time with unlimited workers, ns. */
  lengthNs: number;
  /** First action (a leaf) to last (the root). */
  steps: CriticalStep[];
  /** Every action's earliest/latest start and slack, in action order. */
  actions: ActionTiming[];
  /** Longest single action, ns: the path can be no shorter. */
  longestActionNs: number;
  /** Sum of all action durations, ns: the one-worker wall. */
  totalWorkNs: number;
}

/** Options of criticalPath: durations to use instead of the measured ones. */
export interface CriticalPathOptions {
  /** Duration per action index; defaults to the measured done − start. */
  durationNs?: number[];
}

/** The longest chain of dependent actions, by measured duration, and every action's slack. */
export function criticalPath(model: BuildModel, opts: CriticalPathOptions = {}, dag: ActionDag = buildActionDag(model), graph?: GraphMetrics): CriticalPath {
  const d = opts.durationNs ?? dag.durationNs;
  const n = dag.actions.length;
  const es = new Array<number>(n).fill(0);
  const via = new Array<number>(n).fill(-1);
  for (const i of dag.topo) {
    for (const j of dag.deps[i]) {
      const f = es[j] + d[j];
      // Ties go to the dep that finished last in reality: the one the build actually waited for.
      const later = via[i] >= 0 && f === es[i] && (dag.actions[j].done ?? 0) > (dag.actions[via[i]].done ?? 0);
      if (via[i] < 0 || f > es[i] || later) {
        es[i] = Math.max(es[i], f);
        via[i] = j;
      }
    }
  }
  let length = 0;
  let end = -1;
  for (let i = 0; i < n; i++) {
    const f = es[i] + d[i];
    if (end < 0 || f > length || (f === length && (dag.actions[i].done ?? 0) > (dag.actions[end].done ?? 0))) {
      length = f;
      end = i;
    }
  }
  const lf = new Array<number>(n).fill(length);
  for (let k = dag.topo.length - 1; k >= 0; k--) {
    const i = dag.topo[k];
    for (const j of dag.dependents[i]) lf[i] = Math.min(lf[i], lf[j] - d[j]);
  }
  const onPath = new Uint8Array(n);
  const path: number[] = [];
  for (let v = end; v >= 0; v = via[v]) {
    path.push(v);
    onPath[v] = 1;
  }
  path.reverse();

  const g = graph ?? graphMetrics(model);
  const phases = phasesByPackage(model);
  const steps: CriticalStep[] = path.map((i) => {
    const a = dag.actions[i];
    return {
      id: a.id,
      mode: a.mode,
      package: a.package,
      durationNs: d[i],
      startNs: a.start,
      doneNs: a.done,
      queueNs: a.ready != null && a.start != null ? Math.max(0, a.start - a.ready) : null,
      phases: a.mode === 'build' ? { ...(phases.get(a.package)?.leaf ?? {}) } : {},
      chain: chainOf(g, a.package),
    };
  });
  const actions: ActionTiming[] = dag.actions.map((a, i) => {
    const ls = lf[i] - d[i];
    return {
      id: a.id, mode: a.mode, package: a.package, durationNs: d[i],
      earliestStartNs: es[i], earliestFinishNs: es[i] + d[i], latestStartNs: ls,
      slackNs: Math.max(0, ls - es[i]), critical: onPath[i] === 1,
    };
  });
  let longest = 0;
  let total = 0;
  for (const x of d) {
    if (x > longest) longest = x;
    total += x;
  }
  return { lengthNs: length, steps, actions, longestActionNs: longest, totalWorkNs: total };
}

/** Actions running at once over the build, bucketed, against workers and cores. */
export interface ParallelismProfile {
  bucketNs: number;
  /** Start of bucket 0, relative ns (the first action start). */
  startNs: number;
  /** Average number of actions running in each bucket. */
  running: number[];
  /** Most actions running at any one instant. */
  peak: number;
  /** Sum of action durations / span of the action graph: the average achieved. */
  average: number;
  /** Workers the go command had (-p, else the cores). */
  workers: number;
  cores: number;
}

/** How many actions ran at once over the build, bucketed, against the cores available. */
export function parallelismOverTime(model: BuildModel, opts: { buckets?: number; bucketNs?: number } = {}): ParallelismProfile {
  const ivs: Array<[number, number]> = [];
  for (const a of model.actions) if (a.start != null && a.done != null && a.done > a.start) ivs.push([a.start, a.done]);
  const cores = Math.max(1, model.meta.host.cores || 1);
  const workers = buildWorkers(model);
  if (ivs.length === 0) return { bucketNs: opts.bucketNs ?? 0, startNs: 0, running: [], peak: 0, average: 0, workers, cores };
  const t0 = Math.min(...ivs.map((x) => x[0]));
  const t1 = Math.max(...ivs.map((x) => x[1]));
  const span = Math.max(1, t1 - t0);
  const bucketNs = opts.bucketNs ?? Math.max(1, Math.ceil(span / (opts.buckets ?? 100)));
  const nb = Math.max(1, Math.ceil(span / bucketNs));
  const running = new Array<number>(nb).fill(0);
  let work = 0;
  for (const [s, e] of ivs) {
    work += e - s;
    // Spread the interval over the buckets it covers, by overlap.
    for (let b = Math.floor((s - t0) / bucketNs); b < nb && t0 + b * bucketNs < e; b++) {
      const lo = Math.max(s, t0 + b * bucketNs);
      const hi = Math.min(e, t0 + (b + 1) * bucketNs);
      if (hi > lo) running[b] += (hi - lo) / bucketNs;
    }
  }
  const ev: Array<[number, number]> = [];
  for (const [s, e] of ivs) ev.push([s, 1], [e, -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // ends before starts at the same instant
  let cur = 0;
  let peak = 0;
  for (const [, k] of ev) {
    cur += k;
    if (cur > peak) peak = cur;
  }
  return { bucketNs, startNs: t0, running, peak, average: work / span, workers, cores };
}
