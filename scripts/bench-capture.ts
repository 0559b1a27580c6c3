// Benchmark: what does `gbp capture --perf off` cost a real build?
// Builds `go build -a std` with a fresh GOCACHE, alternating plain and
// captured runs (PAIRS pairs, default 3), and prints the median wall ratio
// (captured / plain), the median CPU ratio (user+sys of the whole process
// tree, from bash `times`: steadier than wall on a shared machine, and what
// the wall ratio follows when the build keeps every core busy), the
// collector's own CPU (manifest.overhead) and the extra peak memory (RSS of
// gbp itself; the build's own processes are the same in both runs).
//
//   node --import tsx scripts/bench-capture.ts [PAIRS] [PACKAGES...]
//
// Run it on a quiet machine: the ratio is a difference of two noisy walls.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBundle } from '../src/bundle/reader.ts';

const pairs = Number(process.argv[2] ?? 3);
const pkgs = process.argv.length > 3 ? process.argv.slice(3) : ['std'];
const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
const go = process.env.GO ?? 'go';

interface Timed {
  wallMs: number;
  /** user+sys CPU of the whole process tree (bash `times`, children line), ms. */
  cpuMs: number;
  /** Peak RSS of the process we started (ru_maxrss of the direct child), MiB. */
  peakMiB: number;
  code: number | null;
}

/** Runs argv under /usr/bin/time-free timing: wall from hrtime, peak RSS from /proc/<pid>/status polling. */
function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    // bash runs the command and then prints its children's CPU ("0m51.200s 0m9.800s") on fd 3.
    const p = spawn('bash', ['-c', '"$@"; rc=$?; times >&3; exit $rc', 'bash', ...argv], { env, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    let times = '';
    p.stdio[3]!.on('data', (d: Buffer) => (times += d.toString()));
    let peakKb = 0;
    let child = 0;
    const poll = setInterval(() => {
      try {
        // The measured command is bash's child (bash stays to print `times`).
        child ||= Number(readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'latin1').trim().split(' ')[0]) || 0;
        if (!child) return;
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child}/status`, 'latin1'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 50);
    p.on('close', (code) => {
      clearInterval(poll);
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(times.trim());
      const cpuMs = m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 : NaN;
      resolve({ wallMs: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs, peakMiB: peakKb / 1024, code });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-bench-capture-'));
const ratios: number[] = [];
const cpuRatios: number[] = [];
const overheadShares: number[] = [];
const extraMem: number[] = [];
const bundleSizes: number[] = [];
try {
  console.log(`bench-capture: go build -a ${pkgs.join(' ')}, fresh GOCACHE each run, ${pairs} pairs, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? ['plain', 'capture'] : ['capture', 'plain'];
    const r: Record<string, Timed> = {};
    let overheadMs = NaN;
    let gbpMs = NaN;
    let samplerMs = NaN;
    for (const kind of order) {
      const cache = path.join(tmp, `cache-${i}-${kind}`);
      const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: cache };
      const out = path.join(tmp, `b${i}.gbp.tgz`);
      const buildArgv = [go, 'build', '-a', ...pkgs];
      r[kind] = await timed(kind === 'plain' ? buildArgv : [process.execPath, gbp, 'capture', '-o', out, '--perf', 'off', '--', ...buildArgv], env);
      if (r[kind].code !== 0) throw new Error(`${kind} run ${i} exited ${r[kind].code}`);
      if (kind === 'capture') {
        bundleSizes.push(Number((readFileSync(out).length / 1024 ** 2).toFixed(1)));
        const b = await openBundle(out);
        const o = b.manifest.overhead;
        await b.close();
        if (o) {
          gbpMs = (o.gbpUserNs + o.gbpSysNs) / 1e6;
          samplerMs = ((o.samplerUserNs ?? 0) + (o.samplerSysNs ?? 0)) / 1e6;
          overheadMs = gbpMs + samplerMs;
        }
      }
      rmSync(cache, { recursive: true, force: true });
    }
    ratios.push(r.capture.wallMs / r.plain.wallMs);
    cpuRatios.push(r.capture.cpuMs / r.plain.cpuMs);
    overheadShares.push(overheadMs / r.plain.cpuMs);
    extraMem.push(r.capture.peakMiB - r.plain.peakMiB);
    console.log(
      `pair ${i + 1}: plain ${(r.plain.wallMs / 1000).toFixed(2)} s, captured ${(r.capture.wallMs / 1000).toFixed(2)} s, ratio ${ratios[i].toFixed(3)}; ` +
        `CPU plain ${(r.plain.cpuMs / 1000).toFixed(1)} s, captured ${(r.capture.cpuMs / 1000).toFixed(1)} s, ratio ${cpuRatios[i].toFixed(3)}, collector's own ${(overheadMs / 1000).toFixed(2)} s (gbp ${(gbpMs / 1000).toFixed(2)}, sampler ${(samplerMs / 1000).toFixed(2)}); ` +
        `peak RSS go ${r.plain.peakMiB.toFixed(0)} MiB, gbp ${r.capture.peakMiB.toFixed(0)} MiB; bundle ${bundleSizes[i]} MiB`,
    );
  }
  // gbp's own floor: node + tsx + the capture command, before any build runs.
  const idle = await timed([process.execPath, gbp, 'capture', '--help'], process.env);
  console.log(`median wall ratio: ${median(ratios).toFixed(3)} (target <= 1.03)`);
  console.log(`median CPU ratio: ${median(cpuRatios).toFixed(3)} (whole process tree); collector's own CPU (gbp + C sampler, manifest.overhead): ${(median(overheadShares) * 100).toFixed(2)}% of the plain build's CPU`);
  console.log(`gbp startup alone (capture --help): ${(idle.wallMs / 1000).toFixed(2)} s, ${idle.peakMiB.toFixed(0)} MiB`);
  console.log(`median extra peak memory of the collector: ${median(extraMem).toFixed(0)} MiB (gbp process RSS minus the plain go command's)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
