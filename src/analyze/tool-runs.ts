// The build as a list of tool runs laid out on worker lanes: what the
// timeline chart, the Chrome trace and the memory/IO charts all start from.
import type { BuildModel, ProcessSeries } from '../model/types.ts';

/** One real tool run (version probes left out). Times are build-relative ns. */
export interface ToolRun {
  seq: number;
  tool: string;
  /** Import path, or '' when the run had none (some link runs). */
  package: string;
  pid: number | null;
  start: number;
  end: number;
  /** 0-based worker lane: the lowest lane free when the run started. */
  lane: number;
  /** user + sys CPU ns, when known. */
  cpuNs: number | null;
  maxRssBytes: number | null;
  /** Where the run came from: the toolexec shim, or the action graph when no shim log exists. */
  source: 'toolexec' | 'actiongraph';
}

/** Tool runs of the build, sorted by start, each on a worker lane. */
export function toolRuns(model: BuildModel): ToolRun[] {
  const runs: Omit<ToolRun, 'lane'>[] = [];
  for (const inv of model.invocations) {
    if (inv.probe || inv.end == null) continue;
    const proc = model.processes.get(inv.pid);
    const cpu = inv.userNs != null && inv.sysNs != null ? inv.userNs + inv.sysNs : lastCpu(proc);
    runs.push({
      seq: inv.seq,
      tool: inv.tool,
      package: inv.importPath,
      pid: inv.pid,
      start: inv.start,
      end: inv.end,
      cpuNs: cpu,
      maxRssBytes: inv.maxRssBytes ?? peakRss(proc),
      source: 'toolexec',
    });
  }
  if (runs.length === 0) {
    // No shim log: the action graph still says when each package was built.
    for (const a of model.actions) {
      if (a.start == null || a.done == null || a.cmdCount === 0) continue;
      if (a.mode !== 'build' && a.mode !== 'link') continue;
      runs.push({
        seq: a.id,
        tool: a.mode === 'build' ? 'compile' : 'link',
        package: a.package,
        pid: null,
        start: a.start,
        end: a.done,
        cpuNs: a.cmdUserNs + a.cmdSysNs,
        maxRssBytes: null,
        source: 'actiongraph',
      });
    }
  }
  runs.sort((a, b) => a.start - b.start || a.seq - b.seq);
  return assignLanes(runs);
}

/** Greedy interval packing: the lane count equals the peak number of runs at once. */
export function assignLanes<T extends { start: number; end: number }>(spans: T[]): (T & { lane: number })[] {
  const laneEnd: number[] = [];
  return spans.map((s) => {
    let lane = laneEnd.findIndex((e) => e <= s.start);
    if (lane < 0) lane = laneEnd.push(0) - 1;
    laneEnd[lane] = s.end;
    return { ...s, lane };
  });
}

/** Number of runs in progress as a step function: [t, count] from each change on. */
export function concurrency(runs: { start: number; end: number }[]): { t: number; n: number }[] {
  const ev: [number, number][] = [];
  for (const r of runs) ev.push([r.start, 1], [r.end, -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: { t: number; n: number }[] = [];
  let n = 0;
  for (let i = 0; i < ev.length; i++) {
    n += ev[i][1];
    if (i + 1 < ev.length && ev[i + 1][0] === ev[i][0]) continue;
    out.push({ t: ev[i][0], n });
  }
  return out;
}

function lastCpu(p: ProcessSeries | undefined): number | null {
  return p && p.points.length ? p.points[p.points.length - 1].cpuNs : null;
}

function peakRss(p: ProcessSeries | undefined): number | null {
  if (!p || !p.points.length) return null;
  let m = 0;
  for (const pt of p.points) m = Math.max(m, pt.hwmBytes ?? 0, pt.rssBytes);
  return m;
}
