// Facts about the machine, and the capture's one clock: epoch nanoseconds
// derived from CLOCK_MONOTONIC (what perf records with `-k CLOCK_MONOTONIC`
// and what Node's hrtime reads) plus a fixed offset measured once.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Manifest } from '../bundle/format.ts';

/**
 * Offset so that epochNs = monotonicNs + offset. Date.now() only has ms
 * resolution, so wait for it to tick and read the monotonic clock right at the
 * edge: accurate to a few µs. Takes at most a few ms.
 */
export function measureMonoToEpochNs(): bigint {
  let best: bigint | null = null;
  for (let k = 0; k < 3; k++) {
    const t0 = Date.now();
    let t = t0;
    while (t === t0) t = Date.now();
    const mono = process.hrtime.bigint();
    const off = BigInt(t) * 1_000_000n - mono;
    // The edge is seen late, which makes the offset too small: keep the largest.
    if (best === null || off > best) best = off;
  }
  return best!;
}

/** Returns epoch ns now, on the monotonic clock shifted by `offset`. */
export function makeClock(offset: bigint): () => bigint {
  return () => process.hrtime.bigint() + offset;
}

function getconf(name: string, fallback: number): number {
  const r = spawnSync('getconf', [name], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Boot time in epoch ns, from the `btime` line of /proc/stat ("btime 1732600000"). */
export function bootEpochNs(): string {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    if (m) return (BigInt(m[1]) * 1_000_000_000n).toString();
  } catch {
    /* not Linux */
  }
  return '0';
}

export function hostInfo(monoToEpochNs: bigint): Manifest['host'] {
  return {
    hostname: os.hostname(),
    kernel: `${os.type()} ${os.release()} ${os.version()}`,
    arch: os.arch(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryBytes: os.totalmem(),
    clkTck: getconf('CLK_TCK', 100),
    pageSize: getconf('PAGESIZE', 4096),
    bootNs: bootEpochNs(),
    monoToEpochNs: monoToEpochNs.toString(),
  };
}

/** Environment variables that shape a Go build, for the manifest. */
export function buildEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (/^(GO|CGO_)/.test(k) || ['CC', 'CXX', 'AR', 'PKG_CONFIG', 'PATH', 'HOME'].includes(k)) out[k] = v;
  }
  return out;
}
