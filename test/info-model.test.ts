// `gbp info` shows what the importers made of a bundle beside its raw counts:
// the documented fields stay, a `model` object is added, warnings are listed
// with entry and line.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENTRY } from '../src/bundle/format.ts';
import { packBundle, testManifest } from './pack-bundle.ts';

const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
const dir = mkdtempSync(path.join(tmpdir(), 'gbp-info-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('gbp info --json: raw counts and model facts agree on a real sample', () => {
  const r = spawnSync('node', [gbp, 'info', '--json', new URL('../samples/cgomod.gbp.tgz', import.meta.url).pathname], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  for (const k of ['file', 'format', 'build', 'host', 'perf', 'collectors', 'counts', 'entries']) assert.ok(k in s, k);
  assert.equal(s.model.packages, s.counts.packages);
  assert.equal(s.model.toolRuns, Object.values(s.counts.invocations as Record<string, number>).reduce((a, b) => a + b, 0));
  assert.equal(s.model.procPoints, s.counts.procSamples);
  assert.deepEqual(s.model.roots.sort(), ['example.com/cgomod/cmd/demo', 'example.com/cgomod/internal/cmath', 'example.com/cgomod/internal/report', 'example.com/cgomod/internal/shapes']);
  assert.equal(s.model.warningCount, 0);
});

test('gbp info lists the warnings of damaged entries with entry and line', async () => {
  const b = path.join(dir, 'warn.gbp.tgz');
  const bench = ['commit: go1.26.8', 'BenchmarkCompile:a:total 1 5 ns/op 100 %', 'garbage line', 'BenchmarkCompile:b:total 1 x ns/op', ''].join('\n');
  await packBundle(b, testManifest(1_800_000_000_000_000_000n), { [ENTRY.compileBench]: { data: bench }, [ENTRY.toolexec]: { data: '{"seq":1,\n' } });
  const r = spawnSync('node', [gbp, 'info', b], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^warnings: 3$/m);
  assert.match(r.stdout, /^ {2}go\/compile-bench\.txt:3: not a benchmark line/m);
  assert.match(r.stdout, /^ {2}go\/compile-bench\.txt:4: malformed BenchmarkCompile line/m);
  assert.match(r.stdout, /^ {2}toolexec\/log\.jsonl:1: not a JSON record/m);
  const j = JSON.parse(spawnSync('node', [gbp, 'info', '--json', b], { encoding: 'utf8' }).stdout);
  assert.equal(j.model.phaseTimings, 1);
  assert.deepEqual(j.model.warnings.map((w: { entry: string; line: number }) => `${w.entry}:${w.line}`).sort(), ['go/compile-bench.txt:3', 'go/compile-bench.txt:4', 'toolexec/log.jsonl:1']);
});
