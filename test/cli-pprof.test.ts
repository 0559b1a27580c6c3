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

const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
const GO = '/usr/local/go/bin/go';
const perfWorks = existsSync('/usr/bin/perf') && spawnSync('/usr/bin/perf', ['record', '-q', '-e', 'cpu-clock', '-o', '/dev/null', 'true']).status === 0;

function run(args: string[], input?: Buffer | string) {
  return spawnSync('node', [gbp, ...args], { input, encoding: 'utf8', maxBuffer: 256 << 20 });
}

test('a real go build under perf, piped through stdin, read by go tool pprof', { skip: (!perfWorks || !existsSync(GO) || !GO_FOR_PPROF) && 'needs perf, go' }, async () => {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-cli-pprof-'));
  try {
    const mod = path.join(tmp, 'mod');
    await fsp.mkdir(mod);
    await fsp.writeFile(path.join(mod, 'go.mod'), 'module tiny\n\ngo 1.21\n');
    await fsp.writeFile(path.join(mod, 'main.go'), 'package main\n\nimport "strconv"\n\nfunc main() { println(strconv.Itoa(42)) }\n');
    const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: path.join(tmp, 'gocache'), GOFLAGS: '' };
    const data = path.join(tmp, 'perf.data');
    const rec = spawnSync('/usr/bin/perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', '-g', '-o', data, '--', GO, 'build', '-o', path.join(tmp, 'tiny'), '.'], { cwd: mod, env, encoding: 'utf8' });
    assert.equal(rec.status, 0, rec.stderr);
    const script = spawnSync('/usr/bin/perf', ['script', '-i', data, '-F', 'comm,pid,tid,time,period,event,ip,sym,symoff,dso'], { maxBuffer: 1 << 30 });
    assert.equal(script.status, 0, String(script.stderr));
    const text = script.stdout.toString('utf8');
    const out = path.join(tmp, 'cpu.pb.gz');
    const r = run(['pprof', '--perf-script', '-', '-o', out], script.stdout);
    assert.equal(r.status, 0, r.stderr);

    const events = eventLines(text);
    const compileLines = events.filter((l) => l.trim().split(/\s+/)[0] === 'compile');
    assert.ok(compileLines.length > 0, 'the compiler was sampled');
    assert.match(r.stderr, new RegExp(`: ${events.length} samples \\(cpu-clock\\)`));
    const top = ['-top', '-unit=ns', '-nodefraction=0', '-edgefraction=0', '-nodecount=100000'];
    const all = goToolPprof([...top, out]);
    assert.match(all, new RegExp(`of ${periodSum(events)}ns total`));
    const compile = goToolPprof([...top, '-tagfocus=comm=compile', out]);
    assert.match(compile, new RegExp(`accounting for ${periodSum(compileLines)}ns,`));
    // Go 1.26's compile keeps its symbol table, so perf names its frames.
    assert.match(compile, /cmd\/compile\/internal\//);
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
