// `gbp pprof --perf-script` end to end: a real `go build` recorded by perf,
// its text piped through stdin, the profile read by the real `go tool pprof`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GO_FOR_PPROF, goToolPprof } from './go-pprof.ts';
import { eventLines, periodSum, PERF_FIXTURES } from './perf-text.ts';
import { packBundle, testManifest } from './pack-bundle.ts';
import { loadBuild } from '../src/importers/index.ts';
import { gzipSync } from 'node:zlib';

const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
const GO = '/usr/local/go/bin/go';
const perfWorks = existsSync('/usr/bin/perf') && spawnSync('/usr/bin/perf', ['record', '-q', '-e', 'cpu-clock', '-o', '/dev/null', 'true']).status === 0;

function run(args: string[], input?: Buffer | string) {
  return spawnSync('node', [gbp, ...args], { input, encoding: 'utf8', maxBuffer: 256 << 20 });
}

// A toolexec shim that logs each tool run (pid = the tool's: `exec` keeps it) as gbp capture does.
const SHIM = `#!/bin/sh
probe=false; [ "$2" = "-V=full" ] && probe=true
printf '{"seq":0,"tool":"%s","toolPath":"%s","importPath":"%s","pid":%d,"shimPid":%d,"startNs":"%s","endNs":null,"exitCode":null,"userNs":null,"sysNs":null,"maxRssKb":null,"probe":%s,"argv":[]}\\n' "$(basename "$1")" "$1" "$TOOLEXEC_IMPORTPATH" $$ $$ "$(date +%s%N)" $probe >> "$GBP_TEST_LOG"
exec "$@"
`;

