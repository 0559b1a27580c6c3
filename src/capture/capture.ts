// `gbp capture`: runs the user's go command with our collectors attached and
// writes one bundle. The build keeps its own output and exit code; every raw
// entry is spooled to a private temporary folder and streamed into the bundle
// at the end, so memory stays bounded however large the build is.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ENTRY, FORMAT_NAME, FORMAT_VERSION, type CollectorInfo, type Manifest } from '../bundle/format.ts';
import { countListPackages } from '../bundle/summary.ts';
import { createBundleWriter } from '../bundle/writer.ts';
import { makeTempDir } from '../temp-dir.ts';
import { GbpError, isGbpError } from '../errors.ts';
import { parseBuildIds } from '../symbols/resolver.ts';
import { TOOLKIT_VERSION } from '../version.ts';
import { checkGoCommand, planGoCommand } from './go-args.ts';
import { buildEnv, hostInfo, makeClock, measureMonoToEpochNs } from './host.ts';
import { findOnPath, perfBuildIds, perfRecordArgv, perfScriptGz, probePerf, PERF_CLOCK, type PerfMode } from './perf.ts';
import { startProcSampler } from './proc-sampler.ts';
import { collectRuns, EVENTS_FILE, writeShim } from './shim.ts';
import { compiledShim } from './shim-c.ts';
import { compiledSampler } from './sampler-c.ts';
import { sampledOffsets, writeSidecars } from './symbols.ts';

/** What to capture and how: the go command, output path, perf and /proc settings. */
export interface CaptureOptions {
  /** Output bundle path. */
  out: string;
  /** The go command, e.g. ['go', 'build', './...']. */
  argv: string[];
  perf: PerfMode;
  /** perf sampling frequency, Hz. */
  perfFrequency: number;
  /** /proc sampling interval, ms. */
  intervalMs: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Defaults: perf auto at 999 Hz, /proc every 20 ms, this process's cwd and environment. */
export const DEFAULT_CAPTURE_OPTIONS: Omit<CaptureOptions, 'out' | 'argv'> = {
  perf: 'auto',
  perfFrequency: 999,
  intervalMs: 20,
  cwd: process.cwd(),
  env: process.env,
};

/** Progress counters while the build runs (tools and packages, counts). */
export interface CaptureProgress {
  toolsStarted: number;
  toolsDone: number;
  packagesDone: number;
  /** Packages `go list` reports, once known. */
  packagesTotal: number | null;
}

/** Callbacks for the build's own output and for progress; all optional. */
export interface CaptureHooks {
  /** The build's own output, as it comes (the CLI passes it on unchanged). */
  stdout?(chunk: Buffer): void;
  stderr?(chunk: Buffer): void;
  progress?(p: CaptureProgress): void;
}

/** What a finished capture returns: the exit code to use, the manifest written, the bundle path. */
export interface CaptureResult {
  /** What `gbp capture` should exit with: the build's code, or non-zero when interrupted. */
  exitCode: number;
  manifest: Manifest;
  out: string;
}

/** A running capture: its result, and a way to interrupt it. */
export interface CaptureHandle {
  result: Promise<CaptureResult>;
  /** Forwards a signal to the build and marks the bundle incomplete. */
  interrupt(signal: NodeJS.Signals): void;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };

/** Starts a capture; the build starts once the checks pass (missing go, perf on, unwritable output fail first). */
export function startCapture(opts: CaptureOptions, hooks: CaptureHooks = {}): CaptureHandle {
  let interruptedBy: NodeJS.Signals | null = null;
  let child: ChildProcess | null = null;
  const interrupt = (sig: NodeJS.Signals) => {
    interruptedBy ??= sig;
    if (child?.pid) {
      try {
        process.kill(-child.pid, sig); // the build's whole process group
      } catch {
        /* already gone */
      }
    }
  };
  const result = run(opts, hooks, (c) => (child = c), () => interruptedBy);
  return { result, interrupt };
}

async function run(o: CaptureOptions, hooks: CaptureHooks, setChild: (c: ChildProcess) => void, interrupted: () => NodeJS.Signals | null): Promise<CaptureResult> {
  if (o.argv.length === 0) throw new GbpError('usage', 'capture needs a command after --, e.g. gbp capture -o b.gbp.tgz -- go build ./...');
  checkGoCommand(o.argv);
  const goBin = findOnPath(o.argv[0], o.env.PATH ?? '');
  if (!goBin) throw new GbpError('capture', `${o.argv[0]}: command not found (is Go installed and on PATH?)`);
  if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1) throw new GbpError('usage', `--interval must be a positive number of milliseconds, got ${o.intervalMs}`);

