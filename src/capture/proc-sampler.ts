// Samples /proc/PID/{stat,status,io} of the go command and of every tool
// process every `intervalMs`, writing the raw bytes in the framing of
// PROC_HEADER / PROC_FRAME (format.ts) to a spool file. Tool pids come from
// the shim's events file (tailed each tick); other children of go (gcc run
// directly by go for cgo) from /proc/<go>/task/*/children. Processes vanish
// between listing and reading all the time: that just ends their series.
import { closeSync, openSync, readSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { PROC_FRAME, PROC_HEADER } from '../bundle/format.ts';

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
  /** Takes one sample now (also called on the timer). */
  tick(): void;
  /** Stops the timer, takes a last look at the events, closes the spool. */
  stop(): { samples: number; frames: number; pids: number };
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
}

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

  const readEvents = () => {
    let evFd: number;
    try {
      evFd = openSync(o.eventsFile, 'r');
    } catch {
      return; // no tool ran yet
    }
    try {
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
    } finally {
      closeSync(evFd);
    }
  };

  const children = (pid: number): number[] => {
    const out: number[] = [];
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return out;
    }
    for (const t of tasks) {
      try {
        // "4242 4250 " : space-separated child pids of this thread
        for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').split(' ')) if (c) out.push(Number(c));
      } catch {
        /* thread gone */
      }
    }
    return out;
  };

  const sample = (pid: number, t: bigint): boolean => {
    let any = false;
    for (const f of FILES) {
      let data: Buffer;
      try {
        data = readFileSync(`/proc/${pid}/${f}`);
      } catch {
        if (f === 'stat') return false; // gone
        continue; // io can be unreadable for other users' processes
      }
      writeSync(fd, `${PROC_FRAME} ${t} ${pid} ${f} ${data.length}\n`);
      writeSync(fd, data);
      writeSync(fd, '\n');
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
    if (root && ticks++ % 5 === 0) {
      for (const c of children(root)) {
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
  };

  const schedule = () => {
    timer = setInterval(tick, o.intervalMs);
    timer.unref?.();
  };
  schedule();

  return {
    setRoot(pid) {
      root = pid;
      seen.add(pid);
      live.add(pid);
      tick();
    },
    tick,
    stop() {
      if (timer) clearInterval(timer);
      if (!stopped) readEvents();
      stopped = true;
      closeSync(fd);
      return { samples, frames, pids: seen.size };
    },
  };
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}
