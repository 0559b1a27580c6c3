// cpu.pb.gz: the perf samples of a build as a pprof CPU profile.
// Sample types `samples/count` and `cpu/nanoseconds` (the default); labels
// pid, tid, comm, and tool + package for samples of a tool run seen by the
// toolexec shim (joined by pid), so `go tool pprof -tagfocus=package=net/http`
// shows one package's compiler time.
//
// Mappings and locations are real, so pprof's own views (-lines, -list,
// -disasm) work where the binaries exist:
//  - one mapping per binary: its path, GNU build-id, and start/limit/offset.
//    perf prints user addresses as file offsets; when symbolization knew the
//    binary's PT_LOAD segments, locations carry the link-time vaddr and the
//    mapping is the executable segment as if loaded at its link address (true
//    for non-PIE Go tools; a PIE's real load base is not in perf's text).
//    Both `go tool pprof` (start - the exec segment's vaddr) and upstream
//    pprof (elfexec.GetBase) then map addresses back to exactly those vaddrs.
//  - one location per address: an inlined call and its callers at one address
//    are one location with several lines, innermost first.
//  - has_functions is set as pprof itself sets it after symbolizing: when
//    some location of the mapping has a name. A binary of which nothing was
//    named keeps its raw addresses and is left to pprof to try.
// pprof's -disasm reads the binary's .symtab (stripped binaries have none);
// -list reads sources by the pclntab's paths, relative to GOROOT/src for a
// toolchain built with -trimpath (`-source_path "$(go env GOROOT)/src"`).
import type { BinaryInfo, CpuProfile, Frame, ToolInvocation } from '../model/types.ts';
import { PprofBuilder, toAddr, type PprofLabelSet, type PprofValueType } from './pprof-builder.ts';

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

/**
 * Where an unknown binary's addresses (perf's file offsets) are placed: any
 * non-zero start works for both pprofs (`go tool pprof` ignores a start of 0),
 * and this one makes a non-PIE Go binary's addresses equal its link-time vaddrs.
 */
const UNKNOWN_LAYOUT_START = 0x400000;

/** Geometry of one DSO's pprof mapping and how its frames' perf addresses become location addresses. */
interface DsoLayout {
  start: number;
  limit: number;
  offset: number;
  /** Location address of a frame's perf-printed address (hex string); null to keep it as printed. */
  address: (perfAddr: string) => number | null;
}

/** The mapping geometry of `dso`: its sampled executable segment when the load segments are known. */
function layoutOf(dso: string, info: BinaryInfo | undefined, offsets: number[]): DsoLayout | null {
  if (!dso.startsWith('/')) return null; // [kernel.kallsyms], [vdso], [unknown]: addresses as printed
  const loads = info?.loads;
  if (loads?.length) {
    // The segment holding most sampled offsets is the executable one (PT_LOAD flags are not kept).
    const hits = loads.map(([off, , size]) => offsets.filter((o) => o >= off && o < off + size).length);
    let best = 0;
    for (let i = 1; i < hits.length; i++) if (hits[i] > hits[best]) best = i;
    const [off, vaddr, size] = loads[best];
    return {
      start: vaddr,
      limit: vaddr + size,
      offset: off,
      address: (a) => {
        const o = parseInt(a, 16);
        for (let i = 0; i < loads.length; i++) {
          const s = loads[i];
          if (o >= s[0] && o < s[0] + s[2]) return s[1] + (o - s[0]);
        }
        return null;
      },
    };
  }
  let max = 0; // a loop: a big profile has more offsets than Math.max(...) takes arguments
  for (let i = 0; i < offsets.length; i++) if (offsets[i] > max) max = offsets[i];
  return { start: UNKNOWN_LAYOUT_START, limit: UNKNOWN_LAYOUT_START + Math.ceil((max + 1) / 4096) * 4096, offset: 0, address: (a) => UNKNOWN_LAYOUT_START + parseInt(a, 16) };
}

/** Comment lines about symbolization and dropped unwind garbage, for `go tool pprof -comments`. */
export function cpuProfileNotes(cpu: Pick<CpuProfile, 'unwindGarbage' | 'binaries'>): string[] {
  const out: string[] = [];
  const g = cpu.unwindGarbage;
  if (g?.frames) out.push(`unwind garbage: ${g.frames} frames dropped at the outer end of ${g.samples} samples (addresses in no mapping, or stale words beyond a Go stack's entry frame)`);
  if (cpu.binaries) {
    const named = [...cpu.binaries].filter(([, b]) => b.kind).map(([d, b]) => `${d} (${b.kind === 'go' ? 'pclntab' : 'ELF symbols'})`);
    if (named.length) out.push(`symbolized by gbp: ${named.join(', ')}`);
  }
  return out;
}

