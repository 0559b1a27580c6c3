// `gbp pprof BUNDLE -o DIR` on the committed sample bundles (Go 1.26 and
// 1.19): stages.pb.gz and phases.pb.gz checked against independent counts
// from the raw entries, read by the real `go tool pprof`, and compared with
// goldens (UPDATE_GOLDENS=1 rewrites them).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Profile } from 'pprof-format';
import { GO_FOR_PPROF, goToolPprof } from './go-pprof.ts';
import { assertGolden } from './golden.ts';
import { GO_126, haveGo, writeTinyModule } from './go-raw-inputs.ts';

const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
const sample = (name: string) => new URL(`../samples/${name}.gbp.tgz`, import.meta.url).pathname;
const GOLDENS = new URL('./fixtures/goldens/', import.meta.url).pathname;

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gbp-pprof-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Decoded {
  types: string[];
  samples: { stack: string[]; values: number[]; labels: Record<string, string | number> }[];
}

function decode(file: string): Decoded {
  const p = Profile.decode(gunzipSync(readFileSync(file)));
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const fn = new Map(p.function.map((f) => [Number(f.id), s(f.name)]));
  const loc = new Map(p.location.map((l) => [Number(l.id), fn.get(Number(l.line[0].functionId))!]));
  for (const m of p.mapping) assert.equal(m.hasFunctions, true, `${file}: mapping ${s(m.filename)} must set has_functions`);
  return {
    types: p.sampleType.map((t) => s(t.type)),
    samples: p.sample.map((x) => ({
      stack: x.locationId.map((id) => loc.get(Number(id))!).reverse(),
      values: x.value.map(Number),
      labels: Object.fromEntries(x.label.map((l) => [s(l.key), l.str ? s(l.str) : Number(l.num)])),
    })),
  };
}

