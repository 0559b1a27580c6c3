// Shared by the capture tests: a tiny real Go module written to a temp dir,
// the gbp CLI run as a user runs it, and independent scans of bundle entries
// (deliberately not the importers, so the two can check each other).
import { spawn } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { probePerf } from '../src/capture/perf.ts';

export const GBP = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;

/** A module with an asm package (a), a package using it (b) and a main (cmd/m): no std imports, so `-a` stays small. */
export const TINY_MODULE: Record<string, string> = {
  'go.mod': 'module example.com/tm\n\ngo 1.19\n',
  'a/a.go': '// Package a has an assembly function, so the build runs asm too.\npackage a\n\n// Add returns x+y.\nfunc Add(x, y int) int\n',
  'a/add_amd64.s': '#include "textflag.h"\n\n// func Add(x, y int) int\nTEXT ·Add(SB), NOSPLIT, $0-24\n\tMOVQ x+0(FP), AX\n\tADDQ y+8(FP), AX\n\tMOVQ AX, ret+16(FP)\n\tRET\n',
  'b/b.go': 'package b\n\nimport "example.com/tm/a"\n\n// Sum adds up xs.\nfunc Sum(xs ...int) int {\n\tt := 0\n\tfor _, x := range xs {\n\t\tt = a.Add(t, x)\n\t}\n\treturn t\n}\n',
  'b/b_test.go': 'package b\n\nimport "testing"\n\nfunc TestSum(t *testing.T) {\n\tif Sum(1, 2) != 3 {\n\t\tt.Fatal("sum")\n\t}\n}\n',
  'cmd/m/main.go': 'package main\n\nimport "example.com/tm/b"\n\nfunc main() {\n\tif b.Sum(1, 2, 3) != 6 {\n\t\tpanic("sum")\n\t}\n}\n',
};

export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fsp.writeFile(path.join(dir, name), text);
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Whether `perf record -g` really works here (probed in a temp dir, removed after). */
export async function perfRecordWorks(): Promise<boolean> {
  const d = await tempDir('gbp-perf-probe-');
  try {
    return (await probePerf(d)).ok;
  } finally {
    await fsp.rm(d, { recursive: true, force: true });
  }
}

/** Environment for a real, isolated go build: local toolchain, fresh cache, no inherited GOFLAGS. */
export function goEnv(cache: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: cache, GOFLAGS: '', GOPATH: path.join(cache, 'gopath'), ...extra };
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `gbp ARGS` and collects its output; `onSpawn` can signal it. */
export function gbp(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void }): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [GBP, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    if (p.pid) opts.onSpawn?.(p.pid);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Pids and `stat` frame counts in proc/snapshots.txt, by walking the framing byte by byte. */
export function procFramePids(file: string): Map<number, number> {
  const buf = readFileSync(file);
  const pids = new Map<number, number>();
  let pos = buf.indexOf(10) + 1; // skip "gbp-proc-snapshots 1 ..." header
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    // "== 1795675967809700396 3797 stat 318"
    const [mark, , pid, kind, len] = buf.toString('latin1', pos, nl).split(' ');
    if (mark !== '==') throw new Error(`bad frame header at byte ${pos}`);
    if (kind === 'stat') pids.set(Number(pid), (pids.get(Number(pid)) ?? 0) + 1);
    pos = nl + 1 + Number(len) + 1;
  }
  return pids;
}

/** Distinct sample times (epoch ns) in a proc spool: one per sampler tick that found anything alive. */
export function procTickTimes(file: string): bigint[] {
  const buf = readFileSync(file);
  const times = new Set<string>();
  let pos = buf.indexOf(10) + 1;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    const [, t, , , len] = buf.toString('latin1', pos, nl).split(' '); // "== <ns> <pid> <kind> <len>"
    times.add(t);
    pos = nl + 1 + Number(len) + 1;
  }
  return [...times].map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Sample pids in gzip'd perf script text: event lines look like "compile  3869/3871    789.844169933:   10101010 cpu-clock: ". */
export function perfSamplePids(file: string): Map<number, number> {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const pids = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line || line[0] === '\t' || line[0] === '#') continue;
    const m = /\s(\d+)\/(\d+)\s+\d+\.\d+:/.exec(line);
    if (!m) throw new Error(`unexpected perf script line: ${line}`);
    pids.set(Number(m[1]), (pids.get(Number(m[1])) ?? 0) + 1);
  }
  return pids;
}

export function perfWorks(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8') !== '' && process.getuid?.() === 0;
  } catch {
    return false;
  }
}