  const cpuAtStart = process.cpuUsage();
  const tmp = await makeTempDir('gbp-capture-');
  const runDir = path.join(tmp, 'run');
  const spool = path.join(tmp, 'spool');
  await fsp.mkdir(runDir);
  await fsp.mkdir(spool);
  let writer: Awaited<ReturnType<typeof createBundleWriter>> | null = null;
  try {
    writer = await createBundleWriter(o.out);
    const collectors: Record<string, CollectorInfo> = {};

    // perf is probed before the build: `--perf on` without perf must fail first.
    let perf = o.perf === 'off' ? null : await probePerf(tmp);
    if (o.perf === 'on' && !perf?.ok) throw new GbpError('capture', `--perf on, but ${perf?.reason ?? 'perf is unavailable'}`);
    if (perf && !perf.ok) {
      collectors.perf = { status: 'skipped', reason: perf.reason };
      perf = null;
    } else if (!perf) collectors.perf = { status: 'skipped', reason: '--perf off' };

    const offset = measureMonoToEpochNs();
    const now = makeClock(offset);
    const host = hostInfo(offset);
    // The C shim when a compiler is here (cheaper per tool, exact max RSS), else bash; GBP_SHIM=bash forces bash.
    const cShim = o.env.GBP_SHIM === 'bash' ? null : compiledShim(tmp, o.env);
    const shim = cShim ?? (await writeShim(tmp));
    const plan = planGoCommand({ argv: [goBin, ...o.argv.slice(1)], cwd: o.cwd, goflags: o.env.GOFLAGS ?? '', shimPath: shim, outDir: spool });
    if (!existsSync(plan.dir)) throw new GbpError('capture', `${plan.dir}: no such directory (from -C)`);
    const env: NodeJS.ProcessEnv = { ...o.env, GBP_RUNDIR: runDir, GBP_CHAIN_N: String(plan.userToolexec.length), GBP_BENCH: plan.benchFile };
    const perfData = path.join(spool, 'perf.data');
    const argv = perf ? [...perfRecordArgv(perf.perf!, perf.event!, o.perfFrequency, perfData), ...plan.effectiveArgv] : plan.effectiveArgv;

    const progress: CaptureProgress = { toolsStarted: 0, toolsDone: 0, packagesDone: 0, packagesTotal: null };
    // Spooling fails only when the temp folder's disk is full or gone; that
    // must end the capture with a clear error, never a silently short entry.
    let spoolError: unknown = null;
    const onSpoolError = (e: unknown) => (spoolError ??= e);
    // The C sampler when a compiler is here (a tenth of the CPU), else JavaScript; GBP_SAMPLER=js forces it.
    const nativeSampler = o.env.GBP_SAMPLER === 'js' ? null : compiledSampler(tmp, o.env);
    const sampler = startProcSampler({
      native: nativeSampler ? { bin: nativeSampler, monoToEpochNs: offset } : undefined,
      spoolFile: path.join(spool, 'proc.txt'),
      eventsFile: path.join(runDir, EVENTS_FILE),
      intervalMs: o.intervalMs,
      clkTck: host.clkTck,
      pageSize: host.pageSize,
      nowNs: now,
      onError: onSpoolError,
      events: {
        onToolStart: () => progress.toolsStarted++,
        onToolEnd: (tool) => {
          progress.toolsDone++;
          if (tool === 'compile') progress.packagesDone++;
        },
      },
    });

    // Start the build first; the side commands run alongside it.
    const startNs = now();
    const startHr = process.hrtime.bigint();
    const build = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env, stdio: ['inherit', 'pipe', 'pipe'], detached: true });
    setChild(build);
    const stdoutDone = tee(build.stdout!, path.join(spool, 'stdout.txt'), onSpoolError, hooks.stdout);
    const stderrDone = tee(build.stderr!, path.join(spool, 'stderr.txt'), onSpoolError, hooks.stderr);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      build.on('error', (error) => resolve({ code: null, signal: null, error }));
      build.on('close', (code, signal) => resolve({ code, signal }));
    });
    if (interrupted() && build.pid) process.kill(-build.pid, interrupted()!);
    const rootTimer = findRoot(build, !!perf, (pid) => sampler.setRoot(pid));
    const progressTimer = hooks.progress ? setInterval(() => hooks.progress!(progress), 200) : null;

    // The side commands run at the lowest CPU priority: they take the cores
    // only when the build leaves them idle, so they do not slow it down.
    // (`nice` sets it before exec, so every thread of the Go program has it.)
    const sideEnv = o.env;
    const nice = findOnPath('nice', o.env.PATH ?? '');
    const low = (cmd: string[]) => (nice ? [nice, '-n', '19', ...cmd] : cmd);
    const goList = runTo(low([goBin, ...plan.listArgv.slice(1)]), plan.dir, sideEnv, path.join(spool, 'list.json'), onSpoolError).then(async (r) => {
      progress.packagesTotal = await countListPackages(path.join(spool, 'list.json')).catch(() => null);
      return r;
    });
    const goVersion = runTo(low([goBin, 'version']), plan.dir, sideEnv, path.join(spool, 'version.txt'), onSpoolError);
    const goEnv = runTo(low([goBin, 'env', '-json']), plan.dir, sideEnv, path.join(spool, 'env.json'), onSpoolError);

    const ex = await exited;
    const endHr = process.hrtime.bigint();
    const endNs = now();
    clearInterval(rootTimer);
    if (progressTimer) clearInterval(progressTimer);
    const sampled = await sampler.stop();
    await Promise.all([stdoutDone, stderrDone]);
    if (ex.error) throw new GbpError('capture', `${argv[0]}: cannot run the build: ${ex.error.message}`);

    const [listR, versionR] = await Promise.all([goList, goVersion, goEnv]);
    hooks.progress?.(progress); // the final count, with go list's total known
    if (spoolError) throw spoolFailure(tmp, spoolError);

    // ---- turn spooled raw data into entries ----
    const files: [string, string][] = [];
    const add = (name: string, entry: string, file: string, info: CollectorInfo = { status: 'ok' }) => {
      files.push([entry, file]);
      collectors[name] = { ...info, status: info.status, entries: [...(collectors[name]?.entries ?? []), entry] };
    };
    const missing = (name: string, what: string) => {
      const why = interrupted() ? 'the build was interrupted before it was written' : ex.code !== 0 ? `the build failed before ${what} was written` : `the go command did not write ${what}`;
      collectors[name] = { status: 'failed', reason: why };
    };

    if (existsSync(path.join(spool, 'list.json')) && statSync(path.join(spool, 'list.json')).size > 0) {
      add('goList', ENTRY.goList, path.join(spool, 'list.json'), listR.code === 0 ? { status: 'ok' } : { status: 'ok', reason: `go list exited ${listR.code}: ${firstLine(listR.stderr)}` });
    } else collectors.goList = { status: 'failed', reason: `go list exited ${listR.code}: ${firstLine(listR.stderr)}` };

    for (const [name, entry, file, what] of [
      ['actionGraph', ENTRY.actionGraph, plan.actionGraphFile, 'the action graph'],
      ['trace', ENTRY.trace, plan.traceFile, 'the trace'],
    ] as const) {
      if (existsSync(file) && statSync(file).size > 0) add(name, entry, file);
      else missing(name, what);
    }
    if (existsSync(plan.benchFile)) add('compileBench', ENTRY.compileBench, plan.benchFile);
    else if (interrupted() || ex.code !== 0) missing('compileBench', 'compiler timings');
    else collectors.compileBench = { status: 'skipped', reason: 'no compile ran (everything was cached?)' };

    const runs = await collectRuns(runDir);
    const toolexecFile = path.join(spool, 'toolexec.jsonl');
    await writeLines(toolexecFile, runs.map((r) => JSON.stringify(r))).catch((e) => {
      throw spoolFailure(tmp, e);
    });
    add('toolexec', ENTRY.toolexec, toolexecFile, { status: 'ok', records: runs.length, shim: cShim ? 'c' : 'bash', ...(plan.userToolexec.length ? { chainedTo: plan.userToolexec } : {}) });
    add('proc', ENTRY.proc, path.join(spool, 'proc.txt'), { status: sampled.failure ? 'failed' : 'ok', ...(sampled.failure ? { reason: sampled.failure } : {}), intervalMs: o.intervalMs, ticks: sampled.samples, frames: sampled.frames, pids: sampled.pids, sampler: nativeSampler ? 'c' : 'js' });

    if (perf) {
      if (existsSync(perfData) && statSync(perfData).size > 0) {
        const info = { status: 'ok' as const, event: perf.event, frequency: o.perfFrequency, clock: PERF_CLOCK };
        add('perf', ENTRY.perfData, perfData, info);
        const scriptFile = path.join(spool, 'script.txt.gz');
        const s = await perfScriptGz(perf.perf!, perfData, scriptFile).catch((e) => {
          throw spoolFailure(tmp, e);
        });
        if (s.ok) add('perf', ENTRY.perfScript, scriptFile, info);
        else collectors.perf = { ...collectors.perf, status: 'failed', reason: `perf script failed: ${firstLine(s.stderr)}` };
        const idsFile = path.join(spool, 'buildids.txt');
        const b = await perfBuildIds(perf.perf!, perfData, idsFile);
        if (b.ok) add('perf', ENTRY.perfBuildIds, idsFile, collectors.perf ?? info);
        if (s.ok) {
          // Sidecars make the bundle symbolizable where the binaries are absent.
          const ids = b.ok ? parseBuildIds(readFileSync(idsFile, 'utf8')) : new Map<string, string>();
          const symDir = path.join(spool, 'symbols');
          await fsp.mkdir(symDir);
          const side = await writeSidecars(await sampledOffsets(scriptFile), symDir, ids).catch((e) => {
            throw isGbpError(e) ? e : spoolFailure(tmp, e);
          });
          for (const [entry, file] of side.files) add('perf', entry, file, collectors.perf);
          collectors.perf = { ...collectors.perf, binaries: side.binaries };
        }
      } else collectors.perf = { status: 'failed', reason: 'perf record wrote no data' };
    }
    add('buildOutput', ENTRY.stdout, path.join(spool, 'stdout.txt'));
    add('buildOutput', ENTRY.stderr, path.join(spool, 'stderr.txt'));

    const sig = interrupted();
    const exitCode = ex.code ?? (ex.signal ? 128 + (SIGNAL_NUMBERS[ex.signal] ?? 0) : 1);
    let goEnvJson: Record<string, string> = {};
    try {
      goEnvJson = JSON.parse(readFileSync(path.join(spool, 'env.json'), 'utf8'));
    } catch {
      /* go env failed: the manifest says so through an empty env */
    }
    const cpu = process.cpuUsage(cpuAtStart);
    const manifest: Manifest = {
      format: { name: FORMAT_NAME, version: FORMAT_VERSION },
      toolkit: { name: 'go-build-profiler', version: TOOLKIT_VERSION },
      startNs: startNs.toString(),
      endNs: endNs.toString(),
      complete: !sig,
      ...(sig ? { incompleteReason: `interrupted by ${sig}` } : {}),
      host,
      go: { version: versionR.code === 0 ? readFileSync(path.join(spool, 'version.txt'), 'utf8').trim() : '', env: goEnvJson },
      build: {
        argv: o.argv,
        effectiveArgv: argv,
        cwd: plan.dir,
        exitCode: ex.code,
        signal: ex.signal,
        wallNs: Number(endHr - startHr),
        env: buildEnv(o.env),
      },
      perf: { event: perf && collectors.perf?.status === 'ok' ? perf.event : null, frequency: perf ? o.perfFrequency : null, clock: perf ? PERF_CLOCK : null },
      collectors,
      overhead: { gbpUserNs: Math.round(cpu.user * 1000), gbpSysNs: Math.round(cpu.system * 1000), samplerUserNs: sampled.cpu?.userNs ?? null, samplerSysNs: sampled.cpu?.sysNs ?? null },
    };

    await writer.addBuffer(ENTRY.manifest, JSON.stringify(manifest, null, 2) + '\n');
    for (const [entry, file] of files) await writer.addFile(entry, file);
    await writer.finish();
    writer = null;
    return { exitCode: sig && exitCode === 0 ? 128 + (SIGNAL_NUMBERS[sig] ?? 2) : exitCode, manifest, out: o.out };
  } finally {
    if (writer) await writer.abort();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** With perf, the go command is perf's child: find it so /proc sampling follows the right process. */
function findRoot(build: ChildProcess, viaPerf: boolean, found: (pid: number) => void): NodeJS.Timeout {
  const pid = build.pid;
  if (!pid) return setInterval(() => {}, 1 << 30);
  if (!viaPerf) {
    found(pid);
    return setInterval(() => {}, 1 << 30);
  }
  const t = setInterval(() => {
    try {
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim();
      if (kids) {
        clearInterval(t);
        found(Number(kids.split(' ')[0]));
      }
    } catch {
      clearInterval(t);
    }
  }, 2);
  return t;
}

function tee(src: NodeJS.ReadableStream, file: string, onError: (e: unknown) => void, sink?: (b: Buffer) => void): Promise<void> {
  const out = createWriteStream(file);
  out.on('error', onError); // the build's output still reaches the terminal
  src.on('data', (b: Buffer) => {
    sink?.(b);
    out.write(b);
  });
  return once(src, 'end').then(() => new Promise<void>((r) => out.end(r)));
}

/** Runs a side command with stdout to a file; resolves with its exit code and (bounded) stderr. */
function runTo(argv: string[], cwd: string, env: NodeJS.ProcessEnv, outFile: string, onError: (e: unknown) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const out = createWriteStream(outFile);
    out.on('error', (e) => {
      onError(e);
      resolve({ code: null, stderr: String(e) });
    });
    const p = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 16 * 1024) stderr += d;
    });
    p.stdout!.pipe(out);
    p.on('error', (e) => resolve({ code: null, stderr: e.message }));
    p.on('close', (code) => out.end(() => resolve({ code, stderr })));
  });
}

/** The one clear error for a temp folder that filled up (or vanished) mid-capture. */
function spoolFailure(tmp: string, e: unknown): GbpError {
  const err = e as NodeJS.ErrnoException;
  const why = err?.code === 'ENOSPC' ? 'no space left on device' : (err?.message ?? String(e));
  return new GbpError('io', `${tmp}: cannot keep the capture's data (${why}); no bundle written`);
}

async function writeLines(file: string, lines: string[]): Promise<void> {
  const out = createWriteStream(file);
  for (const l of lines) if (!out.write(l + '\n')) await once(out, 'drain');
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
}

function firstLine(s: string): string {
  return (s.trim().split('\n')[0] ?? '').slice(0, 300);
}

