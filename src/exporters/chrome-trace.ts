// `gbp trace`: the build as Chrome trace-event JSON for Perfetto or
// chrome://tracing. One thread per worker lane holding the tool runs (named
// by package), a track for the critical path, and counters for total RSS,
// CPU in use and runs in flight.
// Format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
import type { BuildModel } from '../model/types.ts';
import { toolRuns, concurrency } from '../analyze/tool-runs.ts';
import { criticalPath } from '../analyze/critical-path.ts';

/** Options of chromeTrace; defaults in DEFAULT_TRACE_OPTIONS. */
export interface TraceOptions {
  /** Time buckets for the RSS and CPU counters. */
  counterBuckets: number;
}

/** 1000 buckets for the RSS and CPU counter tracks. */
export const DEFAULT_TRACE_OPTIONS: TraceOptions = { counterBuckets: 1000 };

/** One trace event (the subset of fields we write). `ts`/`dur` are µs since build start. */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'C' | 'M';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, string | number | boolean | null>;
}

const PID = 1;
const CRITICAL_TID = 1000;

/** The trace as a JSON object (`{traceEvents, displayTimeUnit, metadata}`). */
export function chromeTrace(model: BuildModel, opts: Partial<TraceOptions> = {}): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms'; metadata: Record<string, unknown> } {
  const o = { ...DEFAULT_TRACE_OPTIONS, ...opts };
  const us = (ns: number) => Math.round(ns) / 1e3;
  const ev: TraceEvent[] = [];
  const runs = toolRuns(model);
  ev.push({ name: 'process_name', ph: 'M', pid: PID, args: { name: `go build (${model.meta.host.cores} cores)` } });
  const lanes = runs.reduce((m, r) => Math.max(m, r.lane + 1), 0);
  for (let l = 0; l < lanes; l++) {
    ev.push({ name: 'thread_name', ph: 'M', pid: PID, tid: l + 1, args: { name: `worker lane ${l}` } });
    ev.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: l + 1, args: { sort_index: l + 1 } });
  }
  for (const r of runs) {
    ev.push({
      name: r.package || r.tool,
      cat: r.tool,
      ph: 'X',
      pid: PID,
      tid: r.lane + 1,
      ts: us(r.start),
      dur: us(r.end - r.start),
      args: { tool: r.tool, package: r.package, pid: r.pid, cpu_ms: r.cpuNs == null ? null : r.cpuNs / 1e6, max_rss_mb: r.maxRssBytes == null ? null : r.maxRssBytes / 1e6 },
    });
  }
  if (model.actions.length) {
    const cp = criticalPath(model);
    ev.push({ name: 'thread_name', ph: 'M', pid: PID, tid: CRITICAL_TID, args: { name: `critical path (${(cp.lengthNs / 1e9).toFixed(2)} s)` } });
    ev.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: CRITICAL_TID, args: { sort_index: 0 } });
    for (const s of cp.steps) {
      if (s.startNs == null || s.doneNs == null) continue;
      ev.push({ name: s.package || s.mode, cat: `critical,${s.mode}`, ph: 'X', pid: PID, tid: CRITICAL_TID, ts: us(s.startNs), dur: us(s.doneNs - s.startNs), args: { mode: s.mode, queue_ms: s.queueNs == null ? null : s.queueNs / 1e6 } });
    }
  }
  for (const c of concurrency(runs)) ev.push({ name: 'runs in flight', ph: 'C', pid: PID, ts: us(c.t), args: { runs: c.n } });
  for (const c of procCounters(model, o.counterBuckets)) {
    ev.push({ name: 'total RSS (MB)', ph: 'C', pid: PID, ts: us(c.t), args: { rss_mb: Math.round(c.rss / 1e3) / 1e3 } });
    ev.push({ name: 'CPU in use (cores)', ph: 'C', pid: PID, ts: us(c.t), args: { cores: Math.round(c.cores * 1000) / 1000 } });
  }
  return {
    traceEvents: ev,
    displayTimeUnit: 'ms',
    metadata: { argv: model.meta.argv, goVersion: model.meta.goVersion, startNs: model.meta.startNs, wallNs: model.meta.wallNs, cores: model.meta.host.cores },
  };
}

/** Per bucket: sum of the processes' RSS and the CPU they used (cores = CPU ns / bucket ns), from /proc snapshots. */
export function procCounters(model: BuildModel, buckets: number): { t: number; rss: number; cores: number }[] {
  const procs = [...model.processes.values()].filter((p) => p.points.length > 0);
  if (procs.length === 0) return [];
  const end = Math.max(model.meta.wallNs, ...procs.map((p) => p.points[p.points.length - 1].t));
  const width = Math.max(1, end / buckets);
  const rss = new Float64Array(buckets + 1);
  const cpu = new Float64Array(buckets + 1);
  for (const p of procs) {
    let prevCpu = 0;
    let prevT = p.start ?? p.points[0].t;
    let b = Math.max(0, Math.floor(p.points[0].t / width));
    let cur = 0;
    for (const pt of p.points) {
      const pb = Math.min(buckets, Math.max(0, Math.floor(pt.t / width)));
      // Carry the last RSS through the buckets between two snapshots.
      for (; b < pb; b++) rss[b] += cur;
      cur = pt.rssBytes;
      // Spread the CPU used since the last snapshot evenly over that interval's buckets.
      const used = Math.max(0, pt.cpuNs - prevCpu);
      spread(cpu, prevT, pt.t, used, width, buckets);
      prevCpu = pt.cpuNs;
      prevT = pt.t;
    }
    rss[b] += cur;
  }
  const out: { t: number; rss: number; cores: number }[] = [];
  for (let b = 0; b <= buckets; b++) out.push({ t: b * width, rss: rss[b], cores: cpu[b] / width });
  return out;
}

function spread(into: Float64Array, from: number, to: number, amount: number, width: number, buckets: number): void {
  if (amount <= 0) return;
  if (to <= from) {
    into[Math.min(buckets, Math.max(0, Math.floor(to / width)))] += amount;
    return;
  }
  const rate = amount / (to - from);
  for (let b = Math.max(0, Math.floor(from / width)); b <= buckets && b * width < to; b++) {
    const lo = Math.max(from, b * width);
    const hi = Math.min(to, (b + 1) * width);
    if (hi > lo) into[b] += (hi - lo) * rate;
  }
}
