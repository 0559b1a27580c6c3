// A symbol sidecar is bundle content, so untrusted: a gzip bomb in
// `symbols/*.json.gz` is refused as damaged without inflating it all, and a
// sidecar whose tables hold the wrong types is refused before use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { decodeSidecar } from '../src/symbols/sidecar.ts';
import { GbpError } from '../src/errors.ts';

const where = { file: 'b.gbp.tgz', entry: 'symbols/x.json.gz' };

test('a gzip bomb sidecar (1 MiB inflating to 1 GiB) is refused as damaged, with bounded memory', () => {
  // 16 gzip members of 64 MiB of spaces: gunzip reads them all.
  const member = gzipSync(Buffer.alloc(64 << 20, 0x20), { level: 9 });
  const bomb = Buffer.concat(Array(16).fill(member));
  assert.ok(bomb.length < 2 << 20, `bomb is ${bomb.length} bytes`);
  const before = process.memoryUsage().rss;
  assert.throws(() => decodeSidecar(bomb, where), (e) => e instanceof GbpError && e.code === 'damaged' && /b\.gbp\.tgz: symbols\/x\.json\.gz: symbol sidecar is not gzip'd JSON/.test(e.message));
  const grew = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grew < 600, `RSS grew by ${grew.toFixed(0)} MiB decoding the bomb`);
});

test('a sidecar with non-string names or non-number addresses is refused before use', () => {
  const good = { format: 'gbp-symbols', version: 1, identity: { buildId: 'x' }, kind: 'go', loads: [[0, 0x400000, 4096]], strings: ['main.main'], funcs: { entry: [0x401000], size: [16], name: [0] }, addrs: { vaddr: [], count: [], frames: [] } };
  assert.equal(decodeSidecar(gzipSync(JSON.stringify(good)), where).strings[0], 'main.main');
  for (const bad of [{ ...good, strings: [true] }, { ...good, funcs: { ...good.funcs, entry: ['0x401000'] } }, { ...good, addrs: { vaddr: [1], count: [], frames: [] } }, { ...good, addrs: { vaddr: [1], count: [2], frames: [0, 0, 7] } }, { ...good, loads: [['a']] }]) {
    assert.throws(() => decodeSidecar(gzipSync(JSON.stringify(bad)), where), (e) => e instanceof GbpError && e.code === 'damaged' && /lacks or mangles its function table/.test(e.message));
  }
});
