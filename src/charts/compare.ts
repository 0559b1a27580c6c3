// Chart 7 (with --compare): per-package change in build time between a base
// build and this one. Question: which packages got slower or faster?
import { base, ms, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const COMPARE_QUESTION = 'Which packages got slower or faster than the base build?';
export const COMPARE_TOP = 40;

function perPackage(ctx: ChartContext): Map<string, { wall: number; cpu: number }> {
  const m = new Map<string, { wall: number; cpu: number }>();
  for (const r of ctx.runs) {
    const k = r.package || `(${r.tool})`;
    const a = m.get(k) ?? { wall: 0, cpu: 0 };
    a.wall += r.end - r.start;
    a.cpu += r.cpuNs ?? 0;
    m.set(k, a);
  }
  return m;
}

/** Rows: one per package in either build, delta = new − base (ms). */
export function compareRows(baseCtx: ChartContext, newCtx: ChartContext): Row[] {
  const b = perPackage(baseCtx);
  const n = perPackage(newCtx);
  const rows: Row[] = [];
  for (const pkg of new Set([...b.keys(), ...n.keys()])) {
    const bw = b.get(pkg)?.wall ?? 0;
    const nw = n.get(pkg)?.wall ?? 0;
    rows.push({
      package: pkg,
      base_ms: ms(bw),
      new_ms: ms(nw),
      delta_ms: ms(nw - bw),
      delta_pct: bw > 0 ? Math.round(((nw - bw) / bw) * 1000) / 10 : null,
      status: !b.has(pkg) ? 'added' : !n.has(pkg) ? 'removed' : nw >= bw ? 'slower' : 'faster',
    });
  }
  rows.sort((x, y) => Math.abs(Number(y.delta_ms)) - Math.abs(Number(x.delta_ms)) || (x.package! < y.package! ? -1 : 1));
  return rows;
}

export function compareChart(baseCtx: ChartContext, newCtx: ChartContext): ChartResult {
  const name = 'compare';
  const all = compareRows(baseCtx, newCtx);
  if (all.length === 0) return { name, question: COMPARE_QUESTION, reason: 'neither build has tool runs' };
  const rows = all.slice(0, COMPARE_TOP);
  const wallDelta = newCtx.model.meta.wallNs - baseCtx.model.meta.wallNs;
  const subtitle = [
    `The ${rows.length} largest changes of ${all.length} packages in wall time of their tool runs (new − base). Single runs are noisy: compare several captures with \`gbp diff\` before calling a change a regression.`,
    `Build wall: ${(baseCtx.model.meta.wallNs / 1e9).toFixed(2)} s → ${(newCtx.model.meta.wallNs / 1e9).toFixed(2)} s (${wallDelta >= 0 ? '+' : ''}${(wallDelta / 1e9).toFixed(2)} s).`,
  ];
  const spec = {
    ...base(`Compared with the base — ${COMPARE_QUESTION}`, subtitle),
    width: 700,
    height: { step: 14 },
    data: { values: rows },
    mark: { type: 'bar' as const },
    encoding: {
      y: { field: 'package', type: 'nominal' as const, sort: rows.map((r) => r.package as string), title: null },
      x: { field: 'delta_ms', type: 'quantitative' as const, title: 'change in build time (ms; right = slower)' },
      color: {
        field: 'status',
        type: 'nominal' as const,
        title: 'change',
        scale: { domain: ['slower', 'faster', 'added', 'removed'], range: ['#d62728', '#2ca02c', '#ff9896', '#98df8a'] },
      },
      tooltip: [
        { field: 'package', title: 'package' },
        { field: 'base_ms', title: 'base (ms)', format: ',.1f' },
        { field: 'new_ms', title: 'new (ms)', format: ',.1f' },
        { field: 'delta_ms', title: 'delta (ms)', format: '+,.1f' },
        { field: 'delta_pct', title: 'delta (%)', format: '+.1f' },
        { field: 'status', title: 'change' },
      ],
    },
  };
  return { name, question: COMPARE_QUESTION, spec: spec as never, rows: all };
}