test('a real go build under perf: stdin converter, and a bundle whose cpu.pb.gz go tool pprof filters by package', { skip: (!perfWorks || !existsSync(GO) || !GO_FOR_PPROF) && 'needs perf, go' }, async () => {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-cli-pprof-'));
  try {
    const mod = path.join(tmp, 'mod');
    await fsp.mkdir(mod);
    await fsp.writeFile(path.join(mod, 'go.mod'), 'module tiny\n\ngo 1.21\n');
    await fsp.writeFile(path.join(mod, 'main.go'), 'package main\n\nimport "strconv"\n\nfunc main() { println(strconv.Itoa(42)) }\n');
    const shim = path.join(tmp, 'shim.sh');
    await fsp.writeFile(shim, SHIM, { mode: 0o755 });
    const log = path.join(tmp, 'toolexec.jsonl');
    const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: path.join(tmp, 'gocache'), GOFLAGS: '', GBP_TEST_LOG: log };
    const data = path.join(tmp, 'perf.data');
    // perf's clock is CLOCK_MONOTONIC, as is hrtime: their offset to the epoch maps perf times into the build.
    const monoToEpochNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const rec = spawnSync('/usr/bin/perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', '-g', '-o', data, '--', GO, 'build', '-toolexec', shim, '-o', path.join(tmp, 'tiny'), '.'], { cwd: mod, env, encoding: 'utf8' });
    const wallNs = Number(BigInt(Date.now()) * 1_000_000n - startNs);
    assert.equal(rec.status, 0, rec.stderr);
    const script = spawnSync('/usr/bin/perf', ['script', '-i', data, '-F', 'comm,pid,tid,time,period,event,ip,sym,symoff,dso'], { maxBuffer: 1 << 30 });
    assert.equal(script.status, 0, String(script.stderr));
    const text = script.stdout.toString('utf8');
    const events = eventLines(text);
    const pidOf = (l: string) => Number(/\s(\d+)\/\d+\s/.exec(l)![1]);
    const top = ['-top', '-unit=ns', '-nodefraction=0', '-edgefraction=0', '-nodecount=100000'];

    // 1. The standalone converter, reading stdin.
    const out = path.join(tmp, 'cpu.pb.gz');
    const r = run(['pprof', '--perf-script', '-', '-o', out], script.stdout);
    assert.equal(r.status, 0, r.stderr);
    const compileLines = events.filter((l) => l.trim().split(/\s+/)[0] === 'compile');
    assert.ok(compileLines.length > 0, 'the compiler was sampled');
    assert.match(r.stderr, new RegExp(`: ${events.length} samples \\(cpu-clock\\)`));
    assert.match(goToolPprof([...top, out]), new RegExp(`of ${periodSum(events)}ns total`));
    const compile = goToolPprof([...top, '-tagfocus=comm=compile', out]);
    assert.match(compile, new RegExp(`accounting for ${periodSum(compileLines)}ns,`));
    // Go 1.26's compile keeps its symbol table, so perf names its frames.
    assert.match(compile, /cmd\/compile\/internal\//);

    // 2. The same text in a bundle with the shim's log: samples get tool and package labels.
    const bundle = path.join(tmp, 'b.gbp.tgz');
    await packBundle(bundle, testManifest(startNs, { host: { ...testManifest(0n).host, monoToEpochNs: monoToEpochNs.toString() }, perf: { event: 'cpu-clock', frequency: 999 } }), {
      'toolexec/log.jsonl': { file: log },
      'perf/script.txt.gz': { data: gzipSync(script.stdout) },
    });
    const dirOut = path.join(tmp, 'prof');
    const b = spawnSync('node', [gbp, 'pprof', bundle, '-o', dirOut], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const runs = (await fsp.readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((x) => !x.probe && x.importPath);
    const pidsByPkg = new Map<string, Set<number>>();
    for (const x of runs) pidsByPkg.set(x.importPath, new Set([...(pidsByPkg.get(x.importPath) ?? []), x.pid]));
    const linesOf = (pkg: string) => events.filter((l) => pidsByPkg.get(pkg)!.has(pidOf(l)));
    const [pkg] = [...pidsByPkg.keys()].sort((a, b) => linesOf(b).length - linesOf(a).length);
    assert.ok(linesOf(pkg).length > 0);
    // tagfocus values are unanchored regexps: `runtime` alone also matches internal/runtime/maps.
    const focus = goToolPprof([...top, `-tagfocus=package=^${pkg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, path.join(dirOut, 'cpu.pb.gz')]);
    assert.match(focus, new RegExp(`accounting for ${periodSum(linesOf(pkg))}ns, [\\d.]+% of ${periodSum(events)}ns total`));
    // The timeline puts every sample inside the build (1 s of slack for the clocks).
    const model = await loadBuild(bundle);
    assert.equal(model.cpu!.totalSamples, events.length);
    let last = 0;
    for (const [, series] of model.cpu!.timeline) series.forEach((v, i) => (last = v > 0 ? Math.max(last, i) : last));
    assert.ok(last * model.cpu!.bucketNs <= wallNs + 1e9, `last sample bucket ${last} × ${model.cpu!.bucketNs} ns is past the build's ${wallNs} ns`);
    assert.ok((last + 1) * model.cpu!.bucketNs >= wallNs / 2, 'samples spread over the build');
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});

test('usage and input errors: a message and an exit code, never a stack', async () => {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-cli-pprof-'));
  try {
    const noOut = run(['pprof', '--perf-script', PERF_FIXTURES + 'empty.txt']);
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /^gbp: gbp pprof: -o OUT.pb.gz is required/);
    const both = run(['pprof', 'b.gbp.tgz', '--perf-script', 'x.txt', '-o', path.join(tmp, 'o')]);
    assert.equal(both.status, 2);
    const missing = run(['pprof', '--perf-script', path.join(tmp, 'nope.txt'), '-o', path.join(tmp, 'o.pb.gz')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.txt: cannot read: ENOENT/);
    const out = path.join(tmp, 'o.pb.gz');
    assert.equal(run(['pprof', '--perf-script', PERF_FIXTURES + 'malformed-lines.txt', '-o', out]).status, 0);
    const again = run(['pprof', '--perf-script', PERF_FIXTURES + 'malformed-lines.txt', '-o', out]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists; pass --force/);
    const forced = run(['pprof', '--perf-script', PERF_FIXTURES + 'malformed-lines.txt', '-o', out, '--force']);
    assert.equal(forced.status, 0);
    assert.match(forced.stderr, /warning: .*malformed-lines\.txt:6: malformed frame line/);
    assert.match(forced.stderr, /4 samples/);
    for (const r of [noOut, both, missing, again]) assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});

test('the converter on a terminal: a progress line, cleared before the summary (bytes, seconds, MB/s); none with --no-progress or into a pipe', { skip: !existsSync('/usr/bin/script') && 'needs script(1) for a terminal' }, async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-progress-'));
  try {
    const input = path.join(PERF_FIXTURES, 'go-default-callchain.txt');
    const size = (await fsp.stat(input)).size;
    const onTty = (extra: string) => {
      const cmd = `${process.execPath} ${gbp} pprof --perf-script ${input} -o ${path.join(dir, 'out.pb.gz')} --force ${extra}`;
      const r = spawnSync('/usr/bin/script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r.stdout;
    };
    const tty = onTty('');
    assert.match(tty, new RegExp(`gbp: reading .*go-default-callchain\\.txt: ${(size / 1e6).toFixed(1)} MB of ${(size / 1e6).toFixed(1)} MB \\(100%\\)`));
    assert.match(tty, /gbp: read [\d.]+ MB; symbolizing, building the profile\r\x1b\[Kgbp: writing .*out\.pb\.gz\r\x1b\[K/);
    // Cleared before anything else is printed; the summary, last, carries the figures.
    assert.doesNotMatch(tty.slice(tty.lastIndexOf('\x1b[K')), /reading|symbolizing|writing/);
    assert.match(tty, new RegExp(`\\ngbp: [^\\n]*out\\.pb\\.gz: \\d+ samples [^\\n]*; ${(size / 1e6).toFixed(1)} MB in [\\d.]+ s \\(\\d+ MB/s\\)\\r?\\n$`));
    assert.doesNotMatch(onTty('--no-progress --no-symbols'), /reading|\x1b\[K/);
    const piped = spawnSync(process.execPath, [gbp, 'pprof', '--perf-script', input, '-o', path.join(dir, 'out.pb.gz'), '--force'], { encoding: 'utf8' });
    assert.equal(piped.status, 0);
    assert.doesNotMatch(piped.stderr, /\r|\x1b/);
    assert.match(piped.stderr, /MB\/s\)\n$/);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('--perf-script - with a terminal on stdin is a usage error, not a wait for typed text', { skip: !existsSync('/usr/bin/script') && 'needs script(1) for a terminal' }, () => {
  const r = spawnSync('/usr/bin/script', ['-qec', `${process.execPath} ${gbp} pprof --perf-script - -o /nonexistent/out.pb.gz; echo "exit=$?"`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.match(r.stdout, /gbp: gbp pprof: --perf-script - reads perf text from stdin, which is a terminal here: pipe it in/);
  assert.match(r.stdout, /exit=2/);
});

test('GBP_TIMINGS=1: the converter says where its time went, one stderr line whose phases fit in the run; none without it', async () => {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-timings-'));
  try {
    const input = path.join(PERF_FIXTURES, 'go-default-callchain.txt');
    const out = path.join(tmp, 'cpu.pb.gz');
    const t0 = performance.now();
    const r = spawnSync('node', [gbp, 'pprof', '--perf-script', input, '-o', out, '-q'], { encoding: 'utf8', env: { ...process.env, GBP_TIMINGS: '1' } });
    const wallMs = performance.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    const m = /^gbp: timings: start (\d+) parse (\d+) symbolize (\d+) gc (\d+) build (\d+) encode (\d+) write (\d+)$/m.exec(r.stderr);
    assert.ok(m, r.stderr);
    const ms = m.slice(1).map(Number);
    // From node's start to the written file: within the wall time this test measured around the whole process.
    assert.ok(ms.reduce((a, b) => a + b, 0) <= wallMs, `${ms} within ${wallMs.toFixed(0)} ms`);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('gbp: timings:')).length, 1);
    const quiet = spawnSync('node', [gbp, 'pprof', '--perf-script', input, '-o', out, '--force'], { encoding: 'utf8', env: { ...process.env, GBP_TIMINGS: '' } });
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /^gbp: timings:/m);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});
