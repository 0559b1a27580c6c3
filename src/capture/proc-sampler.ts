// Samples /proc/PID/{stat,status,io} of the go command and of every tool
// process every `intervalMs`, writing the raw bytes in the framing of
// PROC_HEADER / PROC_FRAME (format.ts) to a spool file. Tool pids come from
// the shim's events file (tailed each tick); other children of go (gcc run
// directly by go for cgo) from /proc/<go>/task/*/children. Processes vanish
// between listing and reading all the time: that just ends their series.
import { closeSync, openSync, readSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROC_FRAME, PROC_HEADER } from '../bundle/format.ts';
import { SAMPLER_EXIT_WRITE_FAILED } from './sampler-c.ts';

const FILES = ['stat', 'status', 'io'] as const;

export interface SamplerEvents {
  /** A tool started (from the shim's S line). */
  onToolStart?(tool: string, importPath: string): void;
  /** A tool ended (from the shim's E line). */
  onToolEnd?(tool: string, importPath: string, exitCode: number): void;
}

export interface ProcSampler {
  /** Sets the go command's pid once known (it may be perf's child). */
  setRoot(pid: number): void;
  /** Stops sampling, takes a last look at the events, closes the spool. */
  stop(): Promise<SamplerStats>;
}

/** What a sampler did: ticks, frames written, distinct pids sampled. */
export interface SamplerStats {
  samples: number;
  frames: number;
  pids: number;
  /** CPU of the C sampler process (the JavaScript one runs inside gbp). */
  cpu?: { userNs: number; sysNs: number };
  /** Why sampling ended before the build did (what was written is kept). */
  failure?: string;
}

export interface SamplerOptions {
  spoolFile: string;
  eventsFile: string;
  intervalMs: number;
  clkTck: number;
  pageSize: number;
  /** Epoch ns now (the capture's one clock). */
  nowNs: () => bigint;
  /** Called once if writing the spool fails (full disk); sampling stops then. */
  onError?: (e: unknown) => void;
  events?: SamplerEvents;
  /**
   * The compiled C sampler (sampler-c.ts) and the epoch-minus-monotonic
   * offset of `nowNs`: with both, the C sampler does the sampling and this
   * process only follows the events for progress.
   */
  native?: { bin: string; monoToEpochNs: bigint };
}

/** How often the events file is read for progress alone, when the C sampler samples. */
const PROGRESS_EVENTS_MS = 200;

