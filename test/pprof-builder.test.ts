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
