// Chart 3: compiler phases per package (and per dependency depth) as a
// heatmap, as time or as each row's share. Question: which phase of which
// package costs the most, and does it depend on how deep the package sits?
import type { PhaseTiming } from '../model/types.ts';
import { isAggregatePhase } from '../importers/compile-bench.ts';
import { base, ms, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const STAGE_QUESTION = 'Which compiler phases cost the most, in which packages?';
export const DEPTH_STAGE_QUESTION = 'Do deeper packages spend their time in different phases?';

/** Packages shown in the package heatmap (the slowest by total compile time). */
export const STAGE_TOP_PACKAGES = 40;

/** Phases without subtotals and totals, in the order the compiler reports them. */
function phaseList(phases: PhaseTiming[]): { order: string[]; rows: PhaseTiming[]; totals: Map<string, number> } {
  const order: string[] = [];
  const seen = new Set<string>();
  const rows: PhaseTiming[] = [];
  const totals = new Map<string, number>();
  const summed = new Map<string, number>();
  for (const p of phases) {
    if (p.phase === 'total') {
      totals.set(p.package, (totals.get(p.package) ?? 0) + p.ns);
      continue;
    }
    // `fe:subtotal`, `be:subtotal` repeat the sum of their half.
    if (isAggregatePhase(p.phase)) continue;
    if (!seen.has(p.phase)) {
      seen.add(p.phase);
      order.push(p.phase);
    }
    rows.push(p);
    summed.set(p.package, (summed.get(p.package) ?? 0) + p.ns);
  }
  for (const [pkg, ns] of summed) if (!totals.has(pkg)) totals.set(pkg, ns);
  return { order, rows, totals };
}

const measureParam = (name: string) => ({
  name,
  value: 'time',
  bind: { input: 'radio' as const, options: ['time', 'share'], labels: ['time (ms)', 'share of row (%)'], name: 'colour by: ' },
});

function heatSpec(title: string, subtitle: string[], rows: Row[], yField: string, yTitle: string, ySort: (string | number)[], phases: string[], param: string) {
  return {
    ...base(title, subtitle),
    width: Math.max(300, phases.length * 70),
    height: { step: 14 },
    data: { values: rows },
    params: [measureParam(param)],
    transform: [{ calculate: `${param} === 'share' ? datum.share * 100 : datum.ms`, as: 'value' }],
    mark: { type: 'rect' as const, tooltip: true },
    encoding: {
      x: { field: 'phase', type: 'ordinal' as const, sort: phases, title: 'compiler phase', axis: { labelAngle: -35 } },
      y: { field: yField, type: 'ordinal' as const, sort: ySort, title: yTitle },
      // sqrt: one huge package (runtime) would otherwise wash out every other cell.
      color: { field: 'value', type: 'quantitative' as const, title: 'ms, or % of row (sqrt)', scale: { scheme: 'orangered', type: 'sqrt' as const } },
      tooltip: [
        { field: yField, title: yTitle },
        { field: 'phase', title: 'phase' },
        { field: 'ms', title: 'time (ms)', format: ',.1f' },
        { field: 'share', title: 'share of row', format: '.1%' },
      ],
    },
  };
}

/** Packages (slowest first) × compiler phases. */
export function stageHeatmap(ctx: ChartContext): ChartResult {
  const name = 'stage-heatmap';
  const { order, rows: all, totals } = phaseList(ctx.model.phases);
  if (all.length === 0) return { name, question: STAGE_QUESTION, reason: 'the bundle has no compiler phase timings (-gcflags=all=-bench)' };
  const top = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, STAGE_TOP_PACKAGES).map(([p]) => p);
  const keep = new Set(top);
  const rows: Row[] = all
    .filter((p) => keep.has(p.package))
    .map((p) => ({ package: p.package, phase: p.phase, ms: ms(p.ns), share: round4(p.ns / (totals.get(p.package) || 1)), total_ms: ms(totals.get(p.package) ?? 0) }));
  const subtitle = [
    `The ${top.length} slowest of ${totals.size} compiled packages, slowest on top (total compile time from -bench). Subtotals left out.`,
    'Switch the colour between time and each package’s share to compare shapes rather than sizes.',
  ];
  return { name, question: STAGE_QUESTION, spec: heatSpec(`Compiler phases per package — ${STAGE_QUESTION}`, subtitle, rows, 'package', 'package', top, order, 'stage_measure') as never, rows };
}

/** Dependency depth level × compiler phases, summed over the packages at each depth. */
export function depthStageHeatmap(ctx: ChartContext): ChartResult {
  const name = 'depth-stage-heatmap';
  const { order, rows: all } = phaseList(ctx.model.phases);
  if (all.length === 0) return { name, question: DEPTH_STAGE_QUESTION, reason: 'the bundle has no compiler phase timings (-gcflags=all=-bench)' };
  if (ctx.depth.size === 0) return { name, question: DEPTH_STAGE_QUESTION, reason: 'no dependency depths (the bundle has no go list output)' };
  const cell = new Map<string, number>();
  const levelTotal = new Map<number, number>();
  const levelPkgs = new Map<number, Set<string>>();
  for (const p of all) {
    const d = ctx.depth.get(p.package);
    if (d === undefined) continue;
    cell.set(`${d}\t${p.phase}`, (cell.get(`${d}\t${p.phase}`) ?? 0) + p.ns);
    levelTotal.set(d, (levelTotal.get(d) ?? 0) + p.ns);
    if (!levelPkgs.has(d)) levelPkgs.set(d, new Set());
    levelPkgs.get(d)!.add(p.package);
  }
  const levels = [...levelTotal.keys()].sort((a, b) => a - b);
  const rows: Row[] = [];
  for (const d of levels) {
    for (const ph of order) {
      const ns = cell.get(`${d}\t${ph}`);
      if (ns === undefined) continue;
      rows.push({ depth: d, packages: levelPkgs.get(d)!.size, phase: ph, ms: ms(ns), share: round4(ns / levelTotal.get(d)!) });
    }
  }
  const subtitle = [
    'Depth is the longest import chain from the build’s roots (roots are 0); each cell sums the packages at that depth.',
    'Share colours each depth by how its own compile time splits over the phases.',
  ];
  return { name, question: DEPTH_STAGE_QUESTION, spec: heatSpec(`Phases by dependency depth — ${DEPTH_STAGE_QUESTION}`, subtitle, rows, 'depth', 'dependency depth', levels, order, 'depth_measure') as never, rows };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
