// Bundle format v1: the names of the entries in a `*.gbp.tgz` and the shape of
// its manifest. The README's "Bundle format" section documents the same.

/** `manifest.format.name` of every bundle. */
export const FORMAT_NAME = 'go-build-profiler-bundle';
/** The bundle format version this toolkit writes and reads. */
export const FORMAT_VERSION = 1;

/** Entry names inside the tarball. Everything but the manifest is optional. */
export const ENTRY = {
  manifest: 'manifest.json',
  goList: 'go/list.json', // `go list -json -deps` stream of concatenated objects
  actionGraph: 'go/actiongraph.json', // `-debug-actiongraph`
  trace: 'go/trace.json', // `-debug-trace` (Chrome trace events)
  compileBench: 'go/compile-bench.txt', // compile's `-bench=FILE` (added per compile by the shim)
  toolexec: 'toolexec/log.jsonl', // one ToolexecRecord per line
  proc: 'proc/snapshots.txt', // framed raw /proc reads, see PROC_* below
  perfData: 'perf/perf.data', // raw `perf record -g`
  perfScript: 'perf/script.txt.gz', // `perf script -F comm,pid,tid,time,period,event,ip,sym,symoff,dso` text, gzip'd (pid joins threads to tool runs)
  perfBuildIds: 'perf/buildids.txt', // `perf buildid-list`
  // symbols/<key>.json.gz: one symbol sidecar per sampled binary (src/symbols/sidecar.ts,
  // format 'gbp-symbols' v1): gzip'd JSON with the binary's identity (path, size, build-id),
  // PT_LOAD segments, its whole function table, and full frames (file, line, inlined calls)
  // for the addresses perf sampled. <key> is the GNU build-id hex, else `go-<Go build ID>`
  // with '/' turned into '.', else `sha1-<hex of the file>`.
  // Written by src/capture/symbols.ts; manifest.collectors.perf.binaries (SampledBinary[])
  // lists every sampled DSO with its path, size, ids and sidecar entry (or why none).
  symbolsDir: 'symbols/',
  stdout: 'build/stdout.txt',
  stderr: 'build/stderr.txt',
} as const;

/** Whether a collector ran (`ok`), was not asked to or could not start (`skipped`), or broke (`failed`). */
export type CollectorStatus = 'ok' | 'skipped' | 'failed';

/** One collector's outcome in the manifest. */
export interface CollectorInfo {
  status: CollectorStatus;
  reason?: string;
  /** Entries this collector wrote. */
  entries?: string[];
  [extra: string]: unknown;
}

/** manifest.json. Times are epoch nanoseconds as decimal strings (exact). */
export interface Manifest {
  format: { name: typeof FORMAT_NAME; version: number };
  toolkit: { name: 'go-build-profiler'; version: string };
  startNs: string;
  endNs: string;
  /** false when the capture was interrupted or could not be finalized cleanly. */
  complete: boolean;
  incompleteReason?: string;
  host: {
    hostname: string;
    kernel: string;
    arch: string;
    cores: number;
    memoryBytes: number;
    clkTck: number;
    pageSize: number;
    /** Epoch ns of boot (from /proc/stat btime), for /proc starttime. */
    bootNs: string;
    /** perf's clock: `perf script` times are these seconds; epochNs = monoNs + monoToEpochNs. */
    monoToEpochNs: string;
  };
  go: { version: string; env: Record<string, string> };
  build: {
    argv: string[];
    /** The argv actually run, with our flags added. */
    effectiveArgv: string[];
    cwd: string;
    exitCode: number | null;
    signal?: string | null;
    wallNs: number;
    /** Environment variables that shape a Go build (GO*, CGO_*, CC, …). */
    env: Record<string, string>;
  };
  /**
   * perf settings. `clock` is the clock perf stamped samples with (`-k`):
   * `CLOCK_MONOTONIC`, so a `perf script` time of S seconds is epoch ns
   * S*1e9 + host.monoToEpochNs (the same clock as every other time here).
   */
  perf: { event: string | null; frequency: number | null; clock?: string | null };
  collectors: Record<string, CollectorInfo>;
  /**
   * The collector's own CPU while it ran (gbp itself and its C /proc sampler;
   * not the shim, whose cost sits inside the go command's children), so a
   * reader can judge what capturing cost the build.
   */
  overhead?: { gbpUserNs: number; gbpSysNs: number; samplerUserNs: number | null; samplerSysNs: number | null };
}

/**
 * One line of toolexec/log.jsonl: one tool run seen by the shim.
 * Times are epoch ns as decimal strings.
 */
export interface ToolexecRecord {
  seq: number;
  tool: string;
  toolPath: string;
  importPath: string;
  pid: number;
  shimPid: number;
  startNs: string;
  endNs: string | null;
  exitCode: number | null;
  /** The tool's user/sys CPU at exit: exact (wait4) with the C shim, 1 ms steps with the bash shim. */
  userNs: number | null;
  sysNs: number | null;
  /** Peak RSS from wait4 (C shim); null with the bash shim. */
  maxRssKb: number | null;
  /** A `-V=full` version probe, not real work. */
  probe: boolean;
  /** Tool path, then its arguments (without the user's own toolexec words). */
  argv: string[];
}

/**
 * proc/snapshots.txt: a header line, then frames of raw /proc file contents:
 *   gbp-proc-snapshots 1 clk_tck=100 page_size=4096
 *   == <epoch_ns> <pid> <stat|status|io> <byte_length>
 *   <exactly byte_length bytes, as read>
 * Each frame is followed by one '\n'. Files that vanished are not written.
 */
export const PROC_HEADER = 'gbp-proc-snapshots 1';
/** Marker that starts each frame line of proc/snapshots.txt. */
export const PROC_FRAME = '==';
