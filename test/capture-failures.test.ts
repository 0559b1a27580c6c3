// `gbp capture` when things go wrong, for real: the build interrupted
// (SIGINT, SIGTERM to gbp; SIGKILL of one compile), perf missing or not
// permitted, an output folder that cannot be written or fills up. Each must
// give a clear message, the build's exit code where there is one, and a bundle
// that is either complete and marked or absent, with no temporary files or
// build processes left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBundle } from '../src/bundle/reader.ts';
import { ENTRY } from '../src/bundle/format.ts';

const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
/** A package with no imports: one compile, no link, so a fresh GOCACHE costs nothing. */
const TINY = 'package tiny\n\nfunc F() int { return 1 }\n';
const GO = '/usr/local/go/bin/go';

interface Sandbox {
  root: string;
  mod: string;
  out: string;
  tmp: string;
  gocache: string;
  env: NodeJS.ProcessEnv;
}

/** A private folder with a Go module, an output folder, TMPDIR and a fresh GOCACHE. */
function sandbox(t: { after(fn: () => void): void }, src = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n'): Sandbox {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gbp-capfail-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const s = { root, mod: path.join(root, 'mod'), out: path.join(root, 'out'), tmp: path.join(root, 'tmp'), gocache: path.join(root, 'gocache') };
  for (const d of [s.mod, s.out, s.tmp]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(s.mod, 'go.mod'), 'module example.com/capfail\n\ngo 1.19\n');
  writeFileSync(path.join(s.mod, 'main.go'), src);
  const env = { ...process.env, TMPDIR: s.tmp, GOCACHE: s.gocache, GOTOOLCHAIN: 'local', GOFLAGS: '', GOPATH: path.join(root, 'gopath'), PATH: `/usr/local/go/bin:${process.env.PATH}` };
  return { ...s, env };
}

interface Done {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function capture(s: Sandbox, args: string[], opts: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [gbp, 'capture', ...args], { cwd: s.mod, env: opts.env ?? s.env, uid: opts.uid, gid: opts.gid });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Done>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}

/** Pids of running processes whose environment holds GOCACHE=<ours> (the build and its tools). */
function buildProcesses(s: Sandbox, comm?: string): number[] {
  const marker = Buffer.from(`GOCACHE=${s.gocache}\0`);
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (comm && readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== comm) continue;
      if (readFileSync(`/proc/${d}/environ`).includes(marker)) pids.push(Number(d));
    } catch {
      /* gone between listing and reading */
    }
  }
  return pids;
}

async function waitFor<T>(what: string, f: () => T | null | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What must hold after every capture: no temp files, no build processes, no half-written bundle. */
async function checkClean(s: Sandbox, bundle: string) {
  // go itself leaves its $WORK (go-build*) when interrupted: plain `go build`
  // does the same on SIGINT, so that one is not ours to clean.
  const leftTmp = readdirSync(s.tmp).filter((f) => !f.startsWith('tsx-') && !f.startsWith('go-build'));
  assert.deepEqual(leftTmp, [], 'gbp left temporary files');
  assert.deepEqual(readdirSync(path.dirname(bundle)).filter((f) => f.startsWith('.gbp-tmp')), [], 'a half-written bundle was left');
  await waitFor('the build processes to end', () => buildProcesses(s).length === 0 || null, 10_000);
}

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${sig} to gbp while compiles run: exit ${code}, a bundle marked incomplete, nothing left running`, async (t) => {
    const s = sandbox(t);
    const bundle = path.join(s.out, 'b.gbp.tgz');
    const { child, done } = capture(s, ['-o', bundle, '--perf', 'off', '--', 'go', 'build', '-a', '-o', path.join(s.root, 'app'), '.']);
    await waitFor('a compile to run', () => buildProcesses(s, 'compile').length > 0);
    child.kill(sig);
    const r = await done;
    assert.equal(r.status, code, r.stderr);
    assert.match(r.stderr, new RegExp(`gbp: interrupted by ${sig}; wrote an incomplete bundle to ${bundle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(r.stderr, /internal error|\bat .*\.ts:\d+/);
    const b = await openBundle(bundle);
    try {
      assert.equal(b.manifest.complete, false);
      assert.equal(b.manifest.incompleteReason, `interrupted by ${sig}`);
      assert.equal(b.damage, null);
      // What was collected up to the interrupt is there, as the manifest says.
      assert.ok(b.has(ENTRY.toolexec) && b.has(ENTRY.proc));
      assert.deepEqual(b.missing, []);
      const runs = (await b.text(ENTRY.toolexec)).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.ok(runs.some((x) => x.tool === 'compile'), `the compile that was running is not in the toolexec log: ${JSON.stringify(runs).slice(0, 1500)} ${JSON.stringify(b.manifest.collectors)}`);
    } finally {
      await b.close();
    }
    await checkClean(s, bundle);
  });
}

