// Chart 1: the build timeline. A Gantt of tool runs by worker lane with the
// critical path outlined, over a band of how many runs were in flight
// against the cores available. Question: where did the build wait?
import { concurrency } from '../analyze/tool-runs.ts';
import { base, ms, timeAxisX, timeScale, toolColorScale, zoomX, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const TIMELINE_QUESTION = 'Where did the build wait?';

/** Rows of the Gantt: one per tool run. */
export function timelineRows(ctx: ChartContext): Row[] {
  const crit = new Set(ctx.critical?.packages ?? []);
  return ctx.runs.map((r) => ({
    lane: r.lane,
    tool: r.tool,
    package: r.package || `(${r.tool})`,
    start_ms: ms(r.start),
    end_ms: ms(r.end),
    duration_ms: ms(r.end - r.start),
    cpu_ms: r.cpuNs == null ? null : ms(r.cpuNs),
    critical: crit.has(r.package),
  }));
}

/**
 * The Gantt + concurrency band spec, or why it cannot be drawn. `endNs` fixes
 * the time axis's end, so two builds' timelines share a scale.
 */
export function timelineChart(ctx: ChartContext, name = 'timeline', endNs?: number): ChartResult {
  const question = ctx.label ? `${ctx.label}: ${TIMELINE_QUESTION}` : TIMELINE_QUESTION;
  if (ctx.runs.length === 0) {
    return { name, question, reason: 'the bundle has neither a toolexec log nor action-graph times' };
  }
  const rows = timelineRows(ctx);
  const cores = ctx.model.meta.host.cores;
  const conc: Row[] = concurrency(ctx.runs).map((c) => ({ t_ms: ms(c.t), running: c.n }));
  // Close the step at the wall so the band spans the whole build.
  conc.push({ t_ms: ms(Math.max(ctx.model.meta.wallNs, ...ctx.runs.map((r) => r.end))), running: 0 });
  const lanes = Math.max(...ctx.runs.map((r) => r.lane)) + 1;
  const wall = ctx.model.meta.wallNs;
  const zoom = `${name.replace(/\W/g, '_')}_zoom`;
  const endMs = Math.max(Number(conc[conc.length - 1].t_ms), endNs ? ms(endNs) : 0);
  // Both views start on the whole build; the band follows the Gantt's zoom.
  const x = { ...timeAxisX('start_ms', wall), scale: timeScale(endMs) };
  const tooltip = [
    { field: 'package', title: 'package' },
    { field: 'tool', title: 'tool' },
    { field: 'duration_ms', title: 'wall (ms)', format: ',.1f' },
    { field: 'cpu_ms', title: 'CPU (ms)', format: ',.1f' },
    { field: 'lane', title: 'lane' },
    { field: 'critical', title: 'on critical path' },
  ];
  const subtitle = [
    `${rows.length} tool runs on ${lanes} lanes (a lane is a slot the go command kept busy); ${cores} cores.`,
    ctx.critical
      ? `Outlined in red: the critical path (${ctx.critical.packages.length} packages). Drag to pan, wheel to zoom.`
      : 'Critical path not available for this bundle. Drag to pan, wheel to zoom.',
  ];
  const spec = {
    ...base(`${ctx.label ? `${ctx.label}: ` : ''}Build timeline — ${TIMELINE_QUESTION}`, subtitle),
    // One time axis for both views: zooming the Gantt zooms the band.
    resolve: { scale: { x: 'shared' as const } },
    vconcat: [
      {
        width: 900,
        height: Math.min(600, Math.max(120, lanes * 16)),
        data: { values: rows },
        params: [zoomX(zoom)],
        mark: { type: 'bar' as const, height: { band: 0.85 } },
        encoding: {
          y: { field: 'lane', type: 'ordinal' as const, title: 'worker lane', axis: { labelFontSize: 9 } },
          x,
          x2: { field: 'end_ms' },
          color: { field: 'tool', type: 'nominal' as const, title: 'tool', scale: toolColorScale(ctx.runs.map((r) => r.tool)) },
          stroke: {
            condition: { test: 'datum.critical', value: '#d62728' },
            value: null,
          },
          strokeWidth: { condition: { test: 'datum.critical', value: 2 }, value: 0 },
          tooltip,
        },
      },
      {
        width: 900,
        height: 90,
        title: { text: `runs in flight vs ${cores} cores (dashed)`, fontSize: 12, anchor: 'start' as const },
        layer: [
          {
            data: { values: conc },
            mark: { type: 'area' as const, interpolate: 'step-after' as const, color: '#7f7f7f', opacity: 0.6 },
            encoding: {
              x: { ...timeAxisX('t_ms', wall), scale: timeScale(endMs) },
              y: { field: 'running', type: 'quantitative' as const, title: 'runs' },
              tooltip: [
                { field: 't_ms', title: 'time (ms)', type: 'quantitative' as const, format: ',.0f' },
                { field: 'running', title: 'runs in flight', type: 'quantitative' as const },
              ],
            },
          },
          {
            data: { values: [{ cores }] },
            mark: { type: 'rule' as const, color: '#d62728', strokeDash: [4, 3], strokeWidth: 1.5 },
            encoding: { y: { field: 'cores', type: 'quantitative' as const } },
          },
        ],
      },
    ],
  };
  return { name, question, spec: spec as never, rows, extra: { concurrency: conc } };
}
