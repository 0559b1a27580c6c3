// Hostile bundles through the real `gbp` command line: one sentence on
// stderr naming the bundle, exit code 1 (2 for usage), no stack trace, no
// output folder, and the reader's temporary folder gone even on failure.
// The shared flags (--max-*, --partial) work on a real command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

/** Runs gbp with a private TMPDIR (missing with noTmp) and output folder; `{out}` in args is replaced. */
function run(args: string[], noTmp = false): Promise<Run> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gbp-cli-hostile-'));
  const tmp = path.join(root, 'tmp');
  if (!noTmp) mkdirSync(tmp);
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

const SAMPLE = new URL('../samples/nethttp.gbp.tgz', import.meta.url).pathname;

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

test('a TMPDIR that does not exist is one io sentence naming it, not a stack', async (t) => {
  // tsx's loader makes TMPDIR for its cache: only the bundled dist/ (what npm test builds) meets a missing one.
  const launch = spawnSync('node', [gbp, '--version'], { encoding: 'utf8', env: { ...process.env, GBP_TRACE_LAUNCH: '1' } }).stderr;
  if (!launch.includes('running dist/')) return t.skip(launch.trim());
  const r = await run(['info', SAMPLE], true);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^gbp: cannot make a temporary folder in \/\S+\/tmp \(ENOENT\); set TMPDIR to a writable folder\n$/);
});

test('terminal escapes inside a bundle never reach the terminal: gbp info and gbp analyze escape them', async (t) => {
  const { packBundle, testManifest } = await import('./pack-bundle.ts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gbp-cli-esc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, 'escapes.gbp.tgz');
  const evil = '\x1b]0;PWNED\x07\x1b[2J\x1b[41mevil';
  const iso = (ms: number) => new Date(1795675573000 + ms).toISOString();
  await packBundle(bundle, testManifest(1795675573000000000n, { build: { argv: ['go', 'build', evil], effectiveArgv: [], cwd: '/', exitCode: 0, wallNs: 1e9, env: {} } }), {
    // JSON-escaped (valid), so the importers keep the name as it is.
    'go/list.json': { data: JSON.stringify({ ImportPath: evil, Imports: [], Deps: [], GoFiles: ['a.go'] }) },
    'go/actiongraph.json': { data: JSON.stringify([{ ID: 0, Mode: 'build', Package: evil, Deps: [], Priority: 0, NeedBuild: true, TimeReady: iso(0), TimeStart: iso(1), TimeDone: iso(90), Cmd: ['compile'], CmdReal: 89e6, CmdUser: 80e6, CmdSys: 9e6 }]) },
    // Raw (invalid JSON): becomes a warning that quotes the line.
    'toolexec/log.jsonl': { data: `{"seq":${evil}\n` },
  });
  for (const cmd of ['info', 'analyze']) {
    const r = await run([cmd, bundle]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('\\x1b'), `${cmd}: the escaped name is not shown at all:\n${r.stdout}`);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(r.stdout + r.stderr), `${cmd} printed a raw control character`);
  }
});
