// Chart 7 (with --compare): per-package change in build time between a base
// build and this one, judged by the same rules as `gbp diff` (changes under
// its thresholds are noise). Question: which packages got slower or faster?
import { diffBuilds, DEFAULT_DIFF_OPTIONS, type BuildDiff } from '../analyze/diff.ts';
import { base, ms, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const COMPARE_QUESTION = 'Which packages got slower or faster than the base build?';
export const COMPARE_TOP = 40;

/** Rows: one per package in either build, delta = new − base (ms), with `gbp diff`'s verdict. */
export function compareRows(d: BuildDiff): Row[] {
  const rows: Row[] = d.packages.map((p) => ({
    package: p.importPath,
    base_ms: p.duration.base == null ? null : ms(p.duration.base),
    new_ms: p.duration.new == null ? null : ms(p.duration.new),
    delta_ms: ms((p.duration.new ?? 0) - (p.duration.base ?? 0)),
    delta_pct: p.duration.relative == null ? null : Math.round(p.duration.relative * 1000) / 10,
    verdict: p.duration.verdict,
  }));
  rows.sort((x, y) => Math.abs(Number(y.delta_ms)) - Math.abs(Number(x.delta_ms)) || (String(x.package) < String(y.package) ? -1 : 1));
  return rows;
}

export function compareChart(baseCtx: ChartContext, newCtx: ChartContext): ChartResult {
  const name = 'compare';
  const d = diffBuilds([baseCtx.model], [newCtx.model]);
  const all = compareRows(d);
  if (all.length === 0) return { name, question: COMPARE_QUESTION, reason: 'neither build has timed packages (no action graph)' };
  const rows = all.slice(0, COMPARE_TOP);
  const wallDelta = newCtx.model.meta.wallNs - baseCtx.model.meta.wallNs;
  const o = DEFAULT_DIFF_OPTIONS;
  const subtitle = [
    `The ${rows.length} largest changes of ${all.length} packages in build time (new − base). Grey: noise as \`gbp diff\` judges it (under ${o.relThreshold * 100} % or ${o.absThresholdNs / 1e6} ms).`,
    `One capture per side cannot show run-to-run spread; \`gbp diff\` with several bundles per side can. Build wall: ${(baseCtx.model.meta.wallNs / 1e9).toFixed(2)} s → ${(newCtx.model.meta.wallNs / 1e9).toFixed(2)} s (${wallDelta >= 0 ? '+' : ''}${(wallDelta / 1e9).toFixed(2)} s).`,
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
        field: 'verdict',
        type: 'nominal' as const,
        title: 'verdict',
        scale: { domain: ['regression', 'improvement', 'noise', 'added', 'removed'], range: ['#d62728', '#2ca02c', '#c7c7c7', '#ff9896', '#98df8a'] },
      },
      tooltip: [
        { field: 'package', title: 'package' },
        { field: 'base_ms', title: 'base (ms)', format: ',.1f' },
        { field: 'new_ms', title: 'new (ms)', format: ',.1f' },
        { field: 'delta_ms', title: 'delta (ms)', format: '+,.1f' },
        { field: 'delta_pct', title: 'delta (%)', format: '+.1f' },
        { field: 'verdict', title: 'verdict' },
      ],
    },
  };
  return { name, question: COMPARE_QUESTION, spec: spec as never, rows: all };
}
