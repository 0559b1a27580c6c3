// proc/snapshots.txt: raw /proc reads, framed by byte length (see PROC_* in
// src/bundle/format.ts), turned into one time series per process.
//   gbp-proc-snapshots 1 clk_tck=100 page_size=4096
//   == 1795675573439697570 4242 stat 312
//   4242 (compile) R 4241 4241 8368 0 -1 4194304 99 0 0 0 12 3 0 0 20 0 1 0 54841 3133440 389 ...
//   == 1795675573439712000 4242 status 1380
//   Name:	compile ... VmHWM:	   81234 kB ...
//   == 1795675573439730000 4242 io 128
//   rchar: 6976 ...
// Frames are read as bytes (their lengths are byte counts), so memory stays
// bounded by one frame whatever the file size.
import type { ProcessSeries, ProcPoint, Warning } from '../model/types.ts';
import { ENTRY, PROC_FRAME, PROC_HEADER } from '../bundle/format.ts';
import { bufferChunks, type Input } from './input.ts';
import { rel } from './time.ts';
import { DEFAULT_MAX_WARNINGS, WarningSink } from './warnings.ts';

/** Options of parseProcSnapshots; defaults in DEFAULT_PROC_SNAPSHOTS_OPTIONS. */
export interface ProcSnapshotsOptions {
  /** Entry name used in warnings. */
  entry: string;
  /** Epoch ns that relative times count from; null: the first frame's time. */
  originNs: bigint | null;
  /**
   * Epoch ns of the clock /proc starttime counts from, to place process
   * starts; null: unknown. loadBuild passes the manifest's monoToEpochNs
   * (exact); bootNs (btime) is whole seconds, so starts would land up to 1 s early.
   */
  bootNs: bigint | null;
  /** Used when the header does not say. */
  clkTck: number;
  pageSize: number;
  /** A frame claiming more bytes than this is treated as damage. */
  maxFrameBytes: number;
  /** Warnings kept beyond which they are only counted. */
  maxWarnings: number;
}

/** Warnings name `proc/snapshots.txt`; times from the first frame; 100 ticks/s, 4 KiB pages unless the header says; frames up to 1 MiB. */
export const DEFAULT_PROC_SNAPSHOTS_OPTIONS: ProcSnapshotsOptions = {
  entry: ENTRY.proc,
  originNs: null,
  bootNs: null,
  clkTck: 100,
  pageSize: 4096,
  maxFrameBytes: 1 << 20,
  maxWarnings: DEFAULT_MAX_WARNINGS,
};

export interface ProcSnapshotsResult {
  processes: Map<number, ProcessSeries>;
  originNs: bigint | null;
  frames: number;
  warnings: Warning[];
}

/** Cheap sniff: the header line. */
export function detectProcSnapshots(head: string): boolean {
  return head.startsWith(PROC_HEADER + ' ') || head.startsWith(PROC_HEADER + '\n');
}

// `== 1795675573439697570 4242 stat 312`
const FRAME_HEADER = /^== (\d{1,20}) (\d+) ([a-z_]+) (\d+)$/;

export interface StatFields {
  comm: string;
  utimeTicks: number;
  stimeTicks: number;
  startTicks: number;
  vszBytes: number;
  rssPages: number;
}

/**
 * Fields of /proc/PID/stat. comm may hold spaces and ')', so the split is at
 * the last ')'; fields past rss (newer kernels add more) are ignored.
 */
export function parseStat(text: string): StatFields | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const f = text.slice(close + 1).trim().split(/\s+/);
  // f[0] is field 3 (state); utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.length < 22) return null;
  const n = (i: number) => Number(f[i]);
  const out = { comm: text.slice(open + 1, close), utimeTicks: n(11), stimeTicks: n(12), startTicks: n(19), vszBytes: n(20), rssPages: n(21) };
  for (const v of [out.utimeTicks, out.stimeTicks, out.startTicks, out.vszBytes, out.rssPages]) if (!Number.isFinite(v)) return null;
  return out;
}

/** The number after `key:` in status (`VmHWM:\t   81234 kB`, times 1024) or io (`rchar: 6976`); null when absent. */
export function fieldValue(text: string, key: string): number | null {
  // indexOf beats splitting: status has ~55 lines and we want two of them.
  let at = text.startsWith(key + ':') ? 0 : text.indexOf('\n' + key + ':');
  if (at < 0) return null;
  at += (at === 0 ? 0 : 1) + key.length + 1;
  const nl = text.indexOf('\n', at);
  const v = /^\s*(\d+)\s*(kB)?\s*$/.exec(text.slice(at, nl < 0 ? undefined : nl));
  return v ? Number(v[1]) * (v[2] ? 1024 : 1) : null;
}

interface Proc {
  series: ProcessSeries;
  startTicks: number;
  last: ProcPoint | null;
  reused: boolean;
}

