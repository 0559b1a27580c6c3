// The analyses on DAGs small enough to solve by hand (the numbers in the
// comments are worked out on paper, not by the code under test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildActionDag, goPriorities, buildFlagP } from '../src/analyze/action-dag.ts';
import { graphMetrics } from '../src/analyze/graph-metrics.ts';
import { criticalPath, parallelismOverTime } from '../src/analyze/critical-path.ts';
import { simulate } from '../src/analyze/simulate.ts';
import { stageAnalysis } from '../src/analyze/stages.ts';
import { spearman, ranks } from '../src/analyze/stats.ts';
import { diamond, synModel } from './synthetic-model.ts';

test('graph metrics of the diamond: depth, height, fan-in/out, dependents, why-chains', () => {
  const g = graphMetrics(diamond());
  const m = (p: string) => g.packages.get(p)!;
  assert.deepEqual(g.roots, ['main']);
  assert.deepEqual(['main', 'a', 'b', 'c'].map((p) => m(p).depth), [0, 1, 1, 2]);
  assert.deepEqual(['main', 'a', 'b', 'c'].map((p) => m(p).height), [2, 1, 1, 0]);
  assert.deepEqual(['main', 'a', 'b', 'c'].map((p) => m(p).fanIn), [0, 1, 1, 2]);
  assert.deepEqual(['main', 'a', 'b', 'c'].map((p) => m(p).fanOut), [2, 1, 1, 0]);
  assert.deepEqual(['main', 'a', 'b', 'c'].map((p) => m(p).transitiveDependents), [0, 1, 1, 3]);
  assert.deepEqual(m('c').chain, ['main', 'a', 'c']);
  assert.deepEqual(m('main').chain, ['main']);
  assert.equal(g.maxDepth, 2);
});

test('depth is the longest chain, not the shortest: a shortcut edge does not lower it', () => {
  // r → x → y → z and r → z: z is at depth 3, its shortest chain is r → z.
  const g = graphMetrics(synModel({
    packages: [{ path: 'r', imports: ['x', 'z'], root: true }, { path: 'x', imports: ['y'] }, { path: 'y', imports: ['z'] }, { path: 'z' }],
    actions: [{ id: 0, priority: 0, start: 0, dur: 1 }],
  }));
  assert.equal(g.packages.get('z')!.depth, 3);
  assert.deepEqual(g.packages.get('z')!.chain, ['r', 'z']);
  assert.equal(g.packages.get('r')!.height, 3);
});

test('a package only in Deps (cgo runtime) hangs under the package that needs it', () => {
  // r imports n; n uses cgo, so go list puts runtime/cgo in the Deps of n and r but no Imports lead there.
  const m = synModel({
    packages: [{ path: 'r', imports: ['n'], root: true }, { path: 'n', imports: ['u'] }, { path: 'u' }, { path: 'runtime/cgo', imports: ['u'] }],
    actions: [{ id: 0, priority: 0, start: 0, dur: 1 }],
  });
  m.packages.get('r')!.deps = ['n', 'u', 'runtime/cgo'];
  m.packages.get('n')!.deps = ['u', 'runtime/cgo'];
  m.packages.get('runtime/cgo')!.deps = ['u'];
  const g = graphMetrics(m);
  const cgo = g.packages.get('runtime/cgo')!;
  assert.equal(cgo.implicitlyImportedBy, 'n');
  assert.deepEqual(cgo.chain, ['r', 'n', 'runtime/cgo']);
  assert.equal(cgo.depth, 2);
  assert.equal(g.packages.get('u')!.depth, 3);
  assert.equal(g.packages.get('n')!.fanOut, 1, 'fan-out counts real imports only');
  assert.deepEqual(g.unreachable, []);
});

test('critical path of the diamond: c → a → main → link → go build, 65 ns, b has 20 ns slack', () => {
  const cp = criticalPath(diamond());
  assert.equal(cp.lengthNs, 65);
  assert.deepEqual(cp.steps.map((s) => `${s.mode} ${s.package}`), ['build c', 'build a', 'build main', 'link main', 'go build ']);
  assert.deepEqual(cp.steps[1].chain, ['main', 'a']);
  const slack = Object.fromEntries(cp.actions.map((a) => [a.id, a.slackNs]));
  assert.deepEqual(slack, { 0: 0, 1: 0, 2: 0, 3: 0, 4: 20, 5: 0 });
  const b = cp.actions.find((a) => a.id === 4)!;
  assert.equal(b.earliestStartNs, 20);
  assert.equal(b.latestStartNs, 40);
  assert.equal(cp.longestActionNs, 30);
  assert.equal(cp.totalWorkNs, 75);
});

test('the go command priorities are a depth-first post-order from the root', () => {
  const m = diamond();
  const dag = buildActionDag(m);
  const prio = goPriorities(dag.deps, dag.roots);
  assert.deepEqual(prio, m.actions.map((a) => a.priority));
});

