import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Profile } from 'pprof-format';
import { PprofBuilder, toAddr } from '../src/exporters/pprof-builder.ts';
import { GO_FOR_PPROF, goToolPprof } from './go-pprof.ts';

function twoStackProfile(): PprofBuilder {
  const b = new PprofBuilder({ sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']], defaultSampleType: 'cpu', comments: ['made by a test'] });
  const m = b.mapping({ file: '/usr/bin/my tool', hasFunctions: true });
  const k = b.mapping({ file: '[kernel.kallsyms]', hasFunctions: true });
  const main = b.location({ mapping: m, address: '401000', lines: [{ name: 'main.main' }] });
  const work = b.location({ mapping: m, address: '0x401200', lines: [{ name: 'main.(*T).work' }] });
  const kern = b.location({ mapping: k, address: 'ffffffff8a2b3c4d', lines: [{ name: 'native_write_msr' }] });
  b.sample([work, main], [3, 3_000_000], { comm: 'my tool', pid: 42, package: 'net/http' });
  b.sample([kern, work, main], [1, 1_000_000], { comm: 'my tool', pid: 42, package: '' });
  return b;
}

test('ids start at 1 and repeated keys are deduplicated', () => {
  const b = twoStackProfile();
  const p = b.build();
  assert.deepEqual(p.mapping.map((m) => Number(m.id)), [1, 2]);
  assert.deepEqual(p.location.map((l) => Number(l.id)), [1, 2, 3]);
  assert.equal(b.location({ mapping: 1, address: '401000', lines: [{ name: 'main.main' }] }), 1);
  assert.equal(b.mapping({ file: '/usr/bin/my tool' }), 1);
  assert.equal(p.function.length, 3);
});

test('kernel addresses beyond 2^53 stay exact', () => {
  assert.equal(toAddr('ffffffff8a2b3c4d'), 0xffffffff8a2b3c4dn);
  assert.equal(toAddr('0x401000'), 0x401000);
  assert.equal(toAddr(undefined), 0);
});

test('round trip: gzip, decode, same samples, values, labels and strings', async () => {
  const gz = await twoStackProfile().encodeGzip();
  const p = Profile.decode(gunzipSync(gz));
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
  assert.deepEqual(p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`), ['samples/count', 'cpu/nanoseconds']);
  assert.equal(s(p.defaultSampleType), 'cpu');
  assert.equal(p.sample.length, 2);
  assert.deepEqual(p.sample.map((x) => x.value.map(Number)), [[3, 3_000_000], [1, 1_000_000]]);
  // The empty package label is dropped rather than written as ''.
  assert.deepEqual(p.sample[1].label.map((l) => s(l.key)), ['comm', 'pid']);
  assert.equal(s(p.sample[0].label[2].str), 'net/http');
  assert.equal(BigInt(p.location[2].address), 0xffffffff8a2b3c4dn);
  assert.ok(p.mapping.every((m) => m.hasFunctions));
  assert.equal(s(p.comment[0]), 'made by a test');
});

test('go tool pprof reads the output, labels and all', { skip: !GO_FOR_PPROF && 'no go' }, async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-pprof-builder-'));
  try {
    const f = path.join(dir, 'p.pb.gz');
    await fsp.writeFile(f, await twoStackProfile().encodeGzip());
    const top = goToolPprof(['-top', '-nodecount=10', f]);
    // cpu is the default sample type: 4 ms in total, 3 ms flat in work.
    assert.match(top, /Showing nodes accounting for 4ms, 100% of 4ms total/);
    assert.match(top, /3ms\s+75(\.00)?%.*main\.\(\*T\)\.work/);
    const focus = goToolPprof(['-top', '-tagfocus=package=net/http', f]);
    assert.match(focus, /3ms, 75(\.00)?% of 4ms total/);
    const raw = goToolPprof(['-raw', f]);
    assert.match(raw, /native_write_msr/);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

/** A profile that uses every field PprofBuilder supports. */
function everyFieldProfile(): PprofBuilder {
  const b = new PprofBuilder({
    sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
    defaultSampleType: 'cpu',
    comments: ['made by a test', 'second comment'],
    periodType: ['cpu', 'nanoseconds'],
    period: 1000,
    timeNanos: '1764150000123456789',
    durationNanos: 5e9,
  });
  const m = b.mapping({ file: '/usr/bin/my tool', hasFunctions: true, hasFilenames: true, hasLineNumbers: true, hasInlineFrames: true, start: '400000', limit: '4fffff', offset: 4096, buildId: 'abc123' });
  const k = b.mapping({ file: '[kernel.kallsyms]', hasFunctions: true, start: 0xffffffff81000000n });
  const inl = b.location({ mapping: m, address: '401000', lines: [{ name: 'main.inl', systemName: 'main.inl.sys', file: '/src/x.go', line: 12, startLine: 3 }, { name: 'main.main', file: '/src/x.go', line: 30, startLine: 25 }] });
  const kern = b.location({ mapping: k, address: 'ffffffff8a2b3c4d', lines: [{ name: 'native_write_msr ü' }] });
  const bare = b.location({ address: 1234 });
  // 40 inlined lines: a location message longer than 127 bytes (a two-byte length).
  const deep = b.location({ mapping: m, address: '402000', lines: Array.from({ length: 40 }, (_, i) => ({ name: `main.f${i}`, file: '/src/y.go', line: 100000 + i })) });
  b.sample([deep], [1, 1]);
  b.sample([kern, inl], [3, 3_000_000], { comm: 'my tool', pid: 42, rss: [1234567, 'bytes'], big: 2 ** 40, neg: -5, zero: 0 });
  b.sample([bare, inl], [0, 2 ** 53]);
  // Enough samples to span several of the encoder's chunks.
  for (let i = 0; i < 20000; i++) b.sample([kern, inl], [1, i * 1000], { tid: i, comm: `thread ${i % 7}` });
  return b;
}

test('encoding matches pprof-format byte for byte: decode and re-encode give the same bytes', async () => {
  const raw = gunzipSync(await everyFieldProfile().encodeGzip());
  const p = Profile.decode(raw);
  assert.equal(p.sample.length, 20003);
  const deep = p.location[3];
  assert.deepEqual([deep.line.length, Number(deep.line[39].line)], [40, 100039]);
  assert.equal(Buffer.compare(Buffer.from(p.encode()), raw), 0);
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const m = p.mapping[0];
  assert.deepEqual([Number(m.memoryStart), Number(m.memoryLimit), Number(m.fileOffset), s(m.buildId)], [0x400000, 0x4fffff, 4096, 'abc123']);
  assert.ok(m.hasFunctions && m.hasFilenames && m.hasLineNumbers && m.hasInlineFrames);
  assert.equal(BigInt(p.mapping[1].memoryStart), 0xffffffff81000000n);
  assert.deepEqual(p.location[0].line.map((l) => [s(p.function[Number(l.functionId) - 1].name), Number(l.line)]), [['main.inl', 12], ['main.main', 30]]);
  assert.equal(s(p.function[0].systemName), 'main.inl.sys');
  assert.equal(s(p.location[1].line[0].functionId && p.function[Number(p.location[1].line[0].functionId) - 1].name), 'native_write_msr ü');
  const labels = Object.fromEntries(p.sample[1].label.map((l) => [s(l.key), [s(l.str), Number(BigInt.asIntN(64, BigInt(l.num))), s(l.numUnit)]]));
  assert.deepEqual(labels, { comm: ['my tool', 0, ''], pid: ['', 42, ''], rss: ['', 1234567, 'bytes'], big: ['', 2 ** 40, ''], neg: ['', -5, ''], zero: ['', 0, ''] });
  assert.equal(Number(p.sample[2].value[1]), 2 ** 53);
  assert.equal(BigInt(p.timeNanos), 1764150000123456789n);
  assert.deepEqual(p.comment.map(s), ['made by a test', 'second comment']);
});

test('go tool pprof -raw shows every field: mapping range, offset, build id, flags, inlined lines, labels with units', { skip: !GO_FOR_PPROF && 'no go' }, async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-pprof-builder-'));
  try {
    const f = path.join(dir, 'p.pb.gz');
    await fsp.writeFile(f, await everyFieldProfile().encodeGzip());
    const raw = goToolPprof(['-raw', f]);
    assert.match(raw, /^Comment: made by a test$/m);
    assert.match(raw, /^PeriodType: cpu nanoseconds$/m);
    assert.match(raw, /^Period: 1000$/m);
    assert.match(raw, /^Duration: 5s$/m);
    assert.match(raw, /^Time: 2025-11-26 09:40:00\.123456789 \+0000 UTC$/m);
    assert.match(raw, /^1: 0x400000\/0x4fffff\/0x1000 \/usr\/bin\/my tool abc123 \[FN\]\[FL\]\[LN\]\[IN\]$/m);
    assert.match(raw, /: 0x401000 M=1 main\.inl \/src\/x\.go:12 s=3\(main\.inl\.sys\)\n\s+main\.main \/src\/x\.go:30 s=25\n/);
    assert.match(raw, /0xffffffff8a2b3c4d M=2 native_write_msr ü/);
    assert.match(raw, /rss:\[1234567 bytes\]/);
    assert.match(raw, /^\s+3\s+3000000: \d+ \d+ \n\s+comm:\[my tool\]\n\s+big:\[1099511627776\] neg:\[-5\] pid:\[42\] rss:\[1234567 bytes\]\n/m);
    // 20000 samples of the loop: one raw line each, all 1 count.
    assert.equal(raw.match(/^\s+1\s+\d+: \d+ \d+ $/gm)?.length, 20000);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('a shared label set encodes exactly as the same labels given per sample', () => {
  const make = (shared: boolean) => {
    const b = new PprofBuilder({ sampleTypes: [['samples', 'count']] });
    const loc = b.location({ lines: [{ name: 'f' }] });
    const labels = { pid: 7, comm: 'go', package: '', rss: [5, 'bytes'] as [number, string] };
    const set = b.labelSet(labels);
    for (let i = 0; i < 3; i++) b.sample([loc], [i + 1], shared ? set : labels);
    b.sample([loc], [9]);
    return b.encode();
  };
  const a = make(true);
  assert.equal(Buffer.compare(a, make(false)), 0);
  const p = Profile.decode(a);
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
  assert.deepEqual(p.sample.map((x) => x.label.map((l) => s(l.key))), [['pid', 'comm', 'rss'], ['pid', 'comm', 'rss'], ['pid', 'comm', 'rss'], []]);
  assert.throws(() => new PprofBuilder({ sampleTypes: [['samples', 'count']] }).sample([], [1], new PprofBuilder({ sampleTypes: [['samples', 'count']] }).labelSet({ a: 'b' })), /label set/);
});