/**
 * What both sources of cpu.pb.gz (the model's trie, or perf's raw stacks)
 * share: the builder, one mapping per DSO (flags and geometry from all the
 * frames), locations from runs of frames, and label sets per thread.
 */
export class CpuPprofParts {
  readonly b: PprofBuilder;
  private readonly dsos = new Map<string, { named: boolean; files: boolean; lines: boolean; inlined: boolean; offsets: Set<number> }>();
  private readonly layouts = new Map<string, DsoLayout | null>();
  private readonly mappingOfDso = new Map<string, number>();
  private readonly byPid: Map<number, ToolInvocation>;
  private readonly labelSets = new Map<number, Map<number, Map<string, PprofLabelSet>>>();

  constructor(
    event: string,
    totals: { totalSamples: number; totalPeriod: number },
    frames: readonly Frame[],
    private readonly binaries: Map<string, BinaryInfo> | undefined,
    invocations: readonly ToolInvocation[],
    opts: CpuPprofOptions,
    notes: string[],
  ) {
    const valueType = periodValueType(event);
    this.b = new PprofBuilder({
      sampleTypes: [['samples', 'count'], valueType],
      defaultSampleType: valueType[0],
      periodType: valueType,
      period: totals.totalSamples > 0 ? Math.round(totals.totalPeriod / totals.totalSamples) : 0,
      timeNanos: opts.timeNanos,
      durationNanos: opts.durationNanos,
      comments: [`perf event: ${event}`, ...notes, ...(opts.comments ?? [])],
    });
    this.byPid = invocationsByPid(invocations);
    // Per DSO: what its frames hold (for the mapping's has_* flags) and its sampled offsets (for the geometry).
    // Frames come in runs of one DSO (and of one address, when inlined): the last ones are kept at hand.
    let d: { named: boolean; files: boolean; lines: boolean; inlined: boolean; offsets: Set<number> } | undefined;
    let dso: string | null = null;
    let path = false;
    let addr = '';
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (f.dso !== dso) {
        dso = f.dso;
        path = dso.startsWith('/');
        addr = '';
        d = this.dsos.get(dso);
        if (!d) this.dsos.set(dso, (d = { named: false, files: false, lines: false, inlined: false, offsets: new Set() }));
      }
      d!.named ||= f.named;
      d!.files ||= !!f.file;
      d!.lines ||= !!f.line;
      d!.inlined ||= !!f.inlined;
      if (path && f.addr !== addr && /^[0-9a-f]{1,13}$/i.test(f.addr)) d!.offsets.add(parseInt(f.addr, 16));
      addr = f.addr;
    }
    for (const [dso, d] of this.dsos) this.layouts.set(dso, layoutOf(dso, binaries?.get(dso), [...d.offsets]));
  }

  /**
   * pprof shows the first mapping as the profile's main binary: makes the
   * user-space DSO with the most leaf samples (period by leaf DSO) the first one.
   */
  mapMainDso(leafPeriod: Map<string, number>): void {
    let main: string | undefined;
    let most = -Infinity;
    for (const [dso, p] of leafPeriod) {
      if (dso && !dso.startsWith('[') && p > most) {
        main = dso;
        most = p;
      }
    }
    if (main !== undefined) this.mapping(main);
  }

  mapping(dso: string): number {
    let m = this.mappingOfDso.get(dso);
    if (m === undefined) {
      const d = this.dsos.get(dso)!;
      const l = this.layouts.get(dso);
      const id = this.binaries?.get(dso)?.gnuBuildId;
      m = this.b.mapping({
        file: dso || '[unknown]',
        ...(id ? { buildId: id } : {}),
        ...(l ? { start: l.start, limit: l.limit, offset: l.offset } : {}),
        hasFunctions: d.named,
        hasFilenames: d.files,
        hasLineNumbers: d.lines,
        hasInlineFrames: d.inlined,
      });
      this.mappingOfDso.set(dso, m);
    }
    return m;
  }

  /**
   * A new location for the run frames[from, to) (innermost first: inlined
   * calls, then the frame they sit in, whose address it takes); callers keep their own index.
   */
  location(frames: readonly Frame[], from = 0, to = frames.length): number {
    const outer = frames[to - 1];
    const addr = this.layouts.get(outer.dso)?.address(outer.addr) ?? toAddr(outer.addr);
    const mapping = this.mapping(outer.dso);
    // An unnamed frame gets no line: pprof shows its address, and may symbolize it itself.
    for (let i = from; i < to; i++) if (frames[i].named) this.b.addLine(frames[i].name, frames[i].file, frames[i].line);
    return this.b.endLocation(mapping, addr);
  }

  /** One label set per (pid, tid, comm), with the tool run's tool and package when the pid is one. */
  labels(pid: number, tid: number, comm: string): PprofLabelSet {
    let byTid = this.labelSets.get(pid);
    if (!byTid) this.labelSets.set(pid, (byTid = new Map()));
    let byComm = byTid.get(tid);
    if (!byComm) byTid.set(tid, (byComm = new Map()));
    let set = byComm.get(comm);
    if (!set) {
      const inv = this.byPid.get(pid);
      set = this.b.labelSet({ pid, tid, comm, tool: inv?.tool, package: inv?.importPath });
      byComm.set(comm, set);
    }
    return set;
  }
}

