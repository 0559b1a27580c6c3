// The normalized model of one captured build. Importers fill it through the
// builders in ./builders.ts; analyses and exporters only read it.
//
// Units, everywhere in the model:
//   - times are `number` nanoseconds relative to the build start
//     (manifest.startNs), so they stay exact as JS numbers for ~104 days;
//   - durations and CPU times are nanoseconds;
//   - memory and IO sizes are bytes.
// This file imports nothing of ours.

/** A warning from reading the bundle: what, and where (entry and line). */
export interface Warning {
  /** Bundle entry (or file) the warning is about, e.g. `perf/script.txt.gz`. */
  entry: string;
  /** 1-based line in that entry, when the input is line-based. */
  line?: number;
  message: string;
}

/** Facts about the captured command and the host (from manifest.json). */
export interface BuildMeta {
  argv: string[];
  exitCode: number | null;
  /** Epoch nanoseconds of the capture start, as a decimal string (exact). */
  startNs: string;
  wallNs: number;
  goVersion: string;
  goEnv: Record<string, string>;
  host: { kernel: string; cores: number; memoryBytes: number; clkTck: number; pageSize: number; hostname?: string };
  /** The perf event used (`cycles`, `cpu-clock`, …) or null without perf. */
  perfEvent: string | null;
  /** true when the capture was interrupted or a collector could not finish. */
  incomplete: boolean;
  collectors: Record<string, { status: 'ok' | 'skipped' | 'failed'; reason?: string; entries?: string[] }>;
}

/** One package from `go list -json -deps`. */
export interface PackageNode {
  importPath: string;
  imports: string[];
  deps: string[];
  standard: boolean;
  goFiles: number;
  cgoFiles: number;
  sFiles: number;
  module?: string;
  stale?: boolean;
  staleReason?: string;
  /** true for the packages named on the command line (the roots of the graph). */
  root: boolean;
}

/** One action of `-debug-actiongraph`. */
export interface Action {
  id: number;
  /** `build`, `link`, `go build`, `built-in package`, `vet`, … */
  mode: string;
  package: string;
  deps: number[];
  priority: number;
  needBuild: boolean;
  /** Relative ns; null when the action never ran (cached or built-in). */
  ready: number | null;
  start: number | null;
  done: number | null;
  cmdRealNs: number;
  cmdUserNs: number;
  cmdSysNs: number;
  /** Number of commands the action ran (length of `Cmd`). */
  cmdCount: number;
}

/** One tool run seen by the toolexec shim. */
export interface ToolInvocation {
  seq: number;
  /** Base name of the tool: `compile`, `asm`, `link`, `cgo`, `vet`, `pack`, … */
  tool: string;
  toolPath: string;
  /** TOOLEXEC_IMPORTPATH; '' for version probes and some link runs. */
  importPath: string;
  /** pid of the tool process itself (what perf and /proc see). */
  pid: number;
  start: number;
  end: number | null;
  exitCode: number | null;
  /** CPU of the tool as measured at its exit by the shim, when known. */
  userNs: number | null;
  sysNs: number | null;
  maxRssBytes: number | null;
  /** `compile -V=full` and similar: a version probe, not real work. */
  probe: boolean;
  argv: string[];
  /** ID of the action this run belongs to (joined by package, mode and time); null when none fits. */
  actionId?: number | null;
}

/** One /proc observation of one process. */
export interface ProcPoint {
  t: number;
  /** utime + stime so far, ns. */
  cpuNs: number;
  utimeNs: number;
  stimeNs: number;
  rssBytes: number;
  vszBytes: number;
  /** VmHWM: peak RSS so far. */
  hwmBytes: number | null;
  readBytes: number | null;
  writeBytes: number | null;
  rchar: number | null;
  wchar: number | null;
  syscr: number | null;
  syscw: number | null;
}

