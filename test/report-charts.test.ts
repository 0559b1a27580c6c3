// The chart builders on a hand-made model: spec snapshots (JSON, not SVG),
// facts checked against counts made here independently, and every spec
// compiled by vega-lite and rendered headless by vega.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { compile } from 'vega-lite';
import { buildCharts } from '../src/charts/index.ts';
import { isChart, type Chart } from '../src/charts/common.ts';
import { flameChart } from '../src/charts/flamegraph.ts';
import { chartContext } from '../src/charts/context.ts';
import { renderSvg } from '../src/exporters/chart-svg.ts';
import { toCsv } from '../src/exporters/csv-table.ts';
import { reportModel, HOSTILE } from './fixtures/report-model.ts';
import { assertGolden } from './golden.ts';

const GOLDEN = path.join(import.meta.dirname, 'fixtures/report-specs');

function charts(base = false): Chart[] {
  return buildCharts(reportModel(), base ? reportModel(1.5) : undefined).charts.filter(isChart);
}

test('every chart spec matches its snapshot', () => {
  const all = charts(true);
  assert.deepEqual(all.map((c) => c.name), ['compare', 'timeline', 'timeline-base', 'flamegraph', 'stage-heatmap', 'depth-stage-heatmap', 'memory', 'depth-duration', 'io']);
  for (const c of all) assertGolden(path.join(GOLDEN, `${c.name}.vl.json`), JSON.stringify(c.spec, null, 1) + '\n');
});

test('every spec compiles without vega-lite warnings and renders an SVG with marks', async () => {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (...a: unknown[]) => void warnings.push(a.join(' '));
  try {
    for (const c of charts(true)) {
      compile(c.spec);
      const svg = await renderSvg(c.spec);
      assert.match(svg, /^<svg/, c.name);
      // Data marks carry role-mark classes; there must be drawn items in them.
      assert.ok((svg.match(/class="mark-(rect|symbol|area|line|text)[^"]*role-mark/g) ?? []).length > 0, `${c.name}: no marks`);
    }
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, []);
});

test('timeline: one bar per real tool run, lanes never overlap, lane count = peak concurrency', () => {
  const m = reportModel();
  const tl = charts().find((c) => c.name === 'timeline')!;
  const real = m.invocations.filter((i) => !i.probe);
  assert.equal(tl.rows.length, real.length);
  const byLane = new Map<number, { s: number; e: number }[]>();
  for (const r of tl.rows) {
    const l = byLane.get(Number(r.lane)) ?? [];
    l.push({ s: Number(r.start_ms), e: Number(r.end_ms) });
    byLane.set(Number(r.lane), l);
  }
  for (const spans of byLane.values()) {
    spans.sort((a, b) => a.s - b.s);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i].s >= spans[i - 1].e, 'overlap in a lane');
  }
  // Peak concurrency by brute force over every start instant.
  const peak = Math.max(...real.map((a) => real.filter((b) => b.start <= a.start && b.end! > a.start).length));
  assert.equal(byLane.size, peak);
  // The critical path runs from runtime to the app: those packages are outlined.
  const crit = new Set(tl.rows.filter((r) => r.critical).map((r) => r.package));
  assert.ok(crit.has('runtime') && crit.has('example.com/app'));
  assert.ok(!crit.has(HOSTILE), 'the short side branch is not critical');
});

test('flame graph: root and per-tool roots hold exactly their samples; children never exceed parents', () => {
  const m = reportModel();
  const fl = charts().find((c) => c.name === 'flamegraph')!;
  const total = m.cpu!.groups.reduce((a, g) => a + g.count, 0);
  const root = fl.rows.find((r) => r.view === 'all tools' && r.depth === 0)!;
  assert.equal(root.samples, total);
  const linkPid = m.invocations.find((i) => i.tool === 'link')!.pid;
  const linkSamples = m.cpu!.groups.filter((g) => g.pid === linkPid).reduce((a, g) => a + g.count, 0);
  assert.equal(fl.rows.find((r) => r.view === 'link' && r.depth === 0)!.samples, linkSamples);
  for (const r of fl.rows) {
    assert.ok(Number(r.x1) <= 1 + 1e-9 && Number(r.x0) >= 0);
    assert.ok(Number(r.share) >= 0.001 || r.depth === 0, 'a frame under the minimum share was drawn');
  }
  // Depth 1 of the "all" view is the tools; depth 2 the packages.
  assert.deepEqual(fl.rows.filter((r) => r.view === 'all tools' && r.depth === 1).map((r) => r.name).sort(), ['compile', 'link']);
  assert.ok(fl.rows.some((r) => r.depth === 2 && r.name === HOSTILE));
});

