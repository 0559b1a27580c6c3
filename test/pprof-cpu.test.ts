// cpu.pb.gz from real perf text: decoded totals against an independent count
// of the text, and the real `go tool pprof` reading it (labels, -tagfocus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Profile } from 'pprof-format';
import { parsePerfScriptFile } from '../src/importers/perf-script.ts';
import { encodeCpuPprof, periodValueType } from '../src/exporters/pprof-cpu.ts';
import type { ToolInvocation } from '../src/model/types.ts';
import { GO_FOR_PPROF, goToolPprof } from './go-pprof.ts';
import { PERF_FIXTURES as dir, eventLines, eventTid, fixtureText, periodSum } from './perf-text.ts';

function decode(gz: Buffer) {
  const p = Profile.decode(gunzipSync(gz));
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const label = (smp: (typeof p.sample)[number], key: string) => {
    const l = smp.label.find((x) => s(x.key) === key);
    return l === undefined ? undefined : Number(l.str) ? s(l.str) : Number(l.num);
  };
  return { p, s, label };
}

function invocation(pid: number, tool: string, importPath: string): ToolInvocation {
  return { seq: 0, tool, toolPath: `/x/${tool}`, importPath, pid, start: 0, end: null, exitCode: 0, userNs: null, sysNs: null, maxRssBytes: null, probe: false, argv: [] };
}

for (const name of ['go-default-callchain.txt', 'cpp-templates-comm-and-dso-with-spaces.txt', 'F-no-callchain-no-time.txt']) {
  test(`${name}: samples/count = event lines, cpu/nanoseconds = sum of periods, unknown frames left to pprof`, async () => {
    const r = await parsePerfScriptFile(dir + name);
    const { p, s, label } = decode(await encodeCpuPprof(r.profile));
    const events = eventLines(fixtureText(name));
    assert.deepEqual(p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`), ['samples/count', 'cpu/nanoseconds']);
    assert.equal(s(p.defaultSampleType), 'cpu');
    assert.equal(p.sample.reduce((a, x) => a + Number(x.value[0]), 0), events.length);
    assert.equal(p.sample.reduce((a, x) => a + Number(x.value[1]), 0), periodSum(events));
    // A named frame is a location with its one line; an [unknown] one keeps only its address,
    // and a mapping claims functions (so pprof leaves it alone) only when some location has one.
    assert.ok(p.location.every((l) => l.line.length <= 1 && Number(l.mappingId) > 0));
    const unknown = new Set(fixtureText(name).split('\n').map((l) => /^\s*([0-9a-f]+) \[unknown\] \((.*)\)$/.exec(l)).filter((m) => m).map((m) => `${m![1]} ${m![2]}`));
    assert.equal(p.location.filter((l) => l.line.length === 0).length, unknown.size);
    assert.ok(p.mapping.length > 0);
    for (const m of p.mapping) assert.equal(m.hasFunctions, p.location.some((l) => Number(l.mappingId) === Number(m.id) && l.line.length > 0), s(m.filename));
    // Every sample says which process and thread it came from.
    const tids = new Set(events.map(eventTid));
    assert.deepEqual(new Set(p.sample.map((x) => label(x, 'tid'))), tids);
    assert.ok(p.sample.every((x) => typeof label(x, 'comm') === 'string' && typeof label(x, 'pid') === 'number'));
  });
}

test('tool and package labels come from the tool runs joined by pid; -tagfocus selects them', { skip: !GO_FOR_PPROF && 'no go' }, async () => {
  const name = 'go-default-callchain.txt';
  const r = await parsePerfScriptFile(dir + name);
  // The default layout has no pid column: each thread's tid stands in for its pid.
  const events = eventLines(fixtureText(name));
  const byTid = new Map<number, string[]>();
  for (const l of events) {
    const tid = eventTid(l);
    byTid.set(tid, [...(byTid.get(tid) ?? []), l]);
  }
  const [busiest, busiestLines] = [...byTid].sort((a, b) => b[1].length - a[1].length)[0];
  const gz = await encodeCpuPprof(r.profile, [invocation(busiest, 'compile', 'net/http'), invocation(busiest + 100000, 'asm', 'runtime')]);
  const { p, label } = decode(gz);
  for (const x of p.sample) {
    const mine = label(x, 'pid') === busiest;
    assert.equal(label(x, 'package'), mine ? 'net/http' : undefined);
    assert.equal(label(x, 'tool'), mine ? 'compile' : undefined);
  }
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-pprof-cpu-'));
  try {
    const f = path.join(tmp, 'cpu.pb.gz');
    await fsp.writeFile(f, gz);
    const all = ['-top', '-unit=ns', '-nodefraction=0', '-edgefraction=0', '-nodecount=100000'];
    const focus = goToolPprof([...all, '-tagfocus=package=net/http', f]);
    const m = /Showing nodes accounting for (\d+)ns, [\d.]+% of (\d+)ns total/.exec(focus);
    assert.ok(m, focus);
    assert.equal(Number(m[1]), periodSum(busiestLines));
    assert.equal(Number(m[2]), periodSum(events));
    const raw = goToolPprof(['-raw', f]);
    assert.match(raw, /package:\[net\/http\]/);
    assert.match(raw, /tool:\[compile\]/);
    // -raw prints one block per sample; the count column sums to the event lines.
    const counts = [...raw.matchAll(/^\s+(\d+)\s+\d+: [\d ]+$/gm)].map((x) => Number(x[1]));
    assert.equal(counts.reduce((a, b) => a + b, 0), events.length);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});

test('sample types follow the event: time events are cpu/nanoseconds, others count events', () => {
  assert.deepEqual(periodValueType('cpu-clock'), ['cpu', 'nanoseconds']);
  assert.deepEqual(periodValueType('task-clock:u'), ['cpu', 'nanoseconds']);
  assert.deepEqual(periodValueType('cycles:ppp'), ['cycles', 'count']);
});
