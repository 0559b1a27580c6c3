// CSV tables: every file has its header, as many rows as the model has
// things, and reads back through an independent CSV parser (Python's csv).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { analyzeBuild } from '../src/analyze/summary.ts';
import { writeCsvTables } from '../src/exporters/csv.ts';
import { prepareOutputDir } from '../src/exporters/output-dir.ts';
import { diamond } from './synthetic-model.ts';

/** Rows per file as Python's csv module reads them: {file: [header, ...rows]}. */
function pyRead(dir: string): Record<string, string[][]> {
  const py = 'import csv,glob,json,os,sys\nprint(json.dumps({os.path.basename(f): list(csv.reader(open(f, newline=""))) for f in sorted(glob.glob(sys.argv[1] + "/*.csv"))}))';
  return JSON.parse(execFileSync('python3', ['-c', py, dir], { encoding: 'utf8' }));
}

test('CSV tables of the diamond read back with the right shape and values', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gbp-csv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const m = diamond();
  // A package name that a spreadsheet would run as a formula.
  m.packages.set('=HYPERLINK("x")', { importPath: '=HYPERLINK("x")', imports: [], deps: [], standard: false, goFiles: 0, cgoFiles: 0, sFiles: 0, root: false });
  const written = await writeCsvTables(m, analyzeBuild(m), await prepareOutputDir(dir));
  assert.equal(written.length, 8);
  const got = pyRead(dir);
  assert.deepEqual(Object.keys(got).sort(), ['actions.csv', 'critical_path.csv', 'depth_levels.csv', 'invocations.csv', 'packages.csv', 'parallelism.csv', 'phases.csv', 'proc_series.csv']);
  assert.equal(got['actions.csv'].length, 1 + m.actions.length);
  assert.equal(got['packages.csv'].length, 1 + 5);
  assert.deepEqual(got['invocations.csv'].length, 1, 'header only when there are no tool runs');
  assert.equal(got['critical_path.csv'].length, 1 + 5);
  const cp = got['critical_path.csv'];
  assert.deepEqual(cp.slice(1).map((r) => r[cp[0].indexOf('duration_ns')]), ['20', '30', '5', '10', '0']);
  const acts = got['actions.csv'];
  const b = acts.find((r) => r[acts[0].indexOf('package')] === 'b')!;
  assert.equal(b[acts[0].indexOf('slack_ns')], '20');
  assert.equal(b[acts[0].indexOf('critical')], 'false');
  const pk = got['packages.csv'];
  assert.ok(pk.some((r) => r[0] === `'=HYPERLINK("x")`), 'formula escaped with a leading quote');
  assert.equal(pk.find((r) => r[0] === 'c')![pk[0].indexOf('why_chain')], 'main > a > c');
  // Unknown values are empty cells, not "null".
  assert.ok(!Object.values(got).flat(2).includes('null'));
});

test('export refuses to overwrite without force', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gbp-csv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const m = diamond();
  await writeCsvTables(m, analyzeBuild(m), await prepareOutputDir(dir));
  await assert.rejects(writeCsvTables(m, analyzeBuild(m), await prepareOutputDir(dir)), /exists; pass --force/);
});