/** Builds the CPU profile (one pprof sample per model sample group). */
export function buildCpuPprof(cpu: CpuProfile, invocations: readonly ToolInvocation[] = [], opts: CpuPprofOptions = {}): PprofBuilder {
  const frames = cpu.frames;
  const parts = new CpuPprofParts(cpu.event, cpu, frames, cpu.binaries, invocations, opts, cpuProfileNotes(cpu));
  const leafPeriod = new Map<string, number>();
  for (const g of cpu.groups) {
    const dso = g.stack > 0 ? frames[cpu.stackFrame[g.stack]].dso : '';
    leafPeriod.set(dso, (leafPeriod.get(dso) ?? 0) + g.period);
  }
  parts.mapMainDso(leafPeriod);

  // A location is a run of trie nodes: inlined frames and the frame they sit
  // in, innermost first. Its first frame decides a whole run (one raw perf
  // frame always expands to the same frames), so those are cached by it. A
  // run cut short by unwind-garbage trimming (it ends on an inlined frame at
  // the root) is its own location.
  const locOfFrame = new Int32Array(frames.length); // 0 = not yet made
  const cutRuns = new Map<string, number>();
  const location = (first: number, last: number): number => {
    const fid = cpu.stackFrame[first];
    const whole = !frames[cpu.stackFrame[last]].inlined;
    let loc = whole ? locOfFrame[fid] : 0;
    if (loc === 0) {
      const run: Frame[] = [];
      for (let n = first; ; n = cpu.stackParent[n]) {
        run.push(frames[cpu.stackFrame[n]]);
        if (n === last) break;
      }
      if (whole) locOfFrame[fid] = loc = parts.location(run);
      else {
        const key = `${fid}/${run.length}`;
        loc = cutRuns.get(key) ?? parts.location(run);
        cutRuns.set(key, loc);
      }
    }
    return loc;
  };
  // A group's location ids, leaf first, written into one reused array (the
  // builder copies them). Per trie node, once: its location and the node the
  // next location starts at (past the inlined run), since groups share nodes.
  let scratch = new Int32Array(256);
  const inlinedFrame = Uint8Array.from(frames, (f) => (f.inlined ? 1 : 0));
  const locOfNode = new Int32Array(cpu.stackParent.length); // 0 = not yet known
  const nextOfNode = new Int32Array(cpu.stackParent.length);
  const stackOf = (leaf: number): Int32Array => {
    let k = 0;
    for (let n = leaf; n > 0; n = nextOfNode[n]) {
      if (k === scratch.length) scratch = grown(scratch, k + 1);
      if (locOfNode[n] === 0) {
        let last = n;
        while (inlinedFrame[cpu.stackFrame[last]] && cpu.stackParent[last] > 0) last = cpu.stackParent[last];
        locOfNode[n] = location(n, last);
        nextOfNode[n] = cpu.stackParent[last];
      }
      scratch[k++] = locOfNode[n];
    }
    return scratch.subarray(0, k);
  };
  const values = [0, 0];
  for (const g of cpu.groups) {
    values[0] = g.count;
    values[1] = g.period;
    parts.b.sample(stackOf(g.stack), values, parts.labels(g.pid, g.tid, g.comm));
  }
  return parts.b;
}

/** A copy of `a` with room for at least `atLeast` ints (twice its length, or more). */
export function grown(a: Int32Array, atLeast: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(atLeast, a.length * 2));
  b.set(a);
  return b;
}

/** cpu.pb.gz bytes. */
export async function encodeCpuPprof(cpu: CpuProfile, invocations: readonly ToolInvocation[] = [], opts: CpuPprofOptions = {}): Promise<Buffer> {
  return buildCpuPprof(cpu, invocations, opts).encodeGzip();
}