/** The /proc time series of one process. */
export interface ProcessSeries {
  pid: number;
  comm: string;
  /** Process start, relative ns (from /proc/PID/stat starttime), when known. */
  start: number | null;
  points: ProcPoint[];
}

/** One compiler phase timing from `-gcflags=all=-bench`. */
export interface PhaseTiming {
  package: string;
  /** Phase as the compiler names it, e.g. `fe:parse`, `be:compilefuncs`, `total`. */
  phase: string;
  ns: number;
  percent: number;
  /** Extra counters on the line, e.g. {lines: 38} or {funcs: 12}. */
  counters: Record<string, number>;
}

/** A resolved stack frame. `addr` is a hex string: kernel addresses exceed 2^53. */
export interface Frame {
  name: string;
  dso: string;
  addr: string;
  file?: string;
  line?: number;
  /** true when `name` is a real symbol rather than `[unknown]` or a hex address. */
  named: boolean;
  /**
   * true when this frame is a call inlined into the next (outer) frame of the
   * stack, at the same address: pprof shows the run as one location with
   * several lines.
   */
  inlined?: boolean;
}

/**
 * What symbolization knew about one binary (DSO path) of a CPU profile, so a
 * pprof mapping can say where it was and which build it was.
 */
export interface BinaryInfo {
  /** GNU build-id (hex) as recorded or read, or null when the binary has none. */
  gnuBuildId: string | null;
  /**
   * [file offset, link-time vaddr, file size] of each PT_LOAD segment, from the
   * sidecar or the verified binary; null when neither was available.
   */
  loads: [offset: number, vaddr: number, filesz: number][] | null;
  /** `go` when names came from a pclntab, `elf` from ELF symbols, null when not symbolized. */
  kind: 'go' | 'elf' | null;
}

/** Frames dropped from the outer end of stacks because perf's unwinder walked past the real end. */
export interface UnwindGarbage {
  /** Samples that lost frames. */
  samples: number;
  /** Frames dropped in all. */
  frames: number;
}

/**
 * CPU samples, aggregated so memory is bounded by distinct stacks, not by
 * sample count. Stacks form a trie: node 0 is the root; every other node has
 * a frame and a parent. A sample points at its leaf node.
 */
export interface CpuProfile {
  event: string;
  frames: Frame[];
  /** Trie: stackFrame[i] is the frame id of node i, stackParent[i] its parent (-1 for the root). */
  stackFrame: number[];
  stackParent: number[];
  /** One row per distinct (leaf node, pid, tid, comm). */
  groups: SampleGroup[];
  /** Samples per time bucket per pid, for charts over time. */
  bucketNs: number;
  timeline: Map<number, Float64Array>;
  totalSamples: number;
  totalPeriod: number;
  /** Per DSO path, what symbolization knew about the binary (absent without symbolization). */
  binaries?: Map<string, BinaryInfo>;
  /** Garbage frames dropped at the outer end of stacks (absent when none were looked for). */
  unwindGarbage?: UnwindGarbage;
}

/** CPU samples that share one stack, process, thread and comm: their count and summed period. */
export interface SampleGroup {
  stack: number;
  pid: number;
  tid: number;
  comm: string;
  count: number;
  /** Sum of periods (ns for cpu-clock; events for hardware counters). */
  period: number;
}

/** One span from `-debug-trace` (Chrome trace-event B/E pairs or X events). */
export interface TraceSpan {
  name: string;
  tid: number;
  start: number;
  end: number;
}

/** The whole build. */
export interface BuildModel {
  meta: BuildMeta;
  packages: Map<string, PackageNode>;
  actions: Action[];
  invocations: ToolInvocation[];
  processes: Map<number, ProcessSeries>;
  phases: PhaseTiming[];
  cpu: CpuProfile | null;
  trace: TraceSpan[];
  /** Build stdout/stderr as captured (possibly truncated by the reader's caps). */
  output: { stdout: string; stderr: string };
  warnings: Warning[];
}
