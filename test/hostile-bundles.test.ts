// One test per file in test/hostile/: reading it fails with the exact error
// code and a message that names the bundle (and the entry), and nothing is
// written anywhere but the reader's own temporary folder, which is gone after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBundle } from '../src/bundle/reader.ts';
import { GbpError } from '../src/errors.ts';
import { CASES, ESCAPE_MARK, type HostileCase } from '../scripts/hostile-cases.ts';

const corpus = new URL('./hostile/', import.meta.url).pathname;

/** Every file below `dir` with a hash of its content, so any write or removal shows. */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, p);
    if (e.isFile()) out.set(rel, createHash('sha256').update(await fsp.readFile(p)).digest('hex'));
    else out.set(rel, e.isDirectory() ? 'dir' : 'other');
  }
  return out;
}

/**
 * Files an escaping entry would have created, looked for where they could land:
 * the absolute names in the corpus point at /tmp, relative ones at the
 * sandbox (checked whole by `tree`) or the working folder. Not recursive
 * outside the sandbox: other processes share /tmp.
 */
function escapedFiles(dirs: string[]): string[] {
  return dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((e) => e.includes(ESCAPE_MARK)).map((e) => path.join(d, e)) : []));
}

/**
 * Runs `fn` with TMPDIR pointing into a fresh sandbox that also holds a
 * sentinel folder, and checks the sandbox afterwards: same files, same
 * contents, the reader's temporary folder removed.
 */
async function sandboxed(fn: () => Promise<void>): Promise<void> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-hostile-test-'));
  const tmp = path.join(root, 'tmp');
  await fsp.mkdir(tmp);
  await fsp.mkdir(path.join(root, 'sentinel', 'deeper'), { recursive: true });
  await fsp.writeFile(path.join(root, 'sentinel', 'keep.txt'), 'sentinel\n');
  await fsp.writeFile(path.join(root, 'sentinel', 'deeper', 'keep.txt'), 'sentinel 2\n');
  const before = await tree(root);
  const oldTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    assert.equal(os.tmpdir(), tmp);
    await fn();
  } finally {
    if (oldTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = oldTmp;
  }
  try {
    assert.deepEqual(await tree(root), before, 'the sandbox changed: something was written outside the reader\'s folder or left behind');
    assert.deepEqual(escapedFiles(['/tmp', process.cwd(), path.dirname(process.cwd())]), []);
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
}

function expectError(c: HostileCase, file: string) {
  return (e: unknown) => {
    assert.ok(e instanceof GbpError, `expected a GbpError, got ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, c.code, e.message);
    assert.ok(e.message.startsWith(`${file}: `), `message must start with the bundle path: ${e.message}`);
    assert.match(e.message, c.message);
    assert.equal(e.file, file);
    if (c.entry !== undefined) assert.equal(e.entry, c.entry);
    assert.doesNotMatch(e.message, /\n|\s+at \S+:\d+/, 'one sentence, no stack');
    return true;
  };
}

test('test/hostile holds exactly the files scripts/hostile-cases.ts describes', () => {
  const files = readdirSync(corpus).filter((f) => f.endsWith('.gbp.tgz')).sort();
  assert.deepEqual(files, CASES.map((c) => c.file).sort());
  assert.equal(new Set(CASES.map((c) => c.file)).size, CASES.length);
});

for (const c of CASES) {
  test(`hostile/${c.file}: ${c.breaks} → ${c.code}`, async () => {
    const file = path.join(corpus, c.file);
    await sandboxed(async () => {
      await assert.rejects(openBundle(file, c.opts), expectError(c, file));
      if (c.passesWith) {
        const b = await openBundle(file, c.passesWith);
        assert.equal(b.damage, null);
        await b.close();
      }
      if (c.partialMissing) {
        const b = await openBundle(file, { ...c.opts, partial: true });
        try {
          assert.ok(b.damage, 'partial read must say the archive was damaged');
          assert.match(b.damage!, c.message);
          assert.deepEqual(b.missing, c.partialMissing);
          assert.equal(b.manifest.format.name, 'go-build-profiler-bundle');
          // What was read is usable: every delivered entry is there in full.
          for (const [name, size] of b.entries) assert.equal((await fsp.stat(b.file(name))).size, size, name);
          for (const name of b.missing) assert.equal(b.has(name), false);
        } finally {
          await b.close();
        }
      }
    });
  });
}

test('damaged bundles are refused without --partial even when the manifest was read', async () => {
  const file = path.join(corpus, 'truncated-gzip.gbp.tgz');
  await sandboxed(() => assert.rejects(openBundle(file), /damaged archive/));
});

test('a missing bundle and a folder given as a bundle are io errors', async () => {
  await assert.rejects(openBundle(path.join(corpus, 'no-such.gbp.tgz')), (e) => e instanceof GbpError && e.code === 'io' && /no such file or not readable/.test(e.message));
  await assert.rejects(openBundle(corpus), (e) => e instanceof GbpError && e.code === 'io' && /not a regular file/.test(e.message));
});
