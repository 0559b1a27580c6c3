// Chart 4: resident memory over time, each tool process stacked into the
// build's total, with the peak marked and its biggest contributor named.
// Question: which package and phase caused peak memory?
import { base, mb, ms, fmtBytes, timeAxisX, timeScale, zoomX, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';
import { isAggregatePhase } from '../importers/compile-bench.ts';

export const MEMORY_QUESTION = 'Which package and phase caused peak memory?';

export interface MemoryOptions {
  /** Time buckets across the build (each process contributes its RSS per bucket). */
  buckets: number;
}

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
  const total = new Float64Array(buckets);
  const top: { bytes: number; s: Series | null }[] = Array.from({ length: buckets }, () => ({ bytes: 0, s: null }));
  for (const s of series) {
    const first = Math.min(buckets - 1, Math.floor(s.points[0].t / width));
    const last = Math.min(buckets - 1, Math.floor(s.points[s.points.length - 1].t / width));
    let i = 0;
    let cur = 0;
    for (let b = first; b <= last; b++) {
      // The largest RSS seen in the bucket, else the last one before it.
      let inBucket = -1;
      while (i < s.points.length && s.points[i].t < (b + 1) * width) inBucket = Math.max(inBucket, s.points[i++].rss);
      if (inBucket >= 0) cur = inBucket;
      if (cur <= 0) continue;
      total[b] += cur;
      if (cur > top[b].bytes) top[b] = { bytes: cur, s };
      rows.push({ t_ms: ms(b * width), t2_ms: ms((b + 1) * width), pid: s.pid, tool: s.tool, package: s.package, rss_mb: mb(cur) });
    }
  }
  let pb = 0;
  for (let b = 1; b < buckets; b++) if (total[b] > total[pb]) pb = b;
  const who = top[pb].s!;
  const peakT = (pb + 0.5) * width;
  const peak: MemoryPeak = {
    t: peakT,
    totalBytes: total[pb],
    pid: who.pid,
    tool: who.tool,
    package: who.package,
    bytes: top[pb].bytes,
    phase: who.tool === 'compile' ? phaseAt(ctx, who.pid, who.package, peakT) : null,
  };
  const label = `peak ${fmtBytes(peak.totalBytes)}: ${peak.package} (${peak.tool}${peak.phase ? `, ~${peak.phase}` : ''}) holds ${fmtBytes(peak.bytes)}`;
  const subtitle = [
    approximated
      ? 'No /proc samples in this bundle: each run is drawn at its peak RSS (from the toolexec shim) for its whole duration.'
      : `RSS of every process from /proc snapshots, stacked into the build total, in ${buckets} time buckets of ${ms(width).toFixed(0)} ms (max per bucket).`,
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
          color: { field: 'tool', type: 'nominal' as const, title: 'tool', scale: { scheme: 'tableau10' } },
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
        data: { values: [{ t_ms: ms(peakT), total_mb: mb(peak.totalBytes), label }] },
        layer: [
          { mark: { type: 'rule' as const, color: '#d62728', strokeDash: [4, 3] }, encoding: { x: { field: 't_ms', type: 'quantitative' as const } } },
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