test('replay of the diamond: 1 worker = sum of durations, 2 workers = the critical path', () => {
  const sim = simulate(diamond(), { workers: [1, 2, 3], keepSchedule: true });
  assert.deepEqual(sim.runs.map((r) => r.makespanNs), [75, 65, 65]);
  assert.equal(sim.totalWorkNs, 75);
  assert.equal(sim.measuredSpanNs, 65);
  assert.equal(sim.overheadNs, 1100 - 65);
  assert.equal(sim.runs[1].predictedWallNs, 1100);
  // On one worker the order is the priority order: c, a, b, main, link.
  assert.deepEqual(sim.runs[0].schedule!.map((s) => s.id), [5, 3, 4, 2, 1, 0]);
});

test('replay follows priority, not readiness: low-priority long leaf last on 2 workers', () => {
  // Three leaves ready at once; x(10) and y(10) come first in post-order, z(30) last.
  // 2 workers: x,y at 0–10, z 10–40 → 40. 3 workers: 30. Unlimited: 30.
  const m = synModel({
    packages: [{ path: 'r', root: true }],
    actions: [
      { id: 0, mode: 'go build', deps: [1, 2, 3], priority: 3, start: 30, dur: 0 },
      { id: 1, pkg: 'x', priority: 0, start: 0, dur: 10 },
      { id: 2, pkg: 'y', priority: 1, start: 0, dur: 10 },
      { id: 3, pkg: 'z', priority: 2, start: 0, dur: 30 },
    ],
  });
  assert.deepEqual(simulate(m, { workers: [1, 2, 3] }).runs.map((r) => r.makespanNs), [50, 40, 30]);
  assert.equal(criticalPath(m).lengthNs, 30);
});

test('what-if: a 50% faster and the main→a edge cut', () => {
  // a 30→15: c 0–20, a 20–35 (b 20–30), main 35–40, link 40–50.
  const fast = simulate(diamond(), { workers: [2], faster: [{ pattern: 'a', fraction: 0.5 }] });
  assert.equal(fast.runs[0].makespanNs, 50);
  assert.deepEqual(fast.applied, [{ rule: 'faster a=50%', matched: 1 }]);
  // Without main→a nothing needs a: c 0–20, b 20–30, main 30–35, link 35–45.
  const cut = simulate(diamond(), { workers: [2], cut: [{ from: 'main', to: 'a' }] });
  assert.equal(cut.runs[0].makespanNs, 45);
  assert.deepEqual(cut.applied, [{ rule: 'cut main=a', matched: 1 }]);
  assert.equal(cut.removedActions, 1);
  // Without a→c, a starts at once; c is still needed by b: c 0–20 and a 0–30, b 20–30, main 30–35, link 35–45.
  const cutAc = simulate(diamond(), { workers: [2], cut: [{ from: 'a', to: 'c' }] });
  assert.equal(cutAc.runs[0].makespanNs, 45);
  assert.equal(cutAc.removedActions, 0);
  assert.deepEqual(cutAc.applied, [{ rule: 'cut a=c', matched: 1 }]);
});

test('parallelism over time of the diamond, in 10 ns buckets', () => {
  const p = parallelismOverTime(diamond(), { bucketNs: 10 });
  assert.equal(p.startNs, 1000);
  assert.deepEqual(p.running, [1, 1, 2, 1, 1, 1, 0.5]);
  assert.equal(p.peak, 2);
  assert.equal(p.average, 75 / 65);
  assert.equal(p.cores, 2);
});

test('stage × depth of the diamond, with the rank correlation worked by hand', () => {
  const s = stageAnalysis(diamond());
  const lv = s.levels.map((l) => [l.depth, l.packages, l.totalNs, l.maxNs, l.slowest]);
  assert.deepEqual(lv, [[0, 1, 5, 5, 'main'], [1, 2, 40, 30, 'a'], [2, 1, 20, 20, 'c']]);
  assert.equal(s.levels[1].parallelism, 40 / 30);
  // height ranks (main,a,b,c) = 4,2.5,2.5,1; compile ranks = 1,4,2,3 → rho = −3/√22.5.
  assert.equal(s.heightVsCompile.n, 4);
  assert.ok(Math.abs(s.heightVsCompile.rho! - -3 / Math.sqrt(22.5)) < 1e-12);
  const main = s.packages.find((p) => p.importPath === 'main')!;
  assert.equal(main.durationNs, 15);
  assert.equal(main.compileNs, 5);
  assert.equal(main.linkNs, 10);
});

test('ranks average ties; spearman of a monotone pair is 1', () => {
  assert.deepEqual(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.equal(spearman([1, 2, 3, 4], [10, 100, 1000, 10000]), 1);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
});

test('-p from argv', () => {
  assert.equal(buildFlagP(['go', 'build', '-p', '1', './...']), 1);
  assert.equal(buildFlagP(['go', 'build', '-p=4', './...']), 4);
  assert.equal(buildFlagP(['go', 'build', './...']), null);
});

test('a cycle in the action graph is a clear parse error', () => {
  const m = synModel({
    packages: [],
    actions: [
      { id: 0, deps: [1], priority: 0, start: 0, dur: 1 },
      { id: 1, deps: [0], priority: 1, start: 0, dur: 1 },
    ],
  });
  assert.throws(() => criticalPath(m), (e: Error & { code?: string }) => e.code === 'parse' && /cycle/.test(e.message));
});
