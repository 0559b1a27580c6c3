// Hostile bundles through the real `gbp` command line: one sentence on
// stderr naming the bundle, exit code 1 (2 for usage), no stack trace, no
// output folder, and the reader's temporary folder gone even on failure.
// The shared flags (--max-*, --partial) work on a real command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
const corpus = new URL('./hostile/', import.meta.url).pathname;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** What the run left in its private TMPDIR (tsx's cache aside). */
  leftInTmp: string[];
  outExists: boolean;
}

/** Runs gbp with a private TMPDIR and output folder; `{out}` in args is replaced. */
function run(args: string[]): Promise<Run> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gbp-cli-hostile-'));
  const tmp = path.join(root, 'tmp');
  const out = path.join(root, 'out');
  return new Promise((resolve, reject) => {
    const p = spawn('node', [gbp, ...args.map((a) => a.replace('{out}', out))], { env: { ...process.env, TMPDIR: tmp }, cwd: root });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => {
      const leftInTmp = existsSync(tmp) ? readdirSync(tmp).filter((f) => !f.startsWith('tsx-')) : [];
      const outExists = existsSync(out);
      rmSync(root, { recursive: true, force: true });
      resolve({ status, stdout, stderr, leftInTmp, outExists });
    });
  });
}

const refusals: [string, string[], RegExp][] = [
  ['dotdot-path.gbp.tgz', [], /refusing entry 'go\/\.\.\/\.\.\/gbp-hostile-escaped-dotdot': path contains '\.\.'/],
  ['symlink-entry.gbp.tgz', [], /entry type 'symlink' is not allowed/],
  ['entry-too-big.gbp.tgz', ['--max-entry-bytes', '64KiB'], /entry 'perf\/perf\.data' is 1048576 bytes, more than 65536 \(raise with --max-entry-bytes\)/],
  ['too-many-entries.gbp.tgz', ['--max-entries', '10'], /more than 10 entries \(raise with --max-entries\)/],
  ['truncated-gzip.gbp.tgz', [], /damaged archive while reading entry 'go\/list\.json': unexpected end of file/],
  ['random-bytes.gbp.tgz', [], /not a gzip'd tar bundle \(not gzip data\)/],
  ['manifest-newer-version.gbp.tgz', [], /bundle format version 2 is newer than this gbp understands \(1\)/],
];

for (const [file, flags, message] of refusals) {
  test(`gbp report ${file} ${flags.join(' ')}: one line, exit 1, nothing written`, async () => {
    const bundle = path.join(corpus, file);
    const r = await run(['report', bundle, '-o', '{out}', ...flags]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.ok(r.stderr.startsWith(`gbp: ${bundle}: `), r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `more than one line:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error|\bat .*\.ts:\d+/);
    assert.equal(r.stdout, '');
    assert.equal(r.outExists, false, 'the output folder was created for a bundle that was refused');
    assert.deepEqual(r.leftInTmp, []);
  });
}

test('the override flag lets the same bundle through: gbp report --max-entry-bytes 2MiB', async () => {
  const r = await run(['report', path.join(corpus, 'entry-too-big.gbp.tgz'), '-o', '{out}', '--no-svg', '--max-entry-bytes', '2MiB']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^wrote \d+ files; open .*index\.html/);
  assert.deepEqual(r.leftInTmp, []);
});

test('gbp report --partial on a truncated bundle: writes the report and says what is missing', async () => {
  const r = await run(['report', path.join(corpus, 'truncated-gzip.gbp.tgz'), '-o', '{out}', '--no-svg', '--partial']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /gbp: warning: --partial: using what could be read; .*damaged archive while reading entry 'go\/list\.json'/);
  assert.match(r.stderr, /gbp: warning: missing entries: build\/stderr\.txt, build\/stdout\.txt, go\/list\.json/);
  assert.equal(r.outExists, true);
  assert.deepEqual(r.leftInTmp, []);
});

test('a bad cap value is a usage error naming the flag value', async () => {
  const r = await run(['report', path.join(corpus, 'dotdot-path.gbp.tgz'), '-o', '{out}', '--max-entries', 'lots']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /'lots' is not a positive whole number/);
  assert.equal(r.outExists, false);
});

test('a bundle that does not exist is one io sentence', async () => {
  const r = await run(['trace', '/nonexistent/b.gbp.tgz', '-o', '{out}']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'gbp: /nonexistent/b.gbp.tgz: cannot read bundle (no such file or not readable)\n');
});
