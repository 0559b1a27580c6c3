// Bundle diff on hand-made builds: regressions, improvements, noise by
// threshold and by run-to-run spread, packages added and removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffBuilds } from '../src/analyze/diff.ts';
import type { BuildModel } from '../src/model/types.ts';
import { diamond } from './synthetic-model.ts';

/** The diamond with action `id` made `extra` ns longer; everything after it moves too. */
function slower(id: number, extra: number): BuildModel {
  const m = diamond();
  const a = m.actions.find((x) => x.id === id)!;
  const oldDone = a.done!;
  for (const x of m.actions) {
    if (x === a) x.done! += extra;
    else if (x.start! >= oldDone) {
      x.ready! += extra;
      x.start! += extra;
      x.done! += extra;
    }
  }
  m.meta.wallNs += extra;
  return m;
}

const exact = { absThresholdNs: 0, relThreshold: 0.1 };

test('a slower package is a regression, with wall and critical path following it', () => {
  const d = diffBuilds([diamond()], [slower(3, 30)], exact);
  const a = d.packages.find((p) => p.importPath === 'a')!;
  assert.equal(a.duration.base, 30);
  assert.equal(a.duration.new, 60);
  assert.equal(a.duration.delta, 30);
  assert.equal(a.duration.verdict, 'regression');
  assert.equal(d.packages[0].importPath, 'a', 'biggest change first');
  const t = Object.fromEntries(d.totals.map((x) => [x.metric, x]));
  assert.equal(t['wall'].delta, 30);
  assert.equal(t['critical path'].delta, 30);
  assert.equal(t['critical path'].verdict, 'regression');
  // wall 1100 → 1130 is under 10%: noise by threshold.
  assert.equal(t['wall'].verdict, 'noise');
  assert.equal(t['wall'].reason, 'threshold');
  assert.deepEqual(d.regressions.map((r) => r.what).sort(), ['a duration', 'action time', 'critical path']);
  // Only the times moved; the CPU the tools reported did not.
  assert.equal(t['cpu'].delta, 0);
  assert.equal(d.packages.find((p) => p.importPath === 'b')!.duration.verdict, 'noise');
});

test('the same change inside the run-to-run spread is noise', () => {
  // Base runs: a = 30 and a = 70; new: a = 60 lies inside [30, 70].
  const d = diffBuilds([diamond(), slower(3, 40)], [slower(3, 30)], exact);
  const a = d.packages.find((p) => p.importPath === 'a')!;
  assert.deepEqual(a.duration.baseRange, [30, 70]);
  assert.equal(a.duration.base, 50);
  assert.equal(a.duration.verdict, 'noise');
  assert.equal(a.duration.reason, 'spread');
  assert.equal(d.regressions.length, 0);
});

test('an improvement, and the critical path moving to another package', () => {
  // b 10 → 50 makes c → b → main the longest chain; a 30 → 30.
  const d = diffBuilds([diamond()], [slower(4, 40)], exact);
  assert.deepEqual(d.criticalPath.base, ['c', 'a', 'main']);
  assert.deepEqual(d.criticalPath.new, ['c', 'b', 'main']);
  assert.deepEqual(d.criticalPath.entered, ['b']);
  assert.deepEqual(d.criticalPath.left, ['a']);
  const back = diffBuilds([slower(4, 40)], [diamond()], exact);
  assert.equal(back.packages.find((p) => p.importPath === 'b')!.duration.verdict, 'improvement');
  assert.equal(back.regressions.length, 0);
});

test('packages added and removed', () => {
  const n = diamond();
  n.packages.delete('b');
  n.actions = n.actions.filter((a) => a.package !== 'b').map((a) => ({ ...a, deps: a.deps.filter((x) => x !== 4) }));
  n.actions.push({ ...n.actions.find((a) => a.package === 'c')!, id: 9, package: 'e' });
  const d = diffBuilds([diamond()], [n], exact);
  assert.equal(d.packages.find((p) => p.importPath === 'b')!.status, 'removed');
  assert.equal(d.packages.find((p) => p.importPath === 'e')!.status, 'added');
  assert.equal(d.packages.find((p) => p.importPath === 'e')!.duration.verdict, 'added');
});

test('the default thresholds (10%, 50 ms) call nanosecond changes noise', () => {
  const d = diffBuilds([diamond()], [slower(3, 30)]);
  assert.equal(d.regressions.length, 0);
});
