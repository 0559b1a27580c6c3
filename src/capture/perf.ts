// perf: probe what works here, wrap the build in `perf record`, and turn the
// data into `perf script` text (gzip'd) and a build-id list afterwards.
// Everything streams through files; nothing is held whole in memory.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, createWriteStream, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export type PerfMode = 'auto' | 'on' | 'off';

/** The clock perf stamps samples with; `perf script` times are its seconds. */
export const PERF_CLOCK = 'CLOCK_MONOTONIC';

/** `perf script` fields: pid/tid to tie samples to tools, time and period for weights. */
export const PERF_SCRIPT_FIELDS = 'comm,pid,tid,time,period,event,ip,sym,dso';

export interface PerfProbe {
  ok: boolean;
  perf: string | null;
  /** The event perf actually records with (`cycles` when hardware counters work, else `cpu-clock`). */
  event: string | null;
  reason?: string;
}

/** Finds `perf` and checks that `perf record -g` works here; reports the event it really used. */
export async function probePerf(tmp: string, perfBin = findOnPath('perf')): Promise<PerfProbe> {
  if (!perfBin) return { ok: false, perf: null, event: null, reason: 'perf not found on PATH' };
  const data = path.join(tmp, 'probe.data');
  // Ask for cycles: perf falls back to cpu-clock by itself when the hardware
  // event is not supported, so read back which event it recorded.
  const r = spawnSync(perfBin, ['record', '-q', '-e', 'cycles', '-g', '-k', PERF_CLOCK, '-o', data, '--', 'true'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ');
    return { ok: false, perf: perfBin, event: null, reason: `perf record does not work here: ${why}` };
  }
  const ev = spawnSync(perfBin, ['evlist', '-i', data], { encoding: 'utf8', timeout: 20_000 });
  await fsp.rm(data, { force: true });
  const event = ev.status === 0 ? ev.stdout.trim().split('\n')[0]?.trim() : '';
  if (!event) return { ok: false, perf: perfBin, event: null, reason: `perf evlist failed: ${(ev.stderr ?? '').trim()}` };
  return { ok: true, perf: perfBin, event: event.replace(/:.*$/, '') };
}

/** The argv prefix that wraps a command in perf record. */
export function perfRecordArgv(perfBin: string, event: string, freq: number, dataFile: string): string[] {
  return [perfBin, 'record', '-q', '-e', event, '-g', '-F', String(freq), '-k', PERF_CLOCK, '-o', dataFile, '--'];
}

/** Streams `perf script` through gzip into `outFile`. Returns perf's stderr (warnings). */
export async function perfScriptGz(perfBin: string, dataFile: string, outFile: string): Promise<{ ok: boolean; stderr: string }> {
  const p = spawn(perfBin, ['script', '-i', dataFile, '--ns', '-F', PERF_SCRIPT_FIELDS], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  await pipeline(p.stdout, createGzip({ level: 6 }), createWriteStream(outFile));
  const code = await exited;
  return { ok: code === 0, stderr };
}

/** Writes `perf buildid-list` for the data file. */
export async function perfBuildIds(perfBin: string, dataFile: string, outFile: string): Promise<{ ok: boolean; stderr: string }> {
  const p = spawn(perfBin, ['buildid-list', '-i', dataFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  await pipeline(p.stdout, createWriteStream(outFile));
  return { ok: (await exited) === 0, stderr };
}

/** Absolute path of `cmd` on PATH (or `cmd` itself when it has a slash and is executable), else null. */
export function findOnPath(cmd: string, envPath = process.env.PATH ?? ''): string | null {
  const candidates = cmd.includes('/') ? [cmd] : envPath.split(':').filter(Boolean).map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return path.resolve(c);
    } catch {
      /* keep looking */
    }
  }
  return null;
}
