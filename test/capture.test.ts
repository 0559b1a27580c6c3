// gbp capture on real go builds of a tiny module (fresh GOCACHE each time),
// checked against independent counts of the raw entries.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openBundle, type Bundle } from '../src/bundle/reader.ts';
import { ENTRY, type Manifest, type ToolexecRecord } from '../src/bundle/format.ts';
import { probePerf } from '../src/capture/perf.ts';
import { GBP, gbp, goEnv, perfSamplePids, procFramePids, procTickTimes, tempDir, TINY_MODULE, writeTree } from './capture-fixture.ts';

let work: string;
let mod: string;
let perfOk = false;

before(async () => {
  work = await tempDir('gbp-capture-test-');
  mod = path.join(work, 'mod');
  await writeTree(mod, TINY_MODULE);
  perfOk = (await probePerf(work)).ok;
});
after(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

function records(b: Bundle): ToolexecRecord[] {
  return readFileSync(b.file(ENTRY.toolexec), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** go list -json -deps output is a stream of concatenated objects: split at "}\n{". */
function listPackages(b: Bundle): { ImportPath: string; Standard?: boolean; Goroot?: boolean }[] {
  const text = readFileSync(b.file(ENTRY.goList), 'utf8').trim();
  return text.split(/\n}\n(?={)/).map((s, i, all) => JSON.parse(i < all.length - 1 ? s + '\n}' : s));
}

test('go build -a of a small module: every built package compiled, pids sampled, perf sees compiles, counts agree', async () => {
  const out = path.join(work, 'build.gbp.tgz');
  const userLog = path.join(work, 'user-toolexec.log');
  const userExec = path.join(work, 'user toolexec.sh'); // a space in the path: quoting must survive
  await fsp.writeFile(userExec, `#!/bin/sh\necho "$TOOLEXEC_IMPORTPATH $1" >> '${userLog}'\nexec "$@"\n`, { mode: 0o755 });
  const env = goEnv(path.join(work, 'cache1'), { GOFLAGS: '-gcflags=example.com/tm/b=-N' });
  const r = await gbp(
    ['capture', '-o', out, '--perf', perfOk ? 'on' : 'off', '--', 'go', 'build', '-a', `-toolexec='${userExec}'`, '-gcflags', 'example.com/tm/a=-l', './...'],
    { cwd: mod, env },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no progress or chatter when stderr is not a terminal');
  const b = await openBundle(out);
  try {
    const m: Manifest = b.manifest;
    assert.equal(m.complete, true);
    assert.equal(m.build.exitCode, 0);
    assert.deepEqual(m.build.argv.slice(0, 3), ['go', 'build', '-a']);
    assert.match(m.go.version, /^go version go1\.\d+/);
    for (const [name, c] of Object.entries(m.collectors)) if (name !== 'perf') assert.equal(c.status, 'ok', `${name}: ${c.reason}`);

    const recs = records(b);
    const ran = recs.filter((x) => !x.probe);
    assert.ok(recs.some((x) => x.probe && x.argv[1] === '-V=full'), 'version probes are in the log and marked');
    const compiled = new Set(ran.filter((x) => x.tool === 'compile').map((x) => x.importPath));

    // Every package go list reports (except unsafe, which is never compiled) was compiled.
    const pkgs = listPackages(b);
    assert.ok(pkgs.length >= 10);
    for (const p of pkgs) if (p.ImportPath !== 'unsafe') assert.ok(compiled.has(p.ImportPath), `${p.ImportPath} has no compile record`);

    // The action graph, counted on its own, agrees: one compile per build action that ran.
    const actions: { Mode: string; Package: string; NeedBuild: boolean; Cmd: string[] | null }[] = JSON.parse(readFileSync(b.file(ENTRY.actionGraph), 'utf8'));
    const built = actions.filter((a) => a.Mode === 'build' && a.NeedBuild && a.Package !== 'unsafe');
    assert.equal(ran.filter((x) => x.tool === 'compile').length, built.length);
    assert.deepEqual([...compiled].sort(), built.map((a) => a.Package).sort());
    assert.equal(ran.filter((x) => x.tool === 'link').length, actions.filter((a) => a.Mode === 'link' && (a.Cmd?.length ?? 0) > 0).length);
    assert.ok(ran.some((x) => x.tool === 'asm' && x.importPath === 'example.com/tm/a'), 'asm ran for package a');

    // Records are whole: times on one clock, exit status, CPU from the shim.
    const start = BigInt(m.startNs);
    const end = BigInt(m.endNs);
    for (const x of ran) {
      assert.equal(x.exitCode, 0, `${x.tool} ${x.importPath}`);
      assert.ok(BigInt(x.startNs) >= start && BigInt(x.endNs!) <= end && BigInt(x.endNs!) >= BigInt(x.startNs), `${x.tool} ${x.importPath} times`);
      assert.ok(x.userNs !== null && x.sysNs !== null);
      // The C shim reads max RSS from wait4; a Go tool never runs in under 1 MB.
      if (m.collectors.toolexec.shim === 'c') assert.ok((x.maxRssKb ?? 0) > 1024, `${x.tool} ${x.importPath} maxRssKb ${x.maxRssKb}`);
      assert.ok(path.isAbsolute(x.toolPath) && x.argv[0] === x.toolPath);
    }

    // User flags kept: the user's toolexec saw every tool run, and both -gcflags
    // values (GOFLAGS and argv) reached their packages; our -bench is added by
    // the shim per compile, so go's own argv (the record) does not carry it.
    const userLines = readFileSync(userLog, 'utf8').trim().split('\n');
    assert.equal(userLines.length, recs.length);
    assert.deepEqual(m.collectors.toolexec.chainedTo, [userExec]);
    const argvOf = (ip: string) => ran.find((x) => x.tool === 'compile' && x.importPath === ip)!.argv;
    assert.ok(argvOf('example.com/tm/a').includes('-l') && !argvOf('example.com/tm/a').some((a) => a.startsWith('-bench')));
    assert.ok(argvOf('example.com/tm/b').includes('-N'));
    assert.ok(!m.build.effectiveArgv.some((a) => a.includes('-bench')), 'no -bench in -gcflags: it would change go cache keys');
    const bench = readFileSync(b.file(ENTRY.compileBench), 'utf8');
    // Lines are keyed by compile's -p (a main package is `main`): "BenchmarkCompile:example.com/tm/b:fe:init ..."
    for (const x of ran.filter((r) => r.tool === 'compile')) {
      const p = x.argv[x.argv.indexOf('-p') + 1];
      assert.ok(bench.includes(`BenchmarkCompile:${p}:`), `phase timings for ${x.importPath}`);
    }

    // The collector reports its own CPU (gbp, and the C sampler when it ran).
    assert.ok((m.overhead?.gbpUserNs ?? 0) > 0);
    if (m.collectors.proc.sampler === 'c') assert.ok((m.overhead?.samplerUserNs ?? 0) + (m.overhead?.samplerSysNs ?? 0) > 0);

    // Every tool that lived more than two sampling intervals has /proc samples.
    const procPids = procFramePids(b.file(ENTRY.proc));
    const intervalNs = 20n * 1_000_000n;
    const long = ran.filter((x) => BigInt(x.endNs!) - BigInt(x.startNs) > 2n * intervalNs);
    assert.ok(long.length > 0);
    // On a machine overloaded enough to starve the sampler for a whole tool
    // run, a run can fall between two ticks; then no tick lies inside it. A
    // tick inside a run's life that did not sample it is always a failure.
    const ticks = procTickTimes(b.file(ENTRY.proc));
    const missed = long.filter((x) => !procPids.has(x.pid));
    for (const x of missed) {
      const inside = ticks.find((t) => t > BigInt(x.startNs) + 5_000_000n && t < BigInt(x.endNs!) - 2_000_000n);
      assert.equal(inside, undefined, `${x.tool} ${x.importPath} (pid ${x.pid}) lived ${(Number(BigInt(x.endNs!) - BigInt(x.startNs)) / 1e6).toFixed(0)} ms and the sampler ticked at ${inside} inside its life, but it has no /proc samples`);
    }
    assert.ok(missed.length <= Math.max(1, long.length / 10), `${missed.length} of ${long.length} long tool runs have no /proc samples: ${missed.map((x) => x.importPath).join(', ')}`);

    // gbp info --json counts match the scans above.
    const info = await gbp(['info', '--json', out], { cwd: work, env: process.env });
    assert.equal(info.code, 0, info.stderr);
    const s = JSON.parse(info.stdout);
    assert.equal(s.counts.packages, pkgs.length);
    assert.equal(s.counts.invocations.compile, built.length);
    assert.equal(s.counts.procSamples, [...procPids.values()].reduce((a, n) => a + n, 0));
    assert.deepEqual(s.format, { name: 'go-build-profiler-bundle', version: 1 });
    assert.equal(s.build.exitCode, 0);

    if (perfOk) {
      assert.equal(m.collectors.perf.status, 'ok');
      assert.ok(m.perf.event === 'cycles' || m.perf.event === 'cpu-clock', `perf event ${m.perf.event}`);
      const perfPids = perfSamplePids(b.file(ENTRY.perfScript));
      // A compile that burnt 30 ms of CPU gets ~30 samples at 999 Hz: it must have some.
      const busy = ran.filter((x) => x.tool === 'compile' && (x.userNs ?? 0) + (x.sysNs ?? 0) >= 30e6);
      assert.ok(busy.length > 0);
      for (const x of busy) assert.ok(perfPids.has(x.pid), `compile ${x.importPath} (pid ${x.pid}) has no perf samples`);
      assert.equal(s.counts.perfSamples, [...perfPids.values()].reduce((a, n) => a + n, 0));
      assert.match(readFileSync(b.file(ENTRY.perfBuildIds), 'utf8'), /[0-9a-f]{40} .*compile/);
    } else {
      assert.equal(m.collectors.perf.status, 'failed');
    }
  } finally {
    await b.close();
  }
});

test('a failed build: gbp exits with the build code, bundle complete and records the failure', async () => {
  await fsp.writeFile(path.join(mod, 'b', 'broken.go'), 'package b\n\nvar X int = "not an int"\n');
  try {
    const out = path.join(work, 'failed.gbp.tgz');
    // This one runs the bash shim (the fallback without a C compiler); the others the C shim.
    const r = await gbp(['capture', '-o', out, '--perf', 'off', '--', 'go', 'build', './...'], { cwd: mod, env: goEnv(path.join(work, 'cache1'), { GBP_SHIM: 'bash' }) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.go:3:\d+: cannot use "not an int"/, 'the build prints its own errors');
    const b = await openBundle(out);
    try {
      assert.equal(b.manifest.complete, true);
      assert.equal(b.manifest.build.exitCode, 1);
      assert.equal(b.manifest.collectors.toolexec.shim, 'bash');
      assert.match(readFileSync(b.file(ENTRY.stderr), 'utf8'), /cannot use "not an int"/);
      const failed = records(b).filter((x) => x.exitCode !== 0);
      assert.deepEqual(failed.map((x) => [x.tool, x.importPath]), [['compile', 'example.com/tm/b']]);
    } finally {
      await b.close();
    }
  } finally {
    await fsp.rm(path.join(mod, 'b', 'broken.go'));
  }
});

test('a warm cache stays warm under capture; the bash shim and the JavaScript sampler record timings and /proc too', async () => {
  const cache = path.join(work, 'cache-warm');
  const env = goEnv(cache, { GBP_SHIM: 'bash', GBP_SAMPLER: 'js' });
  const plain = spawnSync('go', ['build', './...'], { cwd: mod, env, encoding: 'utf8' });
  assert.equal(plain.status, 0, plain.stderr);
  // Same build again, captured: go must find everything in its cache (our
  // flags must not change its cache keys), so no compile runs at all.
  const warm = path.join(work, 'warm.gbp.tgz');
  let r = await gbp(['capture', '-o', warm, '--perf', 'off', '--', 'go', 'build', './...'], { cwd: mod, env });
  assert.equal(r.code, 0, r.stderr);
  let b = await openBundle(warm);
  try {
    assert.deepEqual(records(b).filter((x) => !x.probe && x.tool === 'compile').map((x) => x.importPath), [], 'a captured build recompiled cached packages');
    assert.equal(b.manifest.collectors.compileBench.status, 'skipped');
  } finally {
    await b.close();
  }
  // -a: everything compiles, through the bash shim, which adds -bench itself.
  const cold = path.join(work, 'cold.gbp.tgz');
  r = await gbp(['capture', '-o', cold, '--perf', 'off', '--', 'go', 'build', '-a', './...'], { cwd: mod, env });
  assert.equal(r.code, 0, r.stderr);
  b = await openBundle(cold);
  try {
    const m = b.manifest;
    assert.equal(m.collectors.toolexec.shim, 'bash');
    assert.equal(m.collectors.proc.sampler, 'js');
    assert.equal(m.overhead?.samplerUserNs, null, 'the JavaScript sampler runs inside gbp');
    const compiles = records(b).filter((x) => !x.probe && x.tool === 'compile');
    assert.ok(compiles.length >= 5);
    const bench = readFileSync(b.file(ENTRY.compileBench), 'utf8');
    for (const x of compiles) assert.ok(bench.includes(`BenchmarkCompile:${x.argv[x.argv.indexOf('-p') + 1]}:`), `phase timings for ${x.importPath}`);
    const procPids = procFramePids(b.file(ENTRY.proc));
    assert.ok(procPids.size >= 2 && Number(m.collectors.proc.frames) > 0, 'the JavaScript sampler wrote frames');
  } finally {
    await b.close();
  }
});

test('SIGINT during the build: build stopped, bundle finalized and marked incomplete, non-zero exit', async () => {
  const out = path.join(work, 'interrupted.gbp.tgz');
  let pid = 0;
  const run = gbp(['capture', '-o', out, '--perf', 'off', '--', 'go', 'build', '-a', './...'], { cwd: mod, env: goEnv(path.join(work, 'cache-int')), onSpawn: (p) => (pid = p) });
  // Interrupt once go runs its first tool: gbp's child (go) has a child (a shim).
  const kids = (p: number) => {
    try {
      return readdirSync(`/proc/${p}/task`).flatMap((t) => readFileSync(`/proc/${p}/task/${t}/children`, 'latin1').split(' ').filter(Boolean).map(Number));
    } catch {
      return [];
    }
  };
  const t0 = Date.now();
  while (!kids(pid).some((go) => kids(go).length > 0) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  process.kill(pid, 'SIGINT');
  const r = await run;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /interrupted by SIGINT/);
  const b = await openBundle(out);
  try {
    assert.equal(b.manifest.complete, false);
    assert.match(b.manifest.incompleteReason ?? '', /SIGINT/);
    assert.ok(b.has(ENTRY.toolexec) && b.has(ENTRY.proc));
  } finally {
    await b.close();
  }
});

test('go test -c and go install are captured too', async () => {
  const cache = path.join(work, 'cache1');
  const out = path.join(work, 'testc.gbp.tgz');
  const r = await gbp(['capture', '-o', out, '--perf', 'off', '--', 'go', 'test', '-c', '-o', path.join(work, 'b.test'), './b'], { cwd: mod, env: goEnv(cache) });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(path.join(work, 'b.test')));
  let b = await openBundle(out);
  try {
    const recs = records(b).filter((x) => !x.probe);
    assert.ok(recs.some((x) => x.tool === 'compile' && x.importPath.startsWith('example.com/tm/b [example.com/tm/b.test]')), 'the test variant of b was compiled');
    assert.ok(recs.some((x) => x.tool === 'link'), 'the test binary was linked');
    assert.ok(listPackages(b).some((p) => p.ImportPath === 'testing'), 'go list -test covers the test dependencies');
  } finally {
    await b.close();
  }

  const gobin = path.join(work, 'bin');
  const out2 = path.join(work, 'install.gbp.tgz');
  const r2 = await gbp(['capture', '-o', out2, '--perf', 'off', '--', 'go', 'install', './cmd/m'], { cwd: mod, env: goEnv(cache, { GOBIN: gobin }) });
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok(existsSync(path.join(gobin, 'm')));
  b = await openBundle(out2);
  try {
    assert.equal(b.manifest.build.exitCode, 0);
    assert.deepEqual(b.manifest.build.argv, ['go', 'install', './cmd/m']);
  } finally {
    await b.close();
  }
});

test('missing go, unwritable output, --perf on without perf: one clear line, non-zero, no bundle', async () => {
  const env = goEnv(path.join(work, 'cache1'));
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['capture', '-o', path.join(work, 'x1.gbp.tgz'), '--', 'no-such-go', 'build', './...'], env, /no-such-go: command not found/],
    [['capture', '-o', path.join(work, 'no/such/dir/x2.gbp.tgz'), '--', 'go', 'build', './...'], env, /x2\.gbp\.tgz: cannot write the bundle here \(no such directory\)/],
    [['capture', '-o', path.join(work, 'x3.gbp.tgz'), '--perf', 'on', '--', process.execPath.replace(/node$/, 'node'), '--version'], env, /capture needs a go build/],
    [['capture', '-o', path.join(work, 'x4.gbp.tgz'), '--perf', 'on', '--', '/usr/local/go/bin/go', 'build', './...'], { ...env, PATH: '/nonexistent' }, /--perf on, but perf not found/],
  ];
  for (const [args, e, want] of cases) {
    const r = await gbp(args, { cwd: mod, env: e });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, want);
  }
  assert.deepEqual(readdirSync(work).filter((n) => /^x\d|\.gbp-tmp-/.test(n)), [], 'no bundle and no temporary file left behind');
});

test('progress goes to stderr only on a terminal', async () => {
  // `script` gives gbp a pseudo-terminal; its output is what the terminal showed.
  const out = path.join(work, 'tty.gbp.tgz');
  const cmd = [process.execPath, GBP, 'capture', '-o', out, '--perf', 'off', '--', 'go', 'build', './...'].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: mod, env: goEnv(path.join(work, 'cache1')), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /gbp: \d+ tools done, \d+\/\d+ packages compiled/);
  assert.ok(existsSync(out));
});
