import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;

test('gbp --version prints the package.json version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const out = execFileSync('node', [gbp, '--version'], { encoding: 'utf8' });
  assert.equal(out.trim(), pkg.version);
});

test('an unknown command fails with a usage error, not a stack trace', () => {
  const r = spawnSync('node', [gbp, 'no-such-command'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /error: (unknown command|too many arguments)/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});

test('a reader that closes the pipe early (| head) ends gbp quietly, not with an EPIPE stack', async () => {
  const { spawn } = await import('node:child_process');
  const sample = new URL('../samples/nethttp.gbp.tgz', import.meta.url).pathname;
  for (const args of [['--help'], ['analyze', sample]]) {
    const child = spawn('node', [gbp, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before gbp writes a byte: every write fails with EPIPE
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((ok) => child.on('close', ok));
    assert.equal(stderr, '', `gbp ${args[0]}: nothing on stderr`);
    assert.equal(code, 0, `gbp ${args[0]}`);
  }
});
