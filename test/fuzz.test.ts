// A bounded fuzz run inside `npm test` (fixed seed, so a failure reproduces
// with the printed command); .ci/run adds the full 10,000-case run per target
// with a fresh seed. The fuzzer runs in its own process with a heap cap, so a
// hang or a runaway allocation fails here instead of stalling the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { allTargets } from '../scripts/fuzz-targets.ts';

const CASES = 200;
const SEED = 20261126;
const script = new URL('../scripts/fuzz.ts', import.meta.url).pathname;

test(`fuzz: ${CASES} cases per target, only GbpError escapes, nothing written outside, bounded memory`, async () => {
  const TARGETS = await allTargets(new URL('..', import.meta.url).pathname);
  const args = ['--max-old-space-size=512', '--import', 'tsx', script, '--cases', String(CASES), '--seed', String(SEED), '--json', '--max-rss-mb', '768'];
  const r = spawnSync('node', args, { encoding: 'utf8', timeout: 150_000, cwd: new URL('..', import.meta.url).pathname });
  assert.equal(r.signal, null, `fuzzer killed (${r.signal}): a hang? stderr: ${r.stderr}`);
  assert.equal(r.status, 0, `node ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(summary.crashes, 0);
  assert.equal(summary.filesOutside, 0);
  assert.equal(summary.inputsTried, CASES * TARGETS.length);
  assert.deepEqual(summary.targets.map((t: { target: string }) => t.target), TARGETS.map((t) => t.name));
  // The generators must reach every refusal the reader has, and real successes:
  // a fuzzer that only ever hits "not gzip" proves nothing.
  const reader = summary.targets.find((t: { target: string }) => t.target === 'bundle-reader').outcomes;
  for (const o of ['ok', 'GbpError(not-a-bundle)', 'GbpError(damaged)', 'GbpError(unsafe-entry)', 'GbpError(limit)']) {
    assert.ok(reader[o] > 0, `no '${o}' outcome in ${JSON.stringify(reader)}`);
  }
});

test('every importer in src/importers/ has a fuzz target', async () => {
  const names = new Set((await allTargets(new URL('..', import.meta.url).pathname)).map((t) => t.name));
  const dir = new URL('../src/importers/', import.meta.url).pathname;
  const importers = readdirSync(dir).filter((f) => f.endsWith('.ts') && /export (async )?function parse[A-Z]/.test(readFileSync(dir + f, 'utf8')) && /export function detect[A-Z]/.test(readFileSync(dir + f, 'utf8')));
  assert.ok(importers.length >= 6, importers.join(' '));
  for (const f of importers) assert.ok(names.has(f.slice(0, -3)), `no fuzz target for src/importers/${f}`);
});
