// Benchmark: what does `gbp capture --perf off` cost a real build?
// Builds `go build -a std` with a fresh GOCACHE, alternating plain and
// captured runs (PAIRS pairs, default 3), and prints the median wall ratio
// (captured / plain) and the extra peak memory (RSS of gbp itself, the
// collector; the build's own processes are the same in both runs).
//
//   node --import tsx scripts/bench-capture.ts [PAIRS] [PACKAGES...]
//
// Run it on a quiet machine: the ratio is a difference of two noisy walls.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const pairs = Number(process.argv[2] ?? 3);
const pkgs = process.argv.length > 3 ? process.argv.slice(3) : ['std'];
const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;
const go = process.env.GO ?? 'go';

interface Timed {
  wallMs: number;
  /** Peak RSS of the process we started (ru_maxrss of the direct child), MiB. */
  peakMiB: number;
  code: number | null;
}

/** Runs argv under /usr/bin/time-free timing: wall from hrtime, peak RSS from /proc/<pid>/status polling. */
function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'inherit'] });
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'latin1'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 50);
    p.on('close', (code) => {
      clearInterval(poll);
      resolve({ wallMs: Number(process.hrtime.bigint() - t0) / 1e6, peakMiB: peakKb / 1024, code });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-bench-capture-'));
const ratios: number[] = [];
const extraMem: number[] = [];
const bundleSizes: number[] = [];
try {
  console.log(`bench-capture: go build -a ${pkgs.join(' ')}, fresh GOCACHE each run, ${pairs} pairs, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? ['plain', 'capture'] : ['capture', 'plain'];
    const r: Record<string, Timed> = {};
    for (const kind of order) {
      const cache = path.join(tmp, `cache-${i}-${kind}`);
      const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: cache };
      const out = path.join(tmp, `b${i}.gbp.tgz`);
      const buildArgv = [go, 'build', '-a', ...pkgs];
      r[kind] = await timed(kind === 'plain' ? buildArgv : [process.execPath, gbp, 'capture', '-o', out, '--perf', 'off', '--', ...buildArgv], env);
      if (r[kind].code !== 0) throw new Error(`${kind} run ${i} exited ${r[kind].code}`);
      if (kind === 'capture') bundleSizes.push(Number((readFileSync(out).length / 1024 ** 2).toFixed(1)));
      rmSync(cache, { recursive: true, force: true });
    }
    ratios.push(r.capture.wallMs / r.plain.wallMs);
    extraMem.push(r.capture.peakMiB - r.plain.peakMiB);
    console.log(
      `pair ${i + 1}: plain ${(r.plain.wallMs / 1000).toFixed(2)} s, captured ${(r.capture.wallMs / 1000).toFixed(2)} s, ratio ${ratios[i].toFixed(3)}; ` +
        `peak RSS go ${r.plain.peakMiB.toFixed(0)} MiB, gbp ${r.capture.peakMiB.toFixed(0)} MiB; bundle ${bundleSizes[i]} MiB`,
    );
  }
  // gbp's own floor: node + tsx + the capture command, before any build runs.
  const idle = await timed([process.execPath, gbp, 'capture', '--help'], process.env);
  console.log(`median wall ratio: ${median(ratios).toFixed(3)} (target <= 1.03)`);
  console.log(`gbp startup alone (capture --help): ${(idle.wallMs / 1000).toFixed(2)} s, ${idle.peakMiB.toFixed(0)} MiB`);
  console.log(`median extra peak memory of the collector: ${median(extraMem).toFixed(0)} MiB (gbp process RSS minus the plain go command's)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