test('SIGKILL of one compile: gbp exits with the build\'s own code and writes a complete bundle of the failed build', async (t) => {
  const s = sandbox(t);
  const bundle = path.join(s.out, 'b.gbp.tgz');
  const { done } = capture(s, ['-o', bundle, '--perf', 'off', '--', 'go', 'build', '-a', '-o', path.join(s.root, 'app'), '.']);
  // A real compile, not a `compile -V=full` version probe (killing a probe
  // fails the build differently, and under load a probe lives long enough to be picked).
  // Frozen with SIGSTOP first, then checked: a compile of a small package can
  // end between being found and being killed, and the build would succeed.
  const victim = await waitFor('a compile to run', () => {
    for (const pid of buildProcesses(s, 'compile')) {
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        continue; // already gone
      }
      try {
        if (buildProcesses(s, 'compile').includes(pid) && !readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes('-V=full')) return pid;
      } catch {
        /* gone */
      }
      try {
        process.kill(pid, 'SIGCONT'); // a probe, or no longer ours: let it go on
      } catch {
        /* gone */
      }
    }
    return null;
  });
  process.kill(victim, 'SIGKILL');
  const r = await done;
  assert.equal(r.status, 1, `go build exits 1 when a tool is killed; gbp must pass that on\n${r.stderr}`);
  // As without gbp ("internal/strconv: .../compile: signal: killed"), except
  // that go names the toolexec command it ran.
  assert.match(r.stderr, /: signal: killed\n/, 'the build\'s own error is shown');
  assert.doesNotMatch(r.stderr, /Killed|EPOCHREALTIME|exec "\$@"/, 'bash job notices from the shim must not reach the build output');
  const b = await openBundle(bundle);
  try {
    assert.equal(b.manifest.complete, true, 'the capture itself was not interrupted');
    assert.equal(b.manifest.build.exitCode, 1);
    const runs = (await b.text(ENTRY.toolexec)).trim().split('\n').map((l) => JSON.parse(l));
    const killed = runs.find((x) => x.pid === victim);
    assert.ok(killed, `no toolexec record for the killed compile (pid ${victim})`);
    assert.equal(killed.exitCode, 137);
  } finally {
    await b.close();
  }
  await checkClean(s, bundle);
});

/** A PATH folder with `go` and the few commands gbp itself runs, but no perf. */
function pathWithoutPerf(s: Sandbox): string {
  const bin = path.join(s.root, 'bin-no-perf');
  mkdirSync(bin);
  for (const c of ['go', 'getconf', 'bash', 'sh']) {
    const real = c === 'go' ? GO : spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim();
    if (real) symlinkSync(real, path.join(bin, c));
  }
  assert.equal(spawnSync('sh', ['-c', 'command -v perf'], { encoding: 'utf8', env: { PATH: bin } }).stdout.trim(), '');
  return bin;
}

test('perf missing from PATH: --perf auto captures without it and says why; --perf on refuses before building', async (t) => {
  const s = sandbox(t, TINY);
  const env = { ...s.env, PATH: pathWithoutPerf(s) };
  const refused = path.join(s.out, 'on.gbp.tgz');
  const on = await capture(s, ['-o', refused, '--perf', 'on', '--', 'go', 'build', '.'], { env }).done;
  assert.equal(on.status, 1);
  assert.equal(on.stderr, 'gbp: --perf on, but perf not found on PATH\n');
  assert.equal(existsSync(refused), false);
  assert.equal(existsSync(s.gocache), false, 'the build ran although the capture was refused');

  const bundle = path.join(s.out, 'auto.gbp.tgz');
  const auto = await capture(s, ['-o', bundle, '--perf', 'auto', '--', 'go', 'build', '.'], { env }).done;
  assert.equal(auto.status, 0, auto.stderr);
  const b = await openBundle(bundle);
  try {
    assert.equal(b.manifest.complete, true);
    assert.deepEqual(b.manifest.collectors.perf, { status: 'skipped', reason: 'perf not found on PATH' });
    assert.equal(b.manifest.perf.event, null);
    assert.equal(b.has(ENTRY.perfData), false);
  } finally {
    await b.close();
  }
  await checkClean(s, bundle);
});

/**
 * Runs argv with perf_event_open(2) denied by a seccomp filter (EPERM), as
 * Docker's default seccomp profile does: perf is there and runs, the kernel
 * refuses it. Python's ctypes installs the filter, then execs (x86-64 only).
 */
