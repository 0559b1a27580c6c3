// Chart 5: dependency depth against time spent building each package, with
// the critical path marked and per-depth aggregates. Question: are the deep
// packages, the ones everything waits for, also the slow ones?
import { base, ms, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const DEPTH_QUESTION = 'Are the deep packages, the ones everything waits for, also the slow ones?';

/** One row per package with both a depth and at least one tool run. */
export function depthRows(ctx: ChartContext): Row[] {
  const dur = new Map<string, { wall: number; cpu: number; runs: number }>();
  for (const r of ctx.runs) {
    if (!r.package) continue;
    const d = dur.get(r.package) ?? { wall: 0, cpu: 0, runs: 0 };
    d.wall += r.end - r.start;
    d.cpu += r.cpuNs ?? 0;
    d.runs++;
    dur.set(r.package, d);
  }
  const crit = new Set(ctx.critical?.packages ?? []);
  const rows: Row[] = [];
  for (const [pkg, d] of [...dur].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const depth = ctx.depth.get(pkg);
    // The log axis needs a positive time.
    if (depth === undefined || d.wall <= 0) continue;
    rows.push({ package: pkg, depth, depth_jitter: depth + jitter(pkg), duration_ms: ms(d.wall), cpu_ms: ms(d.cpu), runs: d.runs, critical: crit.has(pkg), on: crit.has(pkg) ? 'critical path' : 'other' });
  }
  return rows;
}

/** Scatter of each package's depth against its compile time, critical path marked (Vega-Lite spec). */
export function depthScatter(ctx: ChartContext): ChartResult {
  const name = 'depth-duration';
  if (ctx.depth.size === 0) return { name, question: DEPTH_QUESTION, reason: 'no dependency depths (the bundle has no go list output)' };
  const rows = depthRows(ctx);
  if (rows.length === 0) return { name, question: DEPTH_QUESTION, reason: 'no tool runs could be matched to packages of the import graph' };
  const maxDepth = Math.max(...rows.map((r) => Number(r.depth)));
  const subtitle = [
    'Each dot is a package: its depth (longest import chain from the roots) and the wall time of its tool runs (jittered sideways).',
    `${ctx.critical ? 'Red: on the critical path. ' : ''}Line: median per depth. Bars below: total per depth.`,
  ];
  const xScale = { domain: [-0.5, maxDepth + 0.5], nice: false, zero: false };
  const spec = {
    ...base(`Depth vs duration — ${DEPTH_QUESTION}`, subtitle),
    data: { values: rows },
    // The two panels plot different things along x.
    resolve: { scale: { x: 'independent' as const } },
    vconcat: [
      {
        width: 900,
        height: 300,
        layer: [
          {
            params: [{ name: 'depth_zoom', select: { type: 'interval' as const }, bind: 'scales' as const }],
            mark: { type: 'point' as const, filled: true, size: 36 },
            encoding: {
              x: { field: 'depth_jitter', type: 'quantitative' as const, title: 'dependency depth', scale: xScale, axis: { tickMinStep: 1, format: 'd' } },
              y: { field: 'duration_ms', type: 'quantitative' as const, title: 'build time of the package (ms, log scale)', scale: { type: 'log' as const } },
              color: {
                field: 'on',
                type: 'nominal' as const,
                title: null,
                scale: { domain: ['other', 'critical path'], range: ['#4c78a8', '#d62728'] },
              },
              opacity: { condition: { test: 'datum.critical', value: 1 }, value: 0.55 },
              tooltip: [
                { field: 'package', title: 'package' },
                { field: 'depth', title: 'depth' },
                { field: 'duration_ms', title: 'wall (ms)', format: ',.1f' },
                { field: 'cpu_ms', title: 'CPU (ms)', format: ',.1f' },
                { field: 'critical', title: 'on critical path' },
              ],
            },
          },
          {
            mark: { type: 'line' as const, color: '#555', point: { color: '#555', size: 20 } },
            encoding: {
              x: { field: 'depth', type: 'quantitative' as const, scale: xScale },
              y: { field: 'duration_ms', aggregate: 'median' as const, type: 'quantitative' as const, title: 'build time of the package (ms, log scale)' },
              tooltip: [
                { field: 'depth', title: 'depth', type: 'quantitative' as const },
                { field: 'duration_ms', aggregate: 'median' as const, title: 'median (ms)', type: 'quantitative' as const, format: ',.1f' },
              ],
            },
          },
        ],
      },
      {
        width: 900,
        height: 110,
        mark: { type: 'bar' as const, color: '#9ecae1' },
        encoding: {
          x: { field: 'depth', type: 'ordinal' as const, title: 'dependency depth', axis: { labelAngle: 0 } },
          y: { field: 'duration_ms', aggregate: 'sum' as const, type: 'quantitative' as const, title: 'total (ms)' },
          tooltip: [
            { field: 'depth', title: 'depth', type: 'ordinal' as const },
            { field: 'duration_ms', aggregate: 'sum' as const, title: 'total wall (ms)', type: 'quantitative' as const, format: ',.0f' },
            { field: 'duration_ms', aggregate: 'max' as const, title: 'max (ms)', type: 'quantitative' as const, format: ',.0f' },
            { field: 'package', aggregate: 'count' as const, title: 'packages', type: 'quantitative' as const },
          ],
        },
      },
    ],
  };
  return { name, question: DEPTH_QUESTION, spec: spec as never, rows };
}

/** A stable sideways offset in [-0.3, 0.3) from the package name, so dots at one depth do not overlap (and output stays deterministic). */
function jitter(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return Math.round((((h >>> 0) / 2 ** 32) * 0.6 - 0.3) * 1000) / 1000;
}