/** Reads every frame; bad frames become warnings with their line. */
export async function parseProcSnapshots(input: Input, opts: Partial<ProcSnapshotsOptions> = {}): Promise<ProcSnapshotsResult> {
  const o = { ...DEFAULT_PROC_SNAPSHOTS_OPTIONS, ...opts };
  const sink = new WarningSink(o.entry, o.maxWarnings);
  const warn = (line: number, message: string) => sink.at(line, message);
  const procs = new Map<number, Proc>();
  /** status/io values that arrived before a process's first stat. */
  const early = new Map<number, Partial<ProcPoint>>();
  let clkTck = o.clkTck;
  let pageSize = o.pageSize;
  let origin = o.originNs;
  let frames = 0;
  let line = 1;
  let sawHeader = false;
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  /** Pending frame: header parsed, waiting for its body. */
  let frame: { t: bigint; pid: number; kind: string; len: number; line: number } | null = null;

  const countLines = (b: Buffer, from: number, to: number) => {
    for (let i = b.indexOf(10, from); i !== -1 && i < to; i = b.indexOf(10, i + 1)) line++;
  };

  const onFrame = (f: NonNullable<typeof frame>, body: string) => {
    frames++;
    if (origin === null) origin = f.t;
    const t = rel(f.t, origin);
    let p = procs.get(f.pid);
    if (f.kind === 'stat') {
      const s = parseStat(body);
      if (!s) return warn(f.line, `pid ${f.pid}: unreadable stat frame`);
      if (p && p.startTicks !== s.startTicks) {
        if (!p.reused) warn(f.line, `pid ${f.pid} was reused by a new process (starttime ${p.startTicks} then ${s.startTicks}); the later process is skipped`);
        p.reused = true;
        return;
      }
      const tick = 1e9 / clkTck;
      const point: ProcPoint = {
        t,
        utimeNs: Math.round(s.utimeTicks * tick),
        stimeNs: Math.round(s.stimeTicks * tick),
        cpuNs: Math.round((s.utimeTicks + s.stimeTicks) * tick),
        rssBytes: s.rssPages * pageSize,
        vszBytes: s.vszBytes,
        hwmBytes: null,
        readBytes: null,
        writeBytes: null,
        rchar: null,
        wchar: null,
        syscr: null,
        syscw: null,
      };
      if (!p) {
        const start = o.bootNs === null ? null : rel(o.bootNs + BigInt(Math.round(s.startTicks * tick)), origin);
        p = { series: { pid: f.pid, comm: s.comm, start, points: [] }, startTicks: s.startTicks, last: null, reused: false };
        procs.set(f.pid, p);
        Object.assign(point, early.get(f.pid));
        early.delete(f.pid);
      }
      p.series.comm = s.comm; // a process changes comm at exec
      p.series.points.push(point);
      p.last = point;
      return;
    }
    if (f.kind !== 'status' && f.kind !== 'io') return; // other /proc files: not used yet
    if (p?.reused) return;
    const hwm = f.kind === 'status' ? fieldValue(body, 'VmHWM') : null;
    const vmRss = f.kind === 'status' ? fieldValue(body, 'VmRSS') : null;
    const vals: Partial<ProcPoint> =
      f.kind === 'status'
        ? // VmRSS replaces stat's rss: on this kernel (6.18) stat's rss lagged
          // VmRSS by the anonymous pages (429 pages vs 1824 kB for `sleep`),
          // and VmRSS is what `ps` shows.
          { hwmBytes: hwm, ...(vmRss !== null ? { rssBytes: vmRss } : {}) }
        : {
            rchar: fieldValue(body, 'rchar'),
            wchar: fieldValue(body, 'wchar'),
            syscr: fieldValue(body, 'syscr'),
            syscw: fieldValue(body, 'syscw'),
            readBytes: fieldValue(body, 'read_bytes'),
            writeBytes: fieldValue(body, 'write_bytes'),
          };
    if (f.kind === 'io' && vals.rchar === null && vals.wchar === null) return warn(f.line, `pid ${f.pid}: unreadable io frame`);
    if (!p) {
      early.set(f.pid, { ...early.get(f.pid), ...vals });
      return;
    }
    if (p.last) Object.assign(p.last, vals);
  };

  for await (const chunk of bufferChunks(input)) {
    buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), chunk]) : chunk;
    pos = 0;
    for (;;) {
      if (frame) {
        if (buf.length - pos < frame.len + 1) break;
        const body = buf.toString('utf8', pos, pos + frame.len);
        const f = frame;
        countLines(buf, pos, pos + frame.len);
        frame = null;
        if (buf[pos + f.len] !== 10) {
          warn(f.line, `frame for pid ${f.pid} ${f.kind} is not followed by a newline; its length is wrong`);
          pos += f.len;
          continue;
        }
        pos += f.len + 1;
        line++;
        onFrame(f, body);
        continue;
      }
      const nl = buf.indexOf(10, pos);
      if (nl === -1) break;
      const text = buf.toString('utf8', pos, nl).replace(/\r$/, '');
      const at = line;
      pos = nl + 1;
      line++;
      if (!sawHeader) {
        sawHeader = true;
        if (!detectProcSnapshots(text + '\n')) {
          warn(at, `missing '${PROC_HEADER}' header line`);
        } else {
          clkTck = Number(/clk_tck=(\d+)/.exec(text)?.[1] ?? clkTck);
          pageSize = Number(/page_size=(\d+)/.exec(text)?.[1] ?? pageSize);
          continue;
        }
      }
      if (!text) continue;
      const m = FRAME_HEADER.exec(text);
      if (!m || !text.startsWith(PROC_FRAME + ' ')) {
        warn(at, `not a frame header: ${JSON.stringify(text.slice(0, 80))}`);
        continue;
      }
      const len = Number(m[4]);
      if (len > o.maxFrameBytes) {
        warn(at, `frame claims ${len} bytes (more than ${o.maxFrameBytes}); skipped`);
        continue;
      }
      frame = { t: BigInt(m[1]), pid: Number(m[2]), kind: m[3], len, line: at };
    }
  }
  if (frame) warn(frame.line, `truncated: frame for pid ${frame.pid} ${frame.kind} has ${buf.length - pos} of ${frame.len} bytes`);
  else if (pos < buf.length) warn(line, 'truncated: last line has no newline');
  const processes = new Map<number, ProcessSeries>();
  for (const [pid, p] of procs) processes.set(pid, p.series);
  return { processes, originNs: origin, frames, warnings: sink.done() };
}
