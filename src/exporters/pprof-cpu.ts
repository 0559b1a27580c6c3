// cpu.pb.gz: the perf samples of a build as a pprof CPU profile.
// Sample types `samples/count` and `cpu/nanoseconds` (the default); labels
// pid, tid, comm, and tool + package for samples of a tool run seen by the
// toolexec shim (joined by pid), so `go tool pprof -tagfocus=package=net/http`
// shows one package's compiler time.
//
// Every mapping sets has_functions: each location carries perf's name (or
// `[unknown]`, or what the symbolization hook found). perf prints user
// addresses DSO-relative, so letting pprof re-symbolize them from local
// binaries would be slow and could pick wrong names.
import type { CpuProfile, ToolInvocation } from '../model/types.ts';
import { PprofBuilder, type PprofValueType } from './pprof-builder.ts';

/** Profile-level fields of cpu.pb.gz: start time (epoch ns string), duration (ns), comments. */
export interface CpuPprofOptions {
  /** Epoch ns of build start (decimal string), for the profile's time_nanos. */
  timeNanos?: string;
  durationNanos?: number;
  comments?: string[];
}

/** The pprof value type of a perf event's period: time events count ns, the rest count events. */
export function periodValueType(event: string): PprofValueType {
  const base = event.split(':')[0];
  return base === 'cpu-clock' || base === 'task-clock' ? ['cpu', 'nanoseconds'] : [base || 'events', 'count'];
}

/** Tool runs by pid; a real run wins over a version probe that reused the pid. */
export function invocationsByPid(invocations: readonly ToolInvocation[]): Map<number, ToolInvocation> {
  const byPid = new Map<number, ToolInvocation>();
  for (const inv of invocations) {
    const prev = byPid.get(inv.pid);
    if (!prev || prev.probe || !inv.probe) byPid.set(inv.pid, inv);
  }
  return byPid;
}

/** Builds the CPU profile (one pprof sample per model sample group). */
export function buildCpuPprof(cpu: CpuProfile, invocations: readonly ToolInvocation[] = [], opts: CpuPprofOptions = {}): PprofBuilder {
  const valueType = periodValueType(cpu.event);
  const b = new PprofBuilder({
    sampleTypes: [['samples', 'count'], valueType],
    defaultSampleType: valueType[0],
    periodType: valueType,
    period: cpu.totalSamples > 0 ? Math.round(cpu.totalPeriod / cpu.totalSamples) : 0,
    timeNanos: opts.timeNanos,
    durationNanos: opts.durationNanos,
    comments: [`perf event: ${cpu.event}`, ...(opts.comments ?? [])],
  });
  const byPid = invocationsByPid(invocations);
  // pprof shows the first mapping as the profile's main binary: put the
  // user-space DSO with the most leaf samples first, not whatever came first.
  const leafPeriod = new Map<string, number>();
  for (const g of cpu.groups) {
    const dso = g.stack > 0 ? cpu.frames[cpu.stackFrame[g.stack]].dso : '';
    if (dso && !dso.startsWith('[')) leafPeriod.set(dso, (leafPeriod.get(dso) ?? 0) + g.period);
  }
  const mainDso = [...leafPeriod].sort((a, b) => b[1] - a[1])[0]?.[0];
  const locOfFrame = new Int32Array(cpu.frames.length); // 0 = not yet made
  const mappingOfDso = new Map<string, number>();
  if (mainDso !== undefined) mappingOfDso.set(mainDso, b.mapping({ file: mainDso, hasFunctions: true }));
  const location = (frameId: number): number => {
    let loc = locOfFrame[frameId];
    if (loc === 0) {
      const f = cpu.frames[frameId];
      let m = mappingOfDso.get(f.dso);
      if (m === undefined) {
        m = b.mapping({ file: f.dso || '[unknown]', hasFunctions: true, hasFilenames: !!f.file, hasLineNumbers: !!f.line });
        mappingOfDso.set(f.dso, m);
      }
      loc = b.location({ mapping: m, address: f.addr, lines: [{ name: f.name, file: f.file, line: f.line }] }, String(frameId));
      locOfFrame[frameId] = loc;
    }
    return loc;
  };
  // Location lists per trie node, leaf first, shared between groups with one leaf.
  const stacks = new Map<number, number[]>();
  const stackOf = (leaf: number): number[] => {
    let s = stacks.get(leaf);
    if (!s) {
      s = [];
      for (let n = leaf; n > 0; n = cpu.stackParent[n]) s.push(location(cpu.stackFrame[n]));
      stacks.set(leaf, s);
    }
    return s;
  };
  for (const g of cpu.groups) {
    const inv = byPid.get(g.pid);
    b.sample(stackOf(g.stack), [g.count, g.period], {
      pid: g.pid,
      tid: g.tid,
      comm: g.comm,
      tool: inv?.tool,
      package: inv?.importPath,
    });
  }
  return b;
}

/** cpu.pb.gz bytes. */
export async function encodeCpuPprof(cpu: CpuProfile, invocations: readonly ToolInvocation[] = [], opts: CpuPprofOptions = {}): Promise<Buffer> {
  return buildCpuPprof(cpu, invocations, opts).encodeGzip();
}
