// Chart 4: resident memory over time, each tool process stacked into the
// build's total, with the peak marked and its biggest contributor named.
// Question: which package and phase caused peak memory?
import { base, mb, ms, fmtBytes, timeAxisX, timeScale, toolColorScale, zoomX, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';
import { isAggregatePhase } from '../importers/compile-bench.ts';

export const MEMORY_QUESTION = 'Which package and phase caused peak memory?';

/** Options of memoryChart; defaults in DEFAULT_MEMORY_OPTIONS. */
export interface MemoryOptions {
  /** Time buckets across the build (each process contributes its RSS per bucket). */
  buckets: number;
}

/** 240 time buckets. */
export const DEFAULT_MEMORY_OPTIONS: MemoryOptions = { buckets: 240 };

/** Where the build's total RSS peaked and who held the most of it. */
export interface MemoryPeak {
  t: number;
  totalBytes: number;
  pid: number;
  tool: string;
  package: string;
  bytes: number;
  /** Compiler phase the top process was in at the peak, estimated from its phase shares; null if unknown. */
  phase: string | null;
}

interface Series {
  pid: number;
  tool: string;
  package: string;
  points: { t: number; rss: number }[];
}

/** The stacked-RSS spec and the peak, or why it cannot be drawn. */
export function memoryChart(ctx: ChartContext, opts: Partial<MemoryOptions> = {}): ChartResult & { peak?: MemoryPeak } {
  const name = 'memory';
  const { buckets } = { ...DEFAULT_MEMORY_OPTIONS, ...opts };
  const { series, approximated } = memorySeries(ctx);
  if (series.length === 0) return { name, question: MEMORY_QUESTION, reason: 'the bundle has neither /proc snapshots nor per-run peak RSS' };
  const end = Math.max(ctx.model.meta.wallNs, ...series.map((s) => s.points[s.points.length - 1].t)) || 1;
  const width = end / buckets;
  const rows: Row[] = [];
  // Each bar shows the processes alive at the bucket's end, at their latest
  // snapshot: a process that ended inside the bucket is not counted next to
  // the one that replaced it (a max per bucket would double-count them).
  for (const s of series) {
    let i = 0;
    const lastT = s.points[s.points.length - 1].t;
    for (let b = Math.floor(s.points[0].t / width); b < buckets; b++) {
      const at = (b + 1) * width;
      if (at > lastT && b > Math.floor(s.points[0].t / width)) break;
      while (i + 1 < s.points.length && s.points[i + 1].t <= at) i++;
      const rss = s.points[i].rss;
      if (rss > 0) rows.push({ t_ms: ms(b * width), t2_ms: ms(at), pid: s.pid, tool: s.tool, package: s.package, rss_mb: mb(rss) });
    }
  }
  const peak = exactPeak(ctx, series);
  const label = `peak ${fmtBytes(peak.totalBytes)}: ${peak.package} (${peak.tool}${peak.phase ? `, ~${peak.phase}` : ''}) holds ${fmtBytes(peak.bytes)}`;
  const subtitle = [
    approximated
      ? 'No /proc samples in this bundle: each run is drawn at its peak RSS (from the toolexec shim) for its whole duration.'
      : `RSS of every process from /proc snapshots, stacked into the build total; each bar is the ${ms(width).toFixed(0)} ms bucket's end. The peak is exact, over every snapshot.`,
    `${label}. The phase is estimated from where the run was in time against its -bench phase shares.`,
  ];
  const xScale = timeScale(ms(end));
  const x = { ...timeAxisX('t_ms', ctx.model.meta.wallNs), scale: xScale };
  const spec = {
    ...base(`Memory over time — ${MEMORY_QUESTION}`, subtitle),
    width: 900,
    height: 260,
    layer: [
      {
        data: { values: rows },
        params: [zoomX('memory_zoom')],
        mark: { type: 'bar' as const, binSpacing: 0 },
        encoding: {
          x,
          x2: { field: 't2_ms' },
          y: { field: 'rss_mb', type: 'quantitative' as const, aggregate: 'sum' as const, stack: 'zero' as const, title: 'resident memory (MB)' },
          color: { field: 'tool', type: 'nominal' as const, title: 'tool', scale: toolColorScale(series.map((x) => x.tool)) },
          detail: { field: 'pid', type: 'nominal' as const },
          order: { field: 'pid', type: 'quantitative' as const },
          tooltip: [
            { field: 'package', title: 'package' },
            { field: 'tool', title: 'tool' },
            { field: 'pid', title: 'pid' },
            { field: 'rss_mb', title: 'RSS (MB)', type: 'quantitative' as const, aggregate: 'sum' as const, format: ',.1f' },
            { field: 't_ms', title: 'at (ms)', type: 'quantitative' as const, format: ',.0f' },
          ],
        },
      },
      {
        data: { values: [{ t_ms: ms(peak.t), total_mb: mb(peak.totalBytes), label, short: `peak ${fmtBytes(peak.totalBytes)}: ${peak.package}` }] },
        layer: [
          { mark: { type: 'rule' as const, color: '#d62728', strokeDash: [4, 3] }, encoding: { x: { field: 't_ms', type: 'quantitative' as const } } },
          {
            mark: { type: 'text' as const, color: '#d62728', align: 'left' as const, dx: 8, dy: -4, fontSize: 11, fontWeight: 'bold' as const },
            encoding: {
              x: { field: 't_ms', type: 'quantitative' as const },
              y: { field: 'total_mb', type: 'quantitative' as const },
              text: { field: 'short' },
            },
          },
          {
            mark: { type: 'point' as const, shape: 'triangle-down', color: '#d62728', size: 90, filled: true },
            encoding: {
              x: { field: 't_ms', type: 'quantitative' as const },
              y: { field: 'total_mb', type: 'quantitative' as const },
              tooltip: [{ field: 'label', title: 'peak' }],
            },
          },
        ],
      },
    ],
  };
  return { name, question: MEMORY_QUESTION, spec: spec as never, rows, peak };
}

/** The largest total RSS at any snapshot instant (processes count from their first to their last snapshot) and its biggest holder. */
function exactPeak(ctx: ChartContext, series: Series[]): MemoryPeak {
  // Sweep every snapshot in time order, keeping each live process's latest RSS.
  const ev: [number, number, number][] = []; // [t, series index, rss or -1 = gone]
  series.forEach((s, k) => {
    for (const p of s.points) ev.push([p.t, k, p.rss]);
    ev.push([s.points[s.points.length - 1].t, k, -1]);
  });
  // At one instant: updates first, then departures, so a process counts at its last snapshot.
  ev.sort((a, b) => a[0] - b[0] || (a[2] < 0 ? 1 : 0) - (b[2] < 0 ? 1 : 0));
  const cur = new Float64Array(series.length);
  let total = 0;
  let best = -1;
  let bestT = 0;
  for (let i = 0; i < ev.length; i++) {
    const [t, k, rss] = ev[i];
    const v = rss < 0 ? 0 : rss;
    total += v - cur[k];
    cur[k] = v;
    // Judge the total once all events of this instant are applied except departures.
    const next = ev[i + 1];
    if (rss >= 0 && (!next || next[0] !== t || next[2] < 0) && total > best) {
      best = total;
      bestT = t;
    }
  }
  let who = 0;
  let bytes = -1;
  series.forEach((s, k) => {
    const v = rssAt(s, bestT);
    if (v > bytes) {
      bytes = v;
      who = k;
    }
  });
  const s = series[who];
  return { t: bestT, totalBytes: best, pid: s.pid, tool: s.tool, package: s.package, bytes, phase: s.tool === 'compile' ? phaseAt(ctx, s.pid, s.package, bestT) : null };
}

/** RSS of a series at time t (its latest snapshot at or before t), 0 outside its life. */
export function rssAt(s: { points: { t: number; rss: number }[] }, t: number): number {
  if (t < s.points[0].t || t > s.points[s.points.length - 1].t) return 0;
  let v = 0;
  for (const p of s.points) {
    if (p.t > t) break;
    v = p.rss;
  }
  return v;
}

/** One RSS series per process, tied to its tool run; falls back to the shim's per-run peak RSS. */
function memorySeries(ctx: ChartContext): { series: Series[]; approximated: boolean } {
  const byPid = new Map(ctx.runs.filter((r) => r.pid != null).map((r) => [r.pid!, r]));
  const series: Series[] = [];
  for (const p of ctx.model.processes.values()) {
    if (p.points.length === 0) continue;
    const run = byPid.get(p.pid);
    series.push({
      pid: p.pid,
      tool: run?.tool ?? (p.comm || 'other'),
      package: run ? run.package || `(${run.tool})` : `(${p.comm || 'pid ' + p.pid})`,
      points: p.points.map((pt) => ({ t: pt.t, rss: pt.rssBytes })),
    });
  }
  if (series.length > 0) return { series, approximated: false };
  for (const r of ctx.runs) {
    if (!r.maxRssBytes) continue;
    series.push({
      pid: r.pid ?? -r.seq,
      tool: r.tool,
      package: r.package || `(${r.tool})`,
      points: [
        { t: r.start, rss: r.maxRssBytes },
        { t: r.end, rss: r.maxRssBytes },
      ],
    });
  }
  return { series, approximated: true };
}

/** The compiler phase a compile was in at time t, assuming phases run in order at -bench's proportions. */
function phaseAt(ctx: ChartContext, pid: number, pkg: string, t: number): string | null {
  const run = ctx.runs.find((r) => r.pid === pid);
  if (!run || run.end <= run.start) return null;
  const phases = ctx.model.phases.filter((p) => p.package === pkg && !isAggregatePhase(p.phase));
  const sum = phases.reduce((a, p) => a + p.ns, 0);
  if (sum <= 0) return null;
  const f = Math.min(1, Math.max(0, (t - run.start) / (run.end - run.start)));
  let acc = 0;
  for (const p of phases) {
    acc += p.ns / sum;
    if (f <= acc) return p.phase;
  }
  return phases[phases.length - 1].phase;
}
