// The notebooks in notebooks/ run headless with Jupyter's nbconvert and the
// Deno kernel (the real consumer), show their charts as Vega-Lite outputs and
// their tables as HTML, and are committed without outputs.
//
// Set GBP_EXECUTED_NOTEBOOKS=DIR to check copies that .ci/run already executed
// into DIR (scripts/run-notebooks.ts --out DIR) instead of executing again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compile } from 'vega-lite';
import { VEGA_LITE_MIME } from '../src/index.ts';
import { cellSource, listNotebooks, readNotebook, runNotebooks, REPO, type NotebookRun } from '../scripts/run-notebooks.ts';

const SMOKE = path.join(REPO, 'test/fixtures/notebooks/smoke.ipynb');
const notebooks = listNotebooks();
const committed = [...notebooks, SMOKE];

test('there are at least four notebooks, each with its bundle path in one variable at the top', () => {
  assert.ok(notebooks.length >= 4, `notebooks/ holds ${notebooks.length} notebooks`);
  for (const nb of committed) {
    const first = readNotebook(nb).cells.find((c) => c.cell_type === 'code');
    assert.ok(first, `${nb}: no code cell`);
    assert.match(cellSource(first), /^const BUNDLE\w* = /m, `${nb}: the first code cell does not set BUNDLE`);
  }
});

test('committed notebooks carry no outputs and use the Deno kernel', () => {
  for (const nb of committed) {
    const n = readNotebook(nb);
    assert.equal(n.metadata.kernelspec?.name, 'deno', `${nb}: kernelspec`);
    n.cells.forEach((c, i) => {
      if (c.cell_type !== 'code') return;
      assert.deepEqual(c.outputs, [], `${nb} cell ${i} has outputs (run: node --import tsx scripts/run-notebooks.ts --strip)`);
      assert.equal(c.execution_count, null, `${nb} cell ${i} has an execution count`);
    });
  }
});

/** Counts calls of `fn(` in the code cells: each one must yield one output. */
function calls(nb: string, fn: string): number {
  const re = new RegExp(`\\b${fn}\\(`, 'g');
  return readNotebook(nb).cells.filter((c) => c.cell_type === 'code').reduce((n, c) => n + (cellSource(c).match(re)?.length ?? 0), 0);
}

test('every notebook executes with the Deno kernel and shows its charts and tables, without errors', { timeout: 900_000 }, () => {
  const pre = process.env.GBP_EXECUTED_NOTEBOOKS;
  const ready = (nb: string) => (pre ? path.join(pre, path.basename(nb)) : '');
  const done: NotebookRun[] = committed.filter((nb) => pre && existsSync(ready(nb))).map((nb) => ({ notebook: nb, executed: ready(nb), ok: true, ms: 0, problem: null, warnings: [], retries: [] }));
  const todo = committed.filter((nb) => !done.some((d) => d.notebook === nb));
  const fresh = todo.length ? runNotebooks(todo) : null;
  const runs = [...done, ...(fresh?.runs ?? [])];
  const cleanup = fresh?.outDir ?? null;
  try {
    for (const r of runs) {
      assert.ok(r.ok, `${r.notebook} failed:\n${r.problem}`);
      assert.ok(existsSync(r.executed), `${r.executed} missing`);
      const outputs = readNotebook(r.executed).cells.flatMap((c) => c.outputs ?? []);
      const errors = outputs.filter((o) => o.output_type === 'error');
      assert.deepEqual(errors, [], `${r.notebook}: error outputs`);
      const charts = outputs.filter((o) => o.data?.[VEGA_LITE_MIME] !== undefined);
      const expected = calls(r.notebook, 'vegaLiteOutput');
      assert.ok(expected >= 1, `${r.notebook} draws no chart`);
      assert.equal(charts.length, expected, `${r.notebook}: Vega-Lite outputs vs vegaLiteOutput( calls`);
      for (const c of charts) {
        const spec = c.data![VEGA_LITE_MIME] as any;
        // The real consumer compiles it: a spec Vega-Lite rejects would show nothing.
        assert.doesNotThrow(() => compile(spec), `${r.notebook}: chart '${JSON.stringify(spec.title)}' does not compile`);
        assert.ok(JSON.stringify(spec).length > 200, `${r.notebook}: suspiciously small chart`);
      }
      const tables = outputs.filter((o) => {
        const html = o.data?.['text/html'] as string[] | string | undefined;
        return (Array.isArray(html) ? html.join('') : html ?? '').startsWith('<table>');
      });
      assert.equal(tables.length, calls(r.notebook, 'tableOutput'), `${r.notebook}: HTML tables vs tableOutput( calls`);
    }
  } finally {
    if (cleanup) rmSync(cleanup, { recursive: true, force: true });
  }
});

test('a cell that throws fails the run and names the error', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-nb-broken-'));
  try {
    const nb = path.join(dir, 'cell-error.ipynb');
    const code = (src: string, id: string) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source: src });
    const doc = { cells: [code("const BUNDLE = 'x';", 'a'), code("throw new Error('boom in cell two');", 'b')], metadata: { kernelspec: { name: 'deno', display_name: 'Deno', language: 'typescript' } }, nbformat: 4, nbformat_minor: 5 };
    writeFileSync(nb, JSON.stringify(doc));
    const { outDir, runs } = runNotebooks([nb], { outDir: path.join(dir, 'out') });
    assert.equal(outDir, path.join(dir, 'out'));
    assert.equal(runs.length, 1);
    assert.equal(runs[0].ok, false);
    assert.match(runs[0].problem ?? '', /boom in cell two/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
