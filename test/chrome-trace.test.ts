// The Chrome trace export: one X event per real tool run on its lane thread,
// lanes without overlap, critical path and counter tracks, valid JSON that
// round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromeTrace, procCounters } from '../src/exporters/chrome-trace.ts';
import { reportModel } from './fixtures/report-model.ts';

test('one complete event per real tool run, named by package, on non-overlapping lane threads', () => {
  const m = reportModel();
  const t = JSON.parse(JSON.stringify(chromeTrace(m)));
  const real = m.invocations.filter((i) => !i.probe);
  const runs = t.traceEvents.filter((e: { ph: string; tid: number }) => e.ph === 'X' && e.tid < 1000);
  assert.equal(runs.length, real.length);
  assert.deepEqual(runs.map((e: { name: string }) => e.name).sort(), real.map((i) => i.importPath).sort());
  const byTid = new Map<number, { ts: number; dur: number }[]>();
  for (const e of runs) byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), e]);
  for (const evs of byTid.values()) {
    evs.sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < evs.length; i++) assert.ok(evs[i].ts >= evs[i - 1].ts + evs[i - 1].dur - 1e-6, 'overlap on a lane');
  }
  // Every lane thread is named; µs timestamps match the model's ns.
  const names = t.traceEvents.filter((e: { ph: string; name: string }) => e.ph === 'M' && e.name === 'thread_name').map((e: { tid: number }) => e.tid);
  for (const tid of byTid.keys()) assert.ok(names.includes(tid));
  const rt = real.find((i) => i.importPath === 'runtime')!;
  const ev = runs.find((e: { name: string }) => e.name === 'runtime');
  assert.equal(ev.ts, rt.start / 1e3);
  assert.equal(ev.dur, (rt.end! - rt.start) / 1e3);
});

test('counters: RSS and CPU from /proc, critical path on its own track', () => {
  const m = reportModel();
  const t = chromeTrace(m);
  const names = new Set(t.traceEvents.filter((e) => e.ph === 'C').map((e) => e.name));
  assert.deepEqual([...names].sort(), ['CPU in use (cores)', 'runs in flight', 'total RSS (MB)']);
  const crit = t.traceEvents.filter((e) => e.ph === 'X' && e.tid === 1000).map((e) => e.name);
  assert.deepEqual(crit, ['runtime', 'strconv', 'encoding/json', 'example.com/web', 'example.com/app', 'example.com/app']);
  // CPU spread over the counters adds back up to the CPU the snapshots saw, summed here separately.
  const buckets = 500;
  const c = procCounters(m, buckets);
  const width = c[1].t - c[0].t;
  const cpuNs = c.reduce((a, x) => a + x.cores * width, 0);
  const seen = [...m.processes.values()].reduce((a, p) => a + p.points[p.points.length - 1].cpuNs, 0);
  assert.ok(Math.abs(cpuNs - seen) / seen < 1e-6, `${cpuNs} vs ${seen}`);
  // The concurrent compiles never use more than the 2 cores they can have... in this model each uses 0.95 of one.
  assert.ok(Math.max(...c.map((x) => x.cores)) <= 2);
});