const DENY_PERF_EVENT_OPEN = `
import ctypes, os, sys
class F(ctypes.Structure): _fields_ = [('code', ctypes.c_ushort), ('jt', ctypes.c_ubyte), ('jf', ctypes.c_ubyte), ('k', ctypes.c_uint)]
class P(ctypes.Structure): _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.POINTER(F))]
# ld arch; jne x86_64 -> allow; ld nr; jne 298 (perf_event_open) -> allow; ret ERRNO|EPERM; ret ALLOW
prog = (F * 6)(F(0x20,0,0,4), F(0x15,0,3,0xc000003e), F(0x20,0,0,0), F(0x15,0,1,298), F(0x06,0,0,0x00050001), F(0x06,0,0,0x7fff0000))
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.byref(P(6, prog)), 0, 0) == 0  # PR_SET_SECCOMP, filter
os.execvp(sys.argv[1], sys.argv[1:])
`;

test('perf not permitted (perf_event_open refused, as in a Docker container): --perf on refuses with perf\'s reason, --perf auto goes on without it', async (t) => {
  if (process.arch !== 'x64') return t.skip('the seccomp filter is written for x86-64');
  const s = sandbox(t, TINY);
  const denied = (args: string[]) => {
    const child = spawn('python3', ['-c', DENY_PERF_EVENT_OPEN, process.execPath, gbp, 'capture', ...args], { cwd: s.mod, env: s.env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    return new Promise<Done>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout: '', stderr })));
  };
  const refused = path.join(s.out, 'on.gbp.tgz');
  const on = await denied(['-o', refused, '--perf', 'on', '--', 'go', 'build', '.']);
  assert.equal(on.status, 1, on.stderr);
  assert.match(on.stderr, /^gbp: --perf on, but perf record does not work here: .*(not permitted|No permission).*\n$/);
  assert.equal(on.stderr.split('\n').length, 2, 'one line');
  assert.equal(existsSync(refused), false);
  assert.equal(existsSync(s.gocache), false, 'the build ran although the capture was refused');

  const bundle = path.join(s.out, 'auto.gbp.tgz');
  const auto = await denied(['-o', bundle, '--', 'go', 'build', '.']);
  assert.equal(auto.status, 0, auto.stderr);
  const b = await openBundle(bundle);
  try {
    assert.equal(b.manifest.complete, true);
    assert.equal(b.manifest.collectors.perf.status, 'skipped');
    assert.match(String(b.manifest.collectors.perf.reason), /^perf record does not work here: .*(not permitted|No permission)/);
    assert.equal(b.manifest.perf.event, null);
    assert.equal(b.has(ENTRY.perfData), false);
  } finally {
    await b.close();
  }
  await checkClean(s, bundle);
});

test('an output folder that cannot be written: one sentence, exit 1, and the build never starts', async (t) => {
  const s = sandbox(t, TINY);
  for (const [out, why] of [
    [path.join(s.root, 'no-such-dir', 'b.gbp.tgz'), /ENOENT|no such/i],
    ['/proc/b.gbp.tgz', /ENOENT|EACCES|EPERM|not permitted|denied|no such/i],
  ] as const) {
    const r = await capture(s, ['-o', out, '--perf', 'off', '--', 'go', 'build', '.']).done;
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`gbp: ${out}: cannot write the bundle here (`), r.stderr);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(s.gocache), false, 'the build ran although the bundle could not be written');
  }
  assert.deepEqual(readdirSync(s.tmp).filter((f) => !f.startsWith('tsx-')), []);
});

test('the output folder fills up while the bundle is written: clear message, non-zero exit, nothing left on the full disk', async (t) => {
  const s = sandbox(t, TINY);
  const full = path.join(s.root, 'full');
  mkdirSync(full);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]).status !== 0) return t.skip('cannot mount a tmpfs here (not root?)');
  try {
    await fillUp(s, full);
  } finally {
    spawnSync('umount', [full]);
  }
});

async function fillUp(s: Sandbox, full: string) {
  // Leave about 1 KiB free: the bundle of even a one-file build is ~4 KiB.
  writeFileSync(path.join(full, 'filler'), Buffer.alloc(63 * 1024));
  const bundle = path.join(full, 'b.gbp.tgz');
  const r = await capture(s, ['-o', bundle, '--perf', 'off', '--', 'go', 'build', '.']).done;
  assert.notEqual(r.status, 0, 'a capture that could not write its bundle must not report success');
  assert.match(r.stderr, new RegExp(`gbp: ${bundle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write the bundle .*(ENOSPC|no space left on device)`));
  assert.doesNotMatch(r.stderr, /internal error|\bat .*\.ts:\d+/);
  assert.deepEqual(readdirSync(full), ['filler'], 'a partial bundle or temporary file was left on the full disk');
  await checkClean(s, bundle);
}
