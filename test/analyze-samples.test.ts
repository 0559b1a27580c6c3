// The analyses on the committed sample bundles (real captures), checked
// against figures read from each bundle's raw action graph here, plus golden
// snapshots of `gbp analyze` and the replay on the two net/http builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openBundle } from '../src/bundle/reader.ts';
import { ENTRY } from '../src/bundle/format.ts';
import { loadBuild } from '../src/importers/index.ts';
import { buildActionDag, buildWorkers, goPriorities } from '../src/analyze/action-dag.ts';
import { criticalPath } from '../src/analyze/critical-path.ts';
import { simulate } from '../src/analyze/simulate.ts';
import { analyzeBuild } from '../src/analyze/summary.ts';
import { renderAnalysis } from '../src/cli/commands/analyze.ts';
import { rawFigures } from './raw-actiongraph.ts';
import { assertGolden } from './golden.ts';

const SAMPLES = new URL('../samples/', import.meta.url).pathname;
const GOLDENS = new URL('./fixtures/goldens/', import.meta.url).pathname;
const NAMES = ['nethttp', 'nethttp-go119', 'cgomod', 'broken'];

async function sample(name: string) {
  const file = path.join(SAMPLES, `${name}.gbp.tgz`);
  const b = await openBundle(file);
  try {
    return { model: await loadBuild(b), raw: rawFigures(await b.text(ENTRY.actionGraph)) };
  } finally {
    await b.close();
  }
}

for (const name of NAMES) {
  test(`${name}: critical path, one-worker replay and replay at -p against the raw action graph`, async () => {
    const { model, raw } = await sample(name);
    const cp = criticalPath(model);
    assert.equal(cp.longestActionNs, raw.longest);
    assert.ok(cp.lengthNs >= raw.longest && cp.lengthNs <= raw.spanNs && raw.spanNs <= model.meta.wallNs, `${raw.longest} ≤ ${cp.lengthNs} ≤ ${raw.spanNs} ≤ ${model.meta.wallNs}`);
    const sim = simulate(model, { workers: [1, buildWorkers(model)] });
    assert.equal(sim.runs[0].makespanNs, raw.sum, 'one worker: the sum of the durations');
    // At the build's own worker count the replay gives the measured wall within
    // 1% (see analyze-real.test.ts for why 1%); these captures ran under toolexec and perf.
    const err = Math.abs(sim.runs[1].predictedWallNs - model.meta.wallNs) / model.meta.wallNs;
    assert.ok(err <= 0.01, `replay off by ${(err * 100).toFixed(2)}%`);
    // The go command's priorities are the depth-first post-order we recompute.
    const dag = buildActionDag(model);
    assert.deepEqual(goPriorities(dag.deps, dag.roots), raw.acts.map((a) => a.Priority ?? 0));
  });
}

for (const name of ['nethttp', 'nethttp-go119']) {
  test(`${name}: golden gbp analyze summary and replay table`, async () => {
    const { model } = await sample(name);
    assertGolden(path.join(GOLDENS, `${name}.analyze.txt`), renderAnalysis(model, analyzeBuild(model), 10));
    const runs = simulate(model).runs.map((r) => `${r.workers}\t${r.makespanNs}\t${r.predictedWallNs}`).join('\n') + '\n';
    assertGolden(path.join(GOLDENS, `${name}.simulate.tsv`), runs);
  });
}
