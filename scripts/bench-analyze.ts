// Benchmark: the analyses (analyzeBuild, and the replay on 7 worker counts)
// on the sample bundles, then on a synthetic action graph the size of a big
// monorepo build. Prints median ms per analysis and peak RSS (VmHWM).
//   node --import tsx scripts/bench-analyze.ts [BUNDLE...]   (default: samples/*.gbp.tgz)
//   SYNTH_PACKAGES=20000 to change the synthetic size (default 10000 packages)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadBuild } from '../src/importers/index.ts';
import { analyzeBuild } from '../src/analyze/summary.ts';
import { simulate } from '../src/analyze/simulate.ts';
import { csvTables, tableToCsv } from '../src/exporters/csv.ts';
import type { Action, BuildModel, PackageNode } from '../src/model/types.ts';

const ROUNDS = 5;
const root = new URL('..', import.meta.url).pathname;
const bundles = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(path.join(root, 'samples')).filter((f) => f.endsWith('.gbp.tgz')).map((f) => path.join(root, 'samples', f));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hwmMiB = () => Number(/VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

function time(fn: () => unknown): number {
  const ts: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

function bench(name: string, m: BuildModel): void {
  const a = time(() => analyzeBuild(m));
  const s = time(() => simulate(m));
  const analysis = analyzeBuild(m);
  const c = time(() => csvTables(m, analysis).map(tableToCsv));
  console.log(`${name.padEnd(26)} ${String(m.actions.length).padStart(6)} actions ${String(m.packages.size).padStart(6)} pkgs  analyze ${a.toFixed(1).padStart(8)} ms  simulate×7 ${s.toFixed(1).padStart(8)} ms  csv ${c.toFixed(1).padStart(8)} ms  peak RSS ${hwmMiB().toFixed(0)} MiB`);
}

/**
 * A layered import graph: N packages in ~40 levels, each importing up to 6
 * packages of lower levels; one build action per package (1–200 ms), a link
 * on top, and the go command's post-order priorities.
 */
function synthetic(n: number): BuildModel {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const levels = 40;
  const pkgs: PackageNode[] = [];
  const level: number[] = [];
  for (let i = 0; i < n; i++) {
    const lv = Math.floor((i / n) * levels);
    level.push(lv);
    const imports: string[] = [];
    if (lv > 0) for (let k = 0; k < 6; k++) imports.push(`p${Math.floor(rnd() * Math.floor((lv / levels) * n))}`);
    pkgs.push({ importPath: `p${i}`, imports: [...new Set(imports)], deps: [], standard: false, goFiles: 3, cgoFiles: 0, sFiles: 0, root: i === n - 1 });
  }
  pkgs[n - 1].imports = Array.from({ length: Math.min(n - 1, 200) }, (_, k) => `p${n - 2 - k}`);
  const actions: Action[] = pkgs.map((p, i) => ({
    id: i + 2, mode: 'build', package: p.importPath, deps: p.imports.map((q) => Number(q.slice(1)) + 2), priority: 0, needBuild: true,
    ready: 0, start: 0, done: Math.round(1e6 + rnd() * 2e8), cmdRealNs: 0, cmdUserNs: 0, cmdSysNs: 0, cmdCount: 1,
  }));
  actions.unshift(
    { id: 0, mode: 'go build', package: '', deps: [1], priority: 0, needBuild: false, ready: 0, start: 0, done: 0, cmdRealNs: 0, cmdUserNs: 0, cmdSysNs: 0, cmdCount: 0 },
    { id: 1, mode: 'link', package: `p${n - 1}`, deps: [n + 1], priority: 0, needBuild: true, ready: 0, start: 0, done: 5e8, cmdRealNs: 0, cmdUserNs: 0, cmdSysNs: 0, cmdCount: 1 },
  );
  return {
    meta: { argv: ['go', 'build', './...'], exitCode: 0, startNs: '0', wallNs: 1e12, goVersion: 'synthetic', goEnv: {}, host: { kernel: '', cores: 8, memoryBytes: 0, clkTck: 100, pageSize: 4096 }, perfEvent: null, incomplete: false, collectors: {} },
    packages: new Map(pkgs.map((p) => [p.importPath, p])), actions, invocations: [], processes: new Map(), phases: [], cpu: null, trace: [], output: { stdout: '', stderr: '' }, warnings: [],
  };
}

for (const f of bundles) bench(path.basename(f), await loadBuild(f));
const n = Number(process.env.SYNTH_PACKAGES ?? 10000);
bench(`synthetic ${n} packages`, synthetic(n));