test('flame graph: a higher minimum share hides more frames and says so', () => {
  const ctx = chartContext(reportModel());
  const fine = flameChart(ctx) as Chart;
  const coarse = flameChart(ctx, { minShare: 0.05 }) as Chart;
  assert.ok(coarse.rows.length < fine.rows.length);
  assert.match(JSON.stringify(coarse.spec), /under 5\.00 % of the view/);
});

test('memory: the marked peak equals a brute-force maximum over every snapshot instant', () => {
  const m = reportModel();
  const c = buildCharts(m).charts.find((x) => x.name === 'memory') as Chart & { peak: { totalBytes: number; package: string; t: number } };
  // At each snapshot time, every process alive then (between its first and last snapshot) at its latest RSS.
  const procs = [...m.processes.values()];
  let best = 0;
  let bestPkg = '';
  for (const t of procs.flatMap((p) => p.points.map((x) => x.t))) {
    let total = 0;
    let top = 0;
    let who = 0;
    for (const p of procs) {
      if (t < p.points[0].t || t > p.points[p.points.length - 1].t) continue;
      const v = p.points.filter((x) => x.t <= t).pop()!.rssBytes;
      total += v;
      if (v > top) [top, who] = [v, p.pid];
    }
    if (total > best) [best, bestPkg] = [total, m.invocations.find((i) => i.pid === who)!.importPath];
  }
  assert.equal(c.peak.totalBytes, best);
  assert.equal(c.peak.package, bestPkg);
  // No bar stack is taller than the exact peak.
  const perBucket = new Map<number, number>();
  for (const r of c.rows) perBucket.set(Number(r.t_ms), (perBucket.get(Number(r.t_ms)) ?? 0) + Number(r.rss_mb));
  assert.ok(Math.max(...perBucket.values()) <= best / 1e6 + 0.01);
});

test('stage heatmap leaves out totals and subtotals; shares of a package sum to the leaf-phase share', () => {
  const st = charts().find((c) => c.name === 'stage-heatmap')!;
  assert.ok(!st.rows.some((r) => /total/.test(String(r.phase))));
  const rt = st.rows.filter((r) => r.package === 'runtime').reduce((a, r) => a + Number(r.share), 0);
  // Leaf phases sum to 1.0 of the duration; the compiler's total is 0.95 of it.
  assert.ok(Math.abs(rt - 1 / 0.95) < 0.01, String(rt));
});

test('CSV tables escape formulae and keep hostile names as text', () => {
  const csv = toCsv([{ package: '=HYPERLINK("http://x")', n: 1 }, { package: HOSTILE, n: 2 }]);
  assert.equal(csv.split('\n')[0], 'package,n');
  assert.match(csv, /^"'=HYPERLINK\(""http:\/\/x""\)",1$/m);
  assert.ok(csv.includes(HOSTILE));
});

test('compare: per-package deltas equal the difference of action durations summed here', () => {
  const c = charts(true).find((x) => x.name === 'compare')!;
  const sum = (m: ReturnType<typeof reportModel>, p: string) => m.actions.filter((a) => a.package === p).reduce((s, a) => s + (a.done! - a.start!), 0);
  const base = reportModel(1.5);
  const now = reportModel();
  for (const r of c.rows) {
    const want = (sum(now, String(r.package)) - sum(base, String(r.package))) / 1e6;
    assert.ok(Math.abs(Number(r.delta_ms) - want) < 0.01, `${r.package}: ${r.delta_ms} vs ${want}`);
    // Every package is a third faster than its 1.5× slower base: beyond any noise threshold.
    assert.equal(r.verdict, 'improvement');
  }
});
