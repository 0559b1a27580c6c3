// The HTML report in a real browser: Debian's Chromium loads index.html from
// file:// with the network unused; every chart must render marks, nothing
// may log an error, and a hostile package name must stay text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeReport } from '../src/exporters/report.ts';
import { prepareOutputDir } from '../src/exporters/output-dir.ts';
import { checkReportInChromium } from './fixtures/chromium.ts';
import { reportModel, HOSTILE } from './fixtures/report-model.ts';

/** Keeps the screenshot where a person can look at it (GBP_KEEP_SCREENSHOT=DIR). */
function keep(png: string, name: string): void {
  const dir = process.env.GBP_KEEP_SCREENSHOT;
  if (dir) copyFileSync(png, path.join(dir, name));
}

test('report with a comparison renders every chart in headless Chromium, offline, with no errors', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-report-'));
  try {
    const out = await prepareOutputDir(path.join(tmp, 'r'));
    const res = await writeReport(out, reportModel(), reportModel(1.5));
    assert.deepEqual(res.missing, []);
    const png = path.join(tmp, 'report.png');
    const page = await checkReportInChromium(path.join(out.root, 'index.html'), png, { sectionsDir: process.env.GBP_KEEP_SCREENSHOT });
    keep(png, 'report-synthetic.png');
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.failedRequests, []);
    assert.deepEqual(page.networkRequests, []);
    assert.deepEqual(page.report.errors, []);
    const specs = res.files.filter((f) => f.endsWith('.vl.json')).map((f) => path.basename(f, '.vl.json'));
    assert.deepEqual(page.containers.map((c) => c.id).sort(), specs.map((s) => `chart-${s}`).sort());
    for (const c of page.containers) assert.ok(c.svg + c.canvas > 0, `${c.id}: no svg or canvas`);
    for (const c of page.report.charts) assert.ok(c.marks > 0, `${c.name}: no marks drawn`);
    // The hostile name shows as text and adds no element: 1 JSON block + 3 libraries + boot.
    assert.ok(page.bodyText.includes(HOSTILE));
    assert.equal(page.scriptElements, 5);
    // Interactive: hovering a bar of the first chart shows its tooltip.
    assert.match(page.tooltip, /package/);
    const png1 = readFileSync(png);
    assert.equal(png1.subarray(1, 4).toString(), 'PNG');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the HTML has no raw bundle string: < in JSON and text is escaped', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-report-'));
  try {
    const out = await prepareOutputDir(tmp, { force: true });
    await writeReport(out, reportModel(), undefined, { svg: false });
    const html = readFileSync(path.join(tmp, 'index.html'), 'utf8');
    assert.ok(!html.includes(HOSTILE), 'hostile name appears unescaped');
    assert.ok(html.includes('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e'), 'JSON escapes <');
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'), 'text escapes <');
    // Self-contained: no src= or href= to anything.
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
    assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
