// loadBuild on bundles made from a real build's raw files: every entry lands
// in the model on one time base, partial bundles yield what they hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBuild } from '../src/importers/index.ts';
import { modelFacts } from '../src/analyze/model-facts.ts';
import { openBundle } from '../src/bundle/reader.ts';
import { summarizeBundle } from '../src/bundle/summary.ts';
import { assertGolden } from './golden.ts';
import { rfc3339ToEpochNs } from '../src/importers/time.ts';
import { ENTRY } from '../src/bundle/format.ts';
import { isGbpError } from '../src/errors.ts';
import { buildRawInputs, haveGo, GO_126, type RawInputs } from './go-raw-inputs.ts';
import { packBundle, testManifest } from './pack-bundle.ts';

let r: RawInputs;
let dir: string;
let start: bigint;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gbp-load-'));
  if (!haveGo(GO_126)) return;
  r = buildRawInputs(GO_126);
  const ag = JSON.parse(readFileSync(r.actionGraph, 'utf8')) as { TimeReady: string }[];
  // The build started a little before its first action became ready.
  start = ag.map((a) => rfc3339ToEpochNs(a.TimeReady)).filter((t): t is bigint => typeof t === 'bigint').reduce((a, b) => (a < b ? a : b)) - 1_000_000n;
});
after(() => {
  r?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('a bundle of a real build: every entry read, times relative to the manifest start', { skip: !haveGo(GO_126) }, async () => {
  const b = path.join(dir, 'full.gbp.tgz');
  await packBundle(b, testManifest(start), {
    [ENTRY.goList]: { file: r.list },
    [ENTRY.actionGraph]: { file: r.actionGraph },
    [ENTRY.trace]: { file: r.trace },
    [ENTRY.compileBench]: { file: r.bench },
    [ENTRY.stdout]: { data: 'out\n' },
  });
  const m = await loadBuild(b, { chunkSize: 64 });
  assert.deepEqual(m.warnings, []);
  assert.equal(m.meta.startNs, start.toString());
  assert.equal(m.packages.size, readFileSync(r.list, 'utf8').match(/^\t"ImportPath": /gm)!.length);
  assert.equal(m.actions.length, (JSON.parse(readFileSync(r.actionGraph, 'utf8')) as unknown[]).length);
  assert.equal(m.phases.length, readFileSync(r.bench, 'utf8').split('\n').filter((l) => l.startsWith('BenchmarkCompile:')).length);
  assert.equal(Math.min(...m.actions.filter((a) => a.ready !== null).map((a) => a.ready!)), 1_000_000);
  assert.ok(m.trace.length > 0);
  assert.equal(m.output.stdout, 'out\n');
  assert.equal(m.cpu, null);
  const f = modelFacts(m);
  const raw = JSON.parse(readFileSync(r.actionGraph, 'utf8')) as { Cmd: string[] | null }[];
  assert.deepEqual(
    [f.packages, f.roots.sort(), f.actions, f.actionsRun, f.compiledPackages, f.warningCount],
    [m.packages.size, [...r.roots].sort(), raw.length, raw.filter((a) => a.Cmd?.length).length, 3, 0],
  );
});

test('a partial bundle (manifest and compile bench only) yields what it holds', { skip: !haveGo(GO_126) }, async () => {
  const b = path.join(dir, 'partial.gbp.tgz');
  await packBundle(b, testManifest(start, { complete: false, incompleteReason: 'interrupted' }), { [ENTRY.compileBench]: { file: r.bench } });
  const m = await loadBuild(b);
  assert.equal(m.meta.incomplete, true);
  assert.ok(m.phases.length > 0);
  assert.deepEqual([m.packages.size, m.actions.length, m.invocations.length, m.processes.size, m.trace.length], [0, 0, 0, 0, 0]);
});

test('a damaged entry becomes warnings with entry and line, the rest still loads', async () => {
  const b = path.join(dir, 'damaged.gbp.tgz');
  await packBundle(b, testManifest(1_000_000_000_000_000_000n), {
    [ENTRY.actionGraph]: { data: '[\n{"ID": 0, "Mode": "build", "Package": "a"},\n{"ID": 1, "Mode": \n' },
    [ENTRY.compileBench]: { data: 'BenchmarkCompile:a:total 1 5 ns/op 100 %\nnot a line\n' },
  });
  const m = await loadBuild(b);
  assert.equal(m.actions.length, 1);
  assert.equal(m.phases.length, 1);
  assert.deepEqual(
    m.warnings.map((w) => [w.entry, w.line]),
    [
      [ENTRY.actionGraph, 3],
      [ENTRY.compileBench, 2],
    ],
  );
});

test('every hostile bundle either loads (with --partial) or fails with a GbpError, never a crash', async () => {
  const dir = new URL('./hostile/', import.meta.url).pathname;
  const files = readdirSync(dir).filter((f) => f.endsWith('.gbp.tgz'));
  assert.ok(files.length > 20);
  let loaded = 0;
  for (const f of files) {
    try {
      const m = await loadBuild(path.join(dir, f), { read: { partial: true } });
      loaded++;
      // Every warning names its entry and says something.
      for (const w of m.warnings) assert.ok(w.entry && w.message, `${f}: ${JSON.stringify(w)}`);
    } catch (e) {
      assert.ok(isGbpError(e), `${f}: ${(e as Error)?.stack}`);
    }
  }
  assert.ok(loaded > 0);
});

for (const name of ['nethttp', 'nethttp-go119', 'cgomod', 'broken']) {
  test(`sample ${name}: the model agrees with gbp info's raw counts; golden facts`, async () => {
    const file = new URL(`../samples/${name}.gbp.tgz`, import.meta.url).pathname;
    const b = await openBundle(file);
    try {
      const s = await summarizeBundle(b); // streaming scans of the raw entries, not the importers
      const m = await loadBuild(b);
      const f = modelFacts(m);
      assert.equal(f.warningCount, 0, JSON.stringify(f.warnings));
      assert.equal(f.packages, s.counts.packages);
      assert.equal(f.toolRuns, Object.values(s.counts.invocations).reduce((a, b) => a + b, 0));
      assert.equal(f.probes, s.counts.probes);
      assert.equal(f.procPoints, s.counts.procSamples);
      // Every tool run with a package joins an action (gcc -### probes have none).
      assert.equal(f.toolRunsJoined, m.invocations.filter((i) => !i.probe && i.importPath).length);
      assertGolden(new URL(`./fixtures/goldens/${name}.model.json`, import.meta.url).pathname, JSON.stringify({ ...f, cpuSamples: undefined }, null, 1) + '\n');
    } finally {
      await b.close();
    }
  });
}
