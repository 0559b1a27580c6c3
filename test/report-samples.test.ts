// `gbp report` and `gbp trace` on the committed real sample bundles: the CLI
// end to end, facts checked against counts taken from the raw bundle
// entries here, spec skeleton snapshots, and the report in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, copyFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkReportInChromium } from './fixtures/chromium.ts';
import { assertGolden } from './golden.ts';

const REPO = path.join(import.meta.dirname, '..');
const GBP = path.join(REPO, 'src/cli/gbp.mjs');
const SAMPLE = path.join(REPO, 'samples/nethttp.gbp.tgz');
const BASE = path.join(REPO, 'samples/nethttp-go119.gbp.tgz');
const GOLDEN = path.join(import.meta.dirname, 'fixtures/report-specs/nethttp');

/** The toolexec log's records, read straight from the bundle with tar (not our reader). */
function toolexecRecords(bundle: string): { probe: boolean; importPath: string; tool: string }[] {
  const text = execFileSync('tar', ['-xzOf', bundle, 'toolexec/log.jsonl'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** A spec with each inline data array replaced by its length and first row: small, stable, still the whole encoding. */
function skeleton(spec: unknown): unknown {
  if (Array.isArray(spec)) return spec.map(skeleton);
  if (spec && typeof spec === 'object') {
    const o = spec as Record<string, unknown>;
    if (Array.isArray(o.values) && Object.keys(o).length === 1) return { values: { rows: o.values.length, first: o.values[0] ?? null } };
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, skeleton(v)]));
  }
  return spec;
}

test('gbp report on the nethttp sample (compared with Go 1.19): files, counts, spec skeletons, Chromium', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-report-sample-'));
  try {
    const out = path.join(tmp, 'r');
    const r = spawnSync('node', [GBP, 'report', SAMPLE, '--compare', BASE, '-o', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote \d+ files; open .*index\.html/);
    const charts = readdirSync(path.join(out, 'charts')).filter((f) => f.endsWith('.vl.json')).map((f) => f.replace('.vl.json', ''));
    for (const c of charts) {
      assert.ok(readdirSync(path.join(out, 'charts')).includes(`${c}.svg`), `${c}.svg`);
      assert.ok(readdirSync(path.join(out, 'tables')).includes(`${c}.csv`), `${c}.csv`);
    }
    // The timeline has one row per real tool run of the toolexec log, counted here from the raw entry.
    const real = toolexecRecords(SAMPLE).filter((x) => !x.probe);
    const timeline = readFileSync(path.join(out, 'tables/timeline.csv'), 'utf8').trim().split('\n');
    assert.equal(timeline.length - 1, real.length);
    const baseReal = toolexecRecords(BASE).filter((x) => !x.probe);
    assert.equal(readFileSync(path.join(out, 'tables/timeline-base.csv'), 'utf8').trim().split('\n').length - 1, baseReal.length);
    for (const c of charts) {
      const spec = JSON.parse(readFileSync(path.join(out, 'charts', `${c}.vl.json`), 'utf8'));
      assertGolden(path.join(GOLDEN, `${c}.skeleton.json`), JSON.stringify(skeleton(spec), null, 1) + '\n');
    }
    const png = path.join(tmp, 'report.png');
    const page = await checkReportInChromium(path.join(out, 'index.html'), png, { sectionsDir: process.env.GBP_KEEP_SCREENSHOT });
    if (process.env.GBP_KEEP_SCREENSHOT) copyFileSync(png, path.join(process.env.GBP_KEEP_SCREENSHOT, 'report-nethttp.png'));
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.failedRequests, []);
    assert.deepEqual(page.networkRequests, []);
    assert.deepEqual(page.report.errors, []);
    assert.equal(page.containers.length, charts.length);
    for (const c of page.containers) assert.ok(c.svg + c.canvas > 0, `${c.id}: no svg or canvas`);
    for (const c of page.report.charts) assert.ok(c.marks > 0, `${c.name}: no marks drawn`);
    assert.match(page.tooltip, /package/);
    // The summary names the build and its slowest package.
    assert.match(page.bodyText, /go build -a net\/http/);
    assert.match(page.bodyText, /Top 5 packages by build time/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('gbp trace on the nethttp sample: one event per real tool run, on lanes, valid JSON', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-trace-sample-'));
  try {
    const file = path.join(tmp, 'trace.json');
    const r = spawnSync('node', [GBP, 'trace', SAMPLE, '-o', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const t = JSON.parse(readFileSync(file, 'utf8'));
    const runs = t.traceEvents.filter((e: { ph: string; tid: number }) => e.ph === 'X' && e.tid < 1000);
    const real = toolexecRecords(SAMPLE).filter((x) => !x.probe);
    assert.equal(runs.length, real.length);
    const want = real.map((x) => x.importPath || x.tool).sort();
    assert.deepEqual(runs.map((e: { name: string }) => e.name).sort(), want);
    assert.ok(t.traceEvents.some((e: { ph: string; name: string }) => e.ph === 'C' && e.name === 'total RSS (MB)'));
    // A second run refuses to overwrite without --force.
    const again = spawnSync('node', [GBP, 'trace', SAMPLE, '-o', file], { encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists; pass --force/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('gbp report on the failed-build sample puts the failure and its first error line above the charts', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-report-broken-'));
  try {
    const bundle = path.join(REPO, 'samples/broken.gbp.tgz');
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', bundle, 'manifest.json'], { encoding: 'utf8' }));
    const stderr = execFileSync('tar', ['-xzOf', bundle, 'build/stderr.txt'], { encoding: 'utf8' });
    const firstError = stderr.split('\n').find((l) => /\.go:\d+:\d+:/.test(l))!.trim();
    const r = spawnSync('node', [GBP, 'report', bundle, '-o', tmp, '--force', '--no-svg'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(path.join(tmp, 'index.html'), 'utf8');
    const alert = /<p class="alert">([^<]*)<\/p>/.exec(html)?.[1] ?? '';
    assert.ok(alert.startsWith(`The build failed (exit ${manifest.build.exitCode})`), alert);
    assert.ok(alert.includes(firstError.replace(/"/g, '&#34;')), alert);
    assert.ok(!readdirSync(path.join(tmp, 'charts')).some((f) => f.endsWith('.svg')), '--no-svg wrote SVGs');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
