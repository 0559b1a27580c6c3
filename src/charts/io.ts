// Chart 6: IO per package and over time, from /proc/PID/io. Question: which
// packages read and write the most, and when?
import { base, mb, ms, timeAxisX, timeScale, zoomX, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const IO_QUESTION = 'Which packages read and write the most, and when?';
export const IO_TOP_PACKAGES = 30;

/** The IO spec (top packages + over time), or why it cannot be drawn. */
export function ioChart(ctx: ChartContext, buckets = 120): ChartResult {
  const name = 'io';
  const byPid = new Map(ctx.runs.filter((r) => r.pid != null).map((r) => [r.pid!, r]));
  const perPkg = new Map<string, { tool: string; read: number; write: number; syscr: number; syscw: number }>();
  const end = ctx.model.meta.wallNs || 1;
  const width = end / buckets;
  const overTime = [new Float64Array(buckets), new Float64Array(buckets)];
  let any = false;
  for (const p of ctx.model.processes.values()) {
    const pts = p.points.filter((pt) => pt.rchar != null || pt.readBytes != null);
    if (pts.length === 0) continue;
    any = true;
    const run = byPid.get(p.pid);
    const pkg = run ? run.package || `(${run.tool})` : `(${p.comm || 'pid ' + p.pid})`;
    const rd = (pt: (typeof pts)[number]) => pt.rchar ?? pt.readBytes ?? 0;
    const wr = (pt: (typeof pts)[number]) => pt.wchar ?? pt.writeBytes ?? 0;
    const last = pts[pts.length - 1];
    const agg = perPkg.get(pkg) ?? { tool: run?.tool ?? p.comm, read: 0, write: 0, syscr: 0, syscw: 0 };
    // The counters are cumulative since the process started: the last snapshot is its total so far.
    agg.read += rd(last);
    agg.write += wr(last);
    agg.syscr += last.syscr ?? 0;
    agg.syscw += last.syscw ?? 0;
    perPkg.set(pkg, agg);
    let prevR = 0;
    let prevW = 0;
    for (const pt of pts) {
      const b = Math.min(buckets - 1, Math.max(0, Math.floor(pt.t / width)));
      overTime[0][b] += Math.max(0, rd(pt) - prevR);
      overTime[1][b] += Math.max(0, wr(pt) - prevW);
      prevR = rd(pt);
      prevW = wr(pt);
    }
  }
  if (!any) return { name, question: IO_QUESTION, reason: 'the bundle has no /proc/PID/io snapshots' };
  const top = [...perPkg].sort((a, b) => b[1].read + b[1].write - (a[1].read + a[1].write) || (a[0] < b[0] ? -1 : 1)).slice(0, IO_TOP_PACKAGES);
  const rows: Row[] = [];
  for (const [pkg, a] of top) {
    rows.push({ package: pkg, tool: a.tool, direction: 'read', mb: mb(a.read), syscalls: a.syscr });
    rows.push({ package: pkg, tool: a.tool, direction: 'write', mb: mb(a.write), syscalls: a.syscw });
  }
  const time: Row[] = [];
  for (let b = 0; b < buckets; b++) {
    for (const [i, dir] of (['read', 'write'] as const).entries()) {
      if (overTime[i][b] > 0) time.push({ t_ms: ms(b * width), t2_ms: ms((b + 1) * width), direction: dir, mb: mb(overTime[i][b]) });
    }
  }
  const order = top.map(([p]) => p);
  const color = { field: 'direction', type: 'nominal' as const, title: 'direction', scale: { domain: ['read', 'write'], range: ['#4c78a8', '#f58518'] } };
  const subtitle = [
    `Bytes through read/write syscalls (/proc/PID/io rchar, wchar; page-cache hits included), the ${order.length} busiest of ${perPkg.size} packages and processes.`,
    'Counters come from the last snapshot of each process, so a run that ended between two snapshots counts what was seen before.',
  ];
  const spec = {
    ...base(`IO — ${IO_QUESTION}`, subtitle),
    // The two panels plot different things along x.
    resolve: { scale: { x: 'independent' as const } },
    vconcat: [
      {
        // Bytes and syscalls side by side, per package (a few big reads and many small ones look alike in bytes).
        data: { values: rows },
        hconcat: [
          {
            width: 520,
            height: { step: 12 },
            mark: { type: 'bar' as const },
            encoding: {
              y: { field: 'package', type: 'nominal' as const, sort: order, title: null },
              yOffset: { field: 'direction', type: 'nominal' as const },
              x: { field: 'mb', type: 'quantitative' as const, title: 'MB read / written' },
              color,
              tooltip: barTooltip,
            },
          },
          {
            width: 260,
            height: { step: 12 },
            mark: { type: 'bar' as const },
            encoding: {
              y: { field: 'package', type: 'nominal' as const, sort: order, title: null, axis: null },
              yOffset: { field: 'direction', type: 'nominal' as const },
              x: { field: 'syscalls', type: 'quantitative' as const, title: 'read / write syscalls' },
              color,
              tooltip: barTooltip,
            },
          },
        ],
      },
      {
        width: 900,
        height: 140,
        title: { text: 'IO over time (MB per bucket)', fontSize: 12, anchor: 'start' as const },
        data: { values: time },
        params: [zoomX('io_zoom')],
        mark: { type: 'bar' as const, binSpacing: 0 },
        encoding: {
          x: { ...timeAxisX('t_ms', ctx.model.meta.wallNs), scale: timeScale(ms(end)) },
          x2: { field: 't2_ms' },
          // The aggregate makes VL draw vertical bars from x to x2 stacked on y.
          y: { field: 'mb', type: 'quantitative' as const, aggregate: 'sum' as const, stack: 'zero' as const, title: 'MB' },
          color,
          tooltip: [
            { field: 'direction', title: 'direction' },
            { field: 'mb', title: 'MB', type: 'quantitative' as const, aggregate: 'sum' as const, format: ',.2f' },
            { field: 't_ms', title: 'from (ms)', type: 'quantitative' as const, format: ',.0f' },
          ],
        },
      },
    ],
  };
  return { name, question: IO_QUESTION, spec: spec as never, rows, extra: { 'over-time': time } };
}

/** Both IO bar charts show the same tooltip: bytes and syscalls of one package and direction. */
const barTooltip = [
  { field: 'package', title: 'package' },
  { field: 'tool', title: 'tool' },
  { field: 'direction', title: 'direction' },
  { field: 'mb', title: 'MB', format: ',.2f' },
  { field: 'syscalls', title: 'syscalls', format: ',' },
];