const rawJsonl = (raw: string, entry: string) => readFileSync(path.join(raw, entry), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

for (const name of ['nethttp', 'nethttp-go119']) {
  describe(`gbp pprof ${name}`, () => {
    let raw: string;
    let out: string;
    before(() => {
      raw = path.join(dir, name, 'raw');
      out = path.join(dir, name, 'out');
      mkdirSync(raw, { recursive: true });
      // The raw entries, unpacked by tar itself: the independent side of every comparison.
      execFileSync('tar', ['-xzf', sample(name), '-C', raw]);
      execFileSync('node', [gbp, 'pprof', sample(name), '-o', out], { encoding: 'utf8' });
    });

    test('stages.pb.gz: one sample per tool run, stack go build → tool → package', () => {
      const d = decode(path.join(out, 'stages.pb.gz'));
      assert.deepEqual(d.types, ['wall', 'cpu', 'peak_rss', 'read', 'write']);
      const runs = rawJsonl(raw, 'toolexec/log.jsonl').filter((r) => !r.probe);
      assert.equal(d.samples.length, runs.length);
      for (const x of d.samples) {
        assert.equal(x.stack.length, 3);
        assert.equal(x.stack[0], 'go build');
        assert.equal(x.stack[1], x.labels.tool);
      }
      // Wall per run from the raw records: end − start.
      const wall = runs.reduce((a, r) => a + Number(BigInt(r.endNs) - BigInt(r.startNs)), 0);
      assert.equal(d.samples.reduce((a, x) => a + x.values[0], 0), wall);
      // The sampler reads /proc every 20 ms, so every run of 100 ms or more has a peak RSS.
      const long = d.samples.filter((x) => x.values[0] >= 100e6);
      assert.ok(long.length >= 20, `${long.length} runs of 100 ms or more`);
      assert.deepEqual(long.filter((x) => !(x.values[2] > 0)).map((x) => x.stack.join(';')), []);
    });

    test('stages.pb.gz: per-package CPU agrees with the action graph CmdUser+CmdSys', () => {
      // Tolerance, per package: 0 ≤ actiongraph − stages ≤ 10 ms × tool runs.
      // The go command's rusage of a command covers the toolexec shim too (a bash
      // that forks a subshell which execs the tool: 0.9–3.3 ms CPU per run on
      // this sample), while stages counts the tool alone; bash `times` rounds to
      // 1 ms. Packages whose actions ran commands outside toolexec (gcc for
      // cgo) are left out: their extra CPU is real but not a tool run.
      const d = decode(path.join(out, 'stages.pb.gz'));
      const actions = JSON.parse(readFileSync(path.join(raw, 'go/actiongraph.json'), 'utf8')) as { Package?: string; Cmd?: string[] | null; CmdUser?: number; CmdSys?: number }[];
      const ag = new Map<string, { cpu: number; cmds: number }>();
      for (const a of actions) {
        if (!a.Package || !a.Cmd?.length) continue;
        const e = ag.get(a.Package) ?? { cpu: 0, cmds: 0 };
        e.cpu += (a.CmdUser ?? 0) + (a.CmdSys ?? 0);
        e.cmds += a.Cmd.length;
        ag.set(a.Package, e);
      }
      const st = new Map<string, { cpu: number; runs: number }>();
      for (const x of d.samples) {
        const e = st.get(x.stack[2]) ?? { cpu: 0, runs: 0 };
        e.cpu += x.values[1];
        e.runs++;
        st.set(x.stack[2], e);
      }
      let compared = 0;
      for (const [pkg, a] of ag) {
        const s = st.get(pkg);
        if (!s || s.runs !== a.cmds) continue;
        const diff = a.cpu - s.cpu;
        assert.ok(diff >= 0 && diff <= 10e6 * s.runs, `${pkg}: actiongraph ${a.cpu} ns vs stages ${s.cpu} ns over ${s.runs} runs`);
        compared++;
      }
      assert.ok(compared >= ag.size - 3, `compared ${compared} of ${ag.size} packages`);
    });

    test('phases.pb.gz: per package, the phases add up to the compiler total', () => {
      const d = decode(path.join(out, 'phases.pb.gz'));
      assert.deepEqual(d.types, ['time']);
      const totals = new Map<string, number>();
      // BenchmarkCompile:net/http:total   1   1234567 ns/op   100.00 %
      for (const m of readFileSync(path.join(raw, 'go/compile-bench.txt'), 'utf8').matchAll(/^BenchmarkCompile:([^:\s]+):total\s+\d+\s+(\d+) ns\/op/gm)) {
        totals.set(m[1], (totals.get(m[1]) ?? 0) + Number(m[2]));
      }
      const sums = new Map<string, number>();
      for (const x of d.samples) {
        assert.equal(x.stack[0], 'compile');
        sums.set(x.labels.package as string, (sums.get(x.labels.package as string) ?? 0) + x.values[0]);
      }
      assert.equal(sums.size, totals.size);
      for (const [pkg, total] of totals) {
        const s = sums.get(pkg) ?? sums.get('main');
        assert.ok(s !== undefined && Math.abs(s - total) <= total * 0.005, `${pkg}: phases ${s} vs total ${total}`);
      }
    });

    test('go tool pprof reads both files; -sample_index=peak_rss ranks packages', { skip: (name !== 'nethttp' && 'once is enough') || (!GO_FOR_PPROF && 'no go') }, () => {
      for (const f of ['stages.pb.gz', 'phases.pb.gz']) assert.match(goToolPprof(['-raw', path.join(out, f)]), /Samples:/);
      const top = goToolPprof(['-top', '-sample_index=peak_rss', path.join(out, 'stages.pb.gz')]);
      assert.match(top, /Type: peak_rss/);
      const first = top.split('\n').find((l) => /^\s*[\d.]+[kMG]?B\s/.test(l));
      assert.ok(first && /runtime|net\/http|crypto|net$/.test(first.trim().split(/\s+/).pop()!), `top line: ${first}`);
      const phases = goToolPprof(['-top', path.join(out, 'phases.pb.gz')]);
      assert.match(phases, /be:compilefuncs/);
    });

    test('gbp pprof refuses to overwrite without --force', { skip: name !== 'nethttp' && 'once is enough' }, () => {
      const again = spawnSync('node', [gbp, 'pprof', sample(name), '-o', out], { encoding: 'utf8' });
      assert.equal(again.status, 1);
      assert.match(again.stderr, /exists; pass --force to overwrite/);
      const forced = spawnSync('node', [gbp, 'pprof', sample(name), '-o', out, '--force'], { encoding: 'utf8' });
      assert.equal(forced.status, 0, forced.stderr);
    });

    test('goldens: stages and phases', () => {
      const render = (d: Decoded) => d.samples.map((x) => `${x.stack.join(';')} ${x.values.join(' ')}`).sort().join('\n') + '\n';
      const stages = decode(path.join(out, 'stages.pb.gz'));
      assertGolden(path.join(GOLDENS, `${name}.stages.txt`), `# ${stages.types.join(' ')}\n` + render(stages));
      assertGolden(path.join(GOLDENS, `${name}.phases.txt`), render(decode(path.join(out, 'phases.pb.gz'))));
    });
  });
}

test('a fresh capture (whatever shim gbp capture picks here): per-package CPU within the same tolerance', { skip: !haveGo(GO_126) && 'no go 1.26' }, () => {
  const mod = path.join(dir, 'fresh', 'mod');
  writeTinyModule(mod);
  const bundle = path.join(dir, 'fresh', 'tiny.gbp.tgz');
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: path.join(dir, 'fresh', 'cache'), GOFLAGS: '' };
  execFileSync('node', [gbp, 'capture', '--perf', 'off', '-o', bundle, '--', GO_126, 'build', './...'], { cwd: mod, env, stdio: 'ignore' });
  const out = path.join(dir, 'fresh', 'out');
  execFileSync('node', [gbp, 'pprof', bundle, '-o', out]);
  const raw = path.join(dir, 'fresh', 'raw');
  mkdirSync(raw);
  execFileSync('tar', ['-xzf', bundle, '-C', raw]);
  const actions = JSON.parse(readFileSync(path.join(raw, 'go/actiongraph.json'), 'utf8')) as { Mode: string; Package?: string; Cmd?: string[] | null; CmdUser?: number; CmdSys?: number }[];
  const d = decode(path.join(out, 'stages.pb.gz'));
  for (const pkg of ['example.com/tiny/a', 'example.com/tiny/b', 'example.com/tiny/c']) {
    const a = actions.find((x) => x.Mode === 'build' && x.Package === pkg && x.Cmd?.length)!;
    const runs = d.samples.filter((x) => x.stack[2] === pkg);
    assert.equal(runs.length, a.Cmd!.length, pkg);
    const diff = (a.CmdUser ?? 0) + (a.CmdSys ?? 0) - runs.reduce((s, x) => s + x.values[1], 0);
    assert.ok(diff >= 0 && diff <= 10e6 * runs.length, `${pkg}: actiongraph - stages = ${diff} ns`);
    // Every compile has a peak RSS: from the C shim's wait4, or /proc when the run was long enough.
    assert.ok(runs.every((x) => x.stack[1] !== 'compile' || x.values[2] > 0 || x.values[0] < 40e6), pkg);
  }
});