export function startProcSampler(o: SamplerOptions): ProcSampler {
  const fd = openSync(o.spoolFile, 'w');
  writeSync(fd, `${PROC_HEADER} clk_tck=${o.clkTck} page_size=${o.pageSize}\n`);
  let root = 0;
  const live = new Set<number>(); // pids sampled each tick
  const shims = new Set<number>(); // shim bash pids: never sampled themselves
  const seen = new Set<number>();
  const runOfShim = new Map<number, { pid: number; tool: string; importPath: string }>();
  let evOffset = 0;
  let evRest = '';
  let samples = 0;
  let frames = 0;
  const buf = Buffer.alloc(64 * 1024);
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  let evFd = -1;
  const readEvents = () => {
    if (evFd < 0) {
      try {
        evFd = openSync(o.eventsFile, 'r');
      } catch {
        return; // no tool ran yet
      }
    }
    {
      for (;;) {
        const n = readSync(evFd, buf, 0, buf.length, evOffset);
        if (n <= 0) break;
        evOffset += n;
        const text = evRest + buf.toString('latin1', 0, n);
        const lines = text.split('\n');
        evRest = lines.pop() ?? '';
        for (const line of lines) {
          // "S 4242 4243 /usr/local/go/pkg/tool/linux_amd64/compile net/http" / "E 4242 0"
          const f = line.split(' ');
          if (f[0] === 'S' && f.length >= 3) {
            const shim = Number(f[1]);
            const pid = Number(f[2]);
            const run = { pid, tool: basename(f[3] ?? ''), importPath: f.slice(4).join(' ') };
            shims.add(shim);
            runOfShim.set(shim, run);
            if (!seen.has(pid)) {
              seen.add(pid);
              live.add(pid);
            }
            o.events?.onToolStart?.(run.tool, run.importPath);
          } else if (f[0] === 'E' && f.length >= 3) {
            const run = runOfShim.get(Number(f[1]));
            if (run) {
              runOfShim.delete(Number(f[1]));
              live.delete(run.pid);
            }
            o.events?.onToolEnd?.(run?.tool ?? '', run?.importPath ?? '', Number(f[2]));
          }
        }
      }
    }
  };

  // Cost matters: this runs 50 times a second beside the build. Each /proc
  // file is opened once per process and re-read with pread at offset 0 (the
  // kernel regenerates it), and each tick's frames go out in one write.
  const out = new TickBuffer(fd);
  const procFds = new Map<number, number[]>(); // pid -> fds of FILES (-1: unreadable)
  const closeProc = (pid: number) => {
    for (const f of procFds.get(pid) ?? []) if (f >= 0) closeSync(f);
    procFds.delete(pid);
  };
  const openProc = (pid: number): number[] | null => {
    let fds = procFds.get(pid);
    if (fds) return fds;
    fds = [];
    for (const f of FILES) {
      try {
        fds.push(openSync(`/proc/${pid}/${f}`, 'r'));
      } catch {
        if (f === 'stat') {
          for (const x of fds) if (x >= 0) closeSync(x);
          return null; // gone already
        }
        fds.push(-1); // io can be unreadable for other users' processes
      }
    }
    procFds.set(pid, fds);
    return fds;
  };

  // Children of the go command (gcc run by go for cgo) are listed through
  // /proc/<go>/task/<tid>/children; the thread list is re-read now and then.
  const taskFds = new Map<string, number>();
  let tasksRoot = 0;
  const refreshTasks = (pid: number) => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      tids = [];
    }
    const keep = new Set(tids);
    for (const [t, f] of taskFds) {
      if (keep.has(t) && tasksRoot === pid) continue;
      closeSync(f);
      taskFds.delete(t);
    }
    tasksRoot = pid;
    for (const t of tids) {
      if (taskFds.has(t)) continue;
      try {
        taskFds.set(t, openSync(`/proc/${pid}/task/${t}/children`, 'r'));
      } catch {
        /* thread gone */
      }
    }
  };
  const children = (): number[] => {
    const kids: number[] = [];
    for (const [t, f] of taskFds) {
      try {
        const n = readSync(f, buf, 0, buf.length, 0);
        // "4242 4250 " : space-separated child pids of this thread
        for (const c of buf.toString('latin1', 0, n).split(' ')) if (c) kids.push(Number(c));
      } catch {
        closeSync(f);
        taskFds.delete(t);
      }
    }
    return kids;
  };

  const sample = (pid: number, t: bigint): boolean => {
    const fds = openProc(pid);
    if (!fds) return false;
    let any = false;
    for (let i = 0; i < FILES.length; i++) {
      if (fds[i] < 0) continue;
      let n: number;
      try {
        n = readSync(fds[i], buf, 0, buf.length, 0);
      } catch {
        if (i === 0) {
          closeProc(pid); // ESRCH: the process is gone (its pid may be reused: a new open is a new process)
          return false;
        }
        continue;
      }
      out.frame(`${PROC_FRAME} ${t} ${pid} ${FILES[i]} ${n}\n`, buf, n);
      frames++;
      any = true;
    }
    return any;
  };

  let ticks = 0;
  const tick = () => {
    if (stopped) return;
    try {
      sampleAll();
    } catch (e) {
      stopped = true;
      if (timer) clearInterval(timer);
      o.onError?.(e);
    }
  };
  const sampleAll = () => {
    readEvents();
    // Children of go that are not shims (gcc run by go for cgo) are rare: look every 5th tick.
    if (root && ticks % 25 === 0) refreshTasks(root);
    if (root && ticks++ % 5 === 0) {
      for (const c of children()) {
        if (!shims.has(c) && !seen.has(c)) {
          // a shim whose S line is not written yet looks like this too; it is
          // bash until it execs, so only keep pids that are not our shim
          try {
            if (readFileSync(`/proc/${c}/comm`, 'latin1').startsWith('gbp-toolexec')) continue;
          } catch {
            continue;
          }
          seen.add(c);
          live.add(c);
        }
      }
    }
    const t = o.nowNs();
    samples++;
    for (const pid of [...live]) if (!sample(pid, t)) live.delete(pid);
    out.flush();
  };

  let native: ChildProcess | null = null;
  let nativeOut = '';
  let nativeErr = '';
  let startNative: ((pid: number) => void) | null = null;
  const nativeExit = new Promise<number | null>((resolve) => {
    if (!o.native) return resolve(null);
    startNative = (pid: number) => {
      const n = spawn(o.native!.bin, [o.spoolFile, o.eventsFile, String(o.intervalMs), String(pid), String(o.native!.monoToEpochNs)], { stdio: ['ignore', 'pipe', 'pipe'] });
      native = n;
      n.stdout!.setEncoding('utf8').on('data', (d: string) => (nativeOut += d));
      n.stderr!.setEncoding('utf8').on('data', (d: string) => (nativeErr += d.slice(0, 4096)));
      n.on('error', (e) => {
        nativeErr ||= e.message;
        resolve(-1);
      });
      n.on('close', (code) => resolve(code));
    };
  });

  if (o.native) {
    // Only progress needs the events here; without a listener nothing runs at all.
    if (o.events) timer = setInterval(() => {
      try {
        readEvents();
      } catch {
        /* progress only */
      }
    }, PROGRESS_EVENTS_MS);
  } else timer = setInterval(tick, o.intervalMs);
  timer?.unref?.();

  return {
    setRoot(pid) {
      root = pid;
      if (startNative) {
        if (!native) startNative(pid);
        return;
      }
      seen.add(pid);
      live.add(pid);
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (native) {
        (native as ChildProcess).kill('SIGTERM');
        const code = await nativeExit;
        if (!stopped) readEvents();
        stopped = true;
        closeSync(fd);
        const m = /ticks=(\d+) frames=(\d+) pids=(\d+) user_ns=(\d+) sys_ns=(\d+)/.exec(nativeOut);
        const stats: SamplerStats = { samples: Number(m?.[1] ?? 0), frames: Number(m?.[2] ?? 0), pids: Number(m?.[3] ?? 0), ...(m ? { cpu: { userNs: Number(m[4]), sysNs: Number(m[5]) } } : {}) };
        if (code === SAMPLER_EXIT_WRITE_FAILED) {
          // The spool could not be written: the same failure as a full disk in JavaScript.
          const e: NodeJS.ErrnoException = new Error(nativeErr.trim());
          if (/No space left/.test(nativeErr)) e.code = 'ENOSPC';
          o.onError?.(e);
        } else if (code !== 0) stats.failure = `the C sampler stopped early (exit ${code}${nativeErr ? `: ${nativeErr.trim().split('\n')[0]}` : ''})`;
        return stats;
      }
      if (!stopped) readEvents();
      stopped = true;
      for (const pid of [...procFds.keys()]) closeProc(pid);
      for (const f of taskFds.values()) closeSync(f);
      if (evFd >= 0) closeSync(evFd);
      closeSync(fd);
      return { samples, frames, pids: seen.size };
    },
  };
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

/** Frames of one tick, gathered so the spool gets one write per tick. */
class TickBuffer {
  private buf = Buffer.alloc(256 * 1024);
  private len = 0;
  constructor(private readonly fd: number) {}

  frame(header: string, data: Buffer, n: number): void {
    const need = header.length + n + 1;
    if (this.len + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.buf = Buffer.alloc(need * 2);
    }
    this.len += this.buf.write(header, this.len, 'latin1');
    this.len += data.copy(this.buf, this.len, 0, n);
    this.buf[this.len++] = 0x0a;
  }

  flush(): void {
    let off = 0;
    while (off < this.len) off += writeSync(this.fd, this.buf, off, this.len - off);
    this.len = 0;
  }
}
