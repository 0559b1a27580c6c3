// What `gbp info` shows: the manifest's facts plus counts from simple,
// streaming scans of the raw entries (independent of the importers, so the
// two can check each other).
import { createReadStream, promises as fsp } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Bundle } from './reader.ts';
import { ENTRY, PROC_FRAME, PROC_HEADER } from './format.ts';

/** What `gbp info --json` prints: manifest facts plus counts from scans of the entries. */
export interface BundleSummary {
  file: string;
  format: { name: string; version: number };
  toolkit: string;
  complete: boolean;
  incompleteReason?: string;
  build: { argv: string[]; exitCode: number | null; signal: string | null; wallNs: number; goVersion: string; cwd: string; startNs: string };
  host: { hostname: string; cores: number; kernel: string };
  perf: { event: string | null; frequency: number | null };
  collectors: Record<string, { status: string; reason?: string; entries?: string[] }>;
  counts: {
    packages: number | null;
    invocations: Record<string, number>;
    probes: number;
    procSamples: number | null;
    procPids: number | null;
    perfSamples: number | null;
  };
  entries: Record<string, number>;
}

/** Summarizes an opened bundle. Counts are null when their entry is absent. */
export async function summarizeBundle(b: Bundle): Promise<BundleSummary> {
  const m = b.manifest;
  const collectors: BundleSummary['collectors'] = {};
  for (const [k, v] of Object.entries(m.collectors ?? {})) collectors[k] = { status: v.status, ...(v.reason ? { reason: v.reason } : {}), ...(v.entries ? { entries: v.entries } : {}) };
  const inv = b.has(ENTRY.toolexec) ? await countInvocations(b.file(ENTRY.toolexec)) : { byTool: {}, probes: 0 };
  const proc = b.has(ENTRY.proc) ? await countProcFrames(b.file(ENTRY.proc)) : null;
  return {
    file: b.path,
    format: m.format,
    toolkit: `${m.toolkit?.name} ${m.toolkit?.version}`,
    complete: m.complete,
    ...(m.incompleteReason ? { incompleteReason: m.incompleteReason } : {}),
    build: {
      argv: m.build.argv,
      exitCode: m.build.exitCode,
      signal: m.build.signal ?? null,
      wallNs: m.build.wallNs,
      goVersion: m.go?.version ?? '',
      cwd: m.build.cwd,
      startNs: m.startNs,
    },
    host: { hostname: m.host?.hostname, cores: m.host?.cores, kernel: m.host?.kernel },
    perf: { event: m.perf?.event ?? null, frequency: m.perf?.frequency ?? null },
    collectors,
    counts: {
      packages: b.has(ENTRY.goList) ? await countListPackages(b.file(ENTRY.goList)) : null,
      invocations: inv.byTool,
      probes: inv.probes,
      procSamples: proc?.stat ?? null,
      procPids: proc?.pids ?? null,
      perfSamples: b.has(ENTRY.perfScript) ? await countPerfSamples(b.file(ENTRY.perfScript)) : null,
    },
    entries: Object.fromEntries(b.entries),
  };
}

/** `go list -json` output: every top-level object has exactly one `\t"ImportPath": ` line. */
export async function countListPackages(file: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.startsWith('\t"ImportPath": ')) n++;
  return n;
}

/** Tool runs per tool name in toolexec/log.jsonl; version probes are counted apart. */
export async function countInvocations(file: string): Promise<{ byTool: Record<string, number>; probes: number }> {
  const byTool: Record<string, number> = {};
  let probes = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let r: { tool?: string; probe?: boolean };
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (r.probe) probes++;
    else byTool[r.tool ?? '?'] = (byTool[r.tool ?? '?'] ?? 0) + 1;
  }
  return { byTool, probes };
}

/** Counts `stat` frames (one per process per tick) and distinct pids, jumping over frame bodies. */
export async function countProcFrames(file: string): Promise<{ stat: number; frames: number; pids: number }> {
  const fh = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(256);
    let pos = 0;
    const readLine = async (): Promise<string | null> => {
      const { bytesRead } = await fh.read(head, 0, head.length, pos);
      if (bytesRead === 0) return null;
      const nl = head.indexOf(10);
      if (nl < 0 || nl >= bytesRead) return null;
      pos += nl + 1;
      return head.toString('latin1', 0, nl);
    };
    const first = await readLine();
    if (!first?.startsWith(PROC_HEADER)) return { stat: 0, frames: 0, pids: 0 };
    let stat = 0;
    let frames = 0;
    const pids = new Set<string>();
    for (;;) {
      const l = await readLine();
      if (l === null) break;
      // "== 1795675967809700396 3797 stat 318"
      const f = l.split(' ');
      if (f[0] !== PROC_FRAME || f.length !== 5) break;
      frames++;
      pids.add(f[2]);
      if (f[3] === 'stat') stat++;
      pos += Number(f[4]) + 1;
    }
    return { stat, frames, pids: pids.size };
  } finally {
    await fh.close();
  }
}

/** Samples in gzip'd `perf script` text: every non-blank line that is not a frame (tab) or a header (#). */
export async function countPerfSamples(file: string): Promise<number> {
  let n = 0;
  const input = createReadStream(file).pipe(createGunzip());
  for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line && line[0] !== '\t' && line[0] !== '#') n++;
  return n;
}
