// The `gbp` launcher runs the bundled dist/ only while it matches the
// sources, and the TypeScript sources through tsx otherwise: an edit is never
// hidden behind a stale bundle. Checked on a copy of the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repo = new URL('..', import.meta.url).pathname;

function gbp(root: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'src/cli/gbp.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, GBP_FROM_SOURCE: '', GBP_TRACE_LAUNCH: '1', ...env } });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

test('dist/ runs while current; an edited, touched or missing source falls back to tsx on src/', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'gbp-launch-'));
  try {
    for (const p of ['src', 'scripts', 'package.json']) cpSync(path.join(repo, p), path.join(root, p), { recursive: true });
    symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
    const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version;

    // Before any build: the sources.
    let r = gbp(root, ['--version']);
    assert.match(r.err, /running src\/ through tsx: no dist\//);
    assert.equal(r.out.trim(), version);

    const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stderr, /build: dist\/ from \d+ source files/);
    const inputs = JSON.parse(readFileSync(path.join(root, 'dist/inputs.json'), 'utf8'));
    assert.ok(inputs['src/cli/main.ts'] && inputs['src/importers/perf-script.ts'], 'the bundle records its sources');
    r = gbp(root, ['--version']);
    assert.equal(r.err, 'gbp: running dist/ (bundled)\n');
    assert.equal(r.out.trim(), version);
    r = gbp(root, ['--version'], { GBP_FROM_SOURCE: '1' });
    assert.match(r.err, /running src\/ through tsx: GBP_FROM_SOURCE is set/);

    // An edit shows at once: the new text comes from the source, not the bundle.
    const main = path.join(root, 'src/cli/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('capture a Go build once', 'capture a Go build ONCE (edited)'));
    r = gbp(root, ['--help']);
    assert.match(r.err, /running src\/ through tsx: src\/cli\/main\.ts changed since the build/);
    assert.match(r.out, /ONCE \(edited\)/);

    // Rebuilt: current again, with the edit.
    assert.equal(spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--quiet']).status, 0);
    r = gbp(root, ['--help']);
    assert.equal(r.err, 'gbp: running dist/ (bundled)\n');
    assert.match(r.out, /ONCE \(edited\)/);

    // Same bytes, new mtime (a checkout, a touch): not trusted.
    const t = new Date(Date.now() + 5000);
    utimesSync(path.join(root, 'src/version.ts'), t, t);
    assert.match(gbp(root, ['--version']).err, /src\/version\.ts changed since the build/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
