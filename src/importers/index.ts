// Detection in one place, and `loadBuild`: every raw entry of a bundle
// through its importer into one BuildModel, with times relative to the
// build start and the collectors' views of each tool run joined.
import type { BuildMeta, BuildModel, Warning } from '../model/types.ts';
import { ENTRY, type Manifest } from '../bundle/format.ts';
import { openBundle, type Bundle, type ReadOptions } from '../bundle/reader.ts';
import { GbpError, isGbpError } from '../errors.ts';
import { DEFAULT_CHUNK_SIZE, fileInput } from './input.ts';
import { detectGoList, parseGoList } from './go-list.ts';
import { detectActionGraph, parseActionGraph } from './actiongraph.ts';
import { detectToolexecLog, parseToolexecLog } from './toolexec-log.ts';
import { detectProcSnapshots, parseProcSnapshots } from './proc-snapshots.ts';
import { detectCompileBench, parseCompileBench } from './compile-bench.ts';
import { detectGoTrace, parseGoTrace } from './go-trace.ts';
import { parsePerfScript } from './perf-script.ts';
import { binariesOf, frameResolver } from './symbolize.ts';
import { resolverForBundle, type ResolverOptions, type SymbolResolver } from '../symbols/resolver.ts';
import { joinInvocationsToActions, resolveMainPackage } from './join.ts';
import { epochNs } from './time.ts';

/** The raw formats gbp imports, named after their importer file. */
export type RawFormat = 'go-list' | 'actiongraph' | 'go-trace' | 'compile-bench' | 'toolexec-log' | 'proc-snapshots';

// Cheapest signal first: the bundle's entry name; then content sniffing, most
// specific first (a trace and an action graph are both JSON arrays).
const BY_ENTRY: Record<string, RawFormat> = {
  [ENTRY.goList]: 'go-list',
  [ENTRY.actionGraph]: 'actiongraph',
  [ENTRY.trace]: 'go-trace',
  [ENTRY.compileBench]: 'compile-bench',
  [ENTRY.toolexec]: 'toolexec-log',
  [ENTRY.proc]: 'proc-snapshots',
};
const BY_CONTENT: [RawFormat, (head: string) => boolean][] = [
  ['proc-snapshots', detectProcSnapshots],
  ['compile-bench', detectCompileBench],
  ['toolexec-log', detectToolexecLog],
  ['go-trace', detectGoTrace],
  ['actiongraph', detectActionGraph],
  ['go-list', detectGoList],
];

/** Which raw format a file holds, from its bundle entry name or its first bytes; null when unknown. */
export function detectRawFormat(head: string, entryName?: string): RawFormat | null {
  if (entryName && BY_ENTRY[entryName]) return BY_ENTRY[entryName];
  for (const [fmt, detect] of BY_CONTENT) if (detect(head)) return fmt;
  return null;
}

/** Options of loadBuild; defaults in DEFAULT_LOAD_OPTIONS. */
export interface LoadOptions {
  /** Throw on an entry that cannot be read at all, instead of recording a warning and going on. */
  strict: boolean;
  /** Read size for entries; tests make it tiny to exercise chunk boundaries. */
  chunkSize: number;
  /** Bundle reader limits, when `loadBuild` opens the bundle itself. */
  read: Partial<ReadOptions>;
  /**
   * Name the perf frames perf itself left `[unknown]` (stripped Go binaries keep
   * `.gopclntab`): from the bundle's symbol sidecars, then the binary at its
   * recorded path when its build-id matches, then `binariesDir`/`goroot`.
   * null turns symbolization off.
   */
  symbols: Partial<ResolverOptions> | null;
  /**
   * Drop the frames perf's frame-pointer unwinder read past a stack's real end
   * (see importers/unwind-garbage.ts); the count lands in `cpu.unwindGarbage`.
   */
  dropUnwindGarbage: boolean;
}

/** Lenient (damaged entries become warnings), 1 MiB reads, the reader's default caps, symbols on, unwind garbage dropped. */
export const DEFAULT_LOAD_OPTIONS: LoadOptions = { strict: false, chunkSize: DEFAULT_CHUNK_SIZE, read: {}, symbols: {}, dropUnwindGarbage: true };

/** Reads a bundle (path or opened Bundle) into the model; whatever entries exist are used. */
export async function loadBuild(bundle: Bundle | string, opts: Partial<LoadOptions> = {}): Promise<BuildModel> {
  if (typeof bundle === 'string') {
    const b = await openBundle(bundle, opts.read);
    try {
      return await loadBuild(b, opts);
    } finally {
      await b.close();
    }
  }
  const o = { ...DEFAULT_LOAD_OPTIONS, ...opts };
  const warnings: Warning[] = [];
  const warn = (w: Warning) => warnings.push(w);
  const m = bundle.manifest;
  const model: BuildModel = {
    meta: metaOf(m, bundle, warn),
    packages: new Map(),
    actions: [],
    invocations: [],
    processes: new Map(),
    phases: [],
    cpu: null,
    trace: [],
    output: { stdout: '', stderr: '' },
    warnings,
  };
  if (bundle.damage) warn({ entry: bundle.path, message: `damaged bundle, read partially: ${bundle.damage}` });
  const origin = epochNs(m.startNs) ?? null;
  const input = (entry: string) => fileInput(bundle.file(entry), o.chunkSize);

  // One entry's failure (GbpError) costs that entry only, unless strict.
  const step = async <T extends { warnings: Warning[] }>(entry: string, run: (i: ReturnType<typeof input>) => Promise<T>): Promise<T | null> => {
    if (!bundle.has(entry)) return null;
    try {
      const r = await run(input(entry));
      warnings.push(...r.warnings);
      return r;
    } catch (e) {
      if (o.strict || !isGbpError(e)) throw e;
      warn({ entry, line: e.line, message: `entry skipped: ${e.message}` });
      return null;
    }
  };
  const bootNs = epochNs(m.host?.monoToEpochNs) ?? epochNs(m.host?.bootNs) ?? null;
  const clk = { clkTck: m.host?.clkTck || 100, pageSize: m.host?.pageSize || 4096 };

  model.packages = (await step(ENTRY.goList, (i) => parseGoList(i)))?.packages ?? model.packages;
  model.actions = (await step(ENTRY.actionGraph, (i) => parseActionGraph(i, { originNs: origin })))?.actions ?? [];
  model.invocations = (await step(ENTRY.toolexec, (i) => parseToolexecLog(i, { originNs: origin })))?.invocations ?? [];
  model.processes = (await step(ENTRY.proc, (i) => parseProcSnapshots(i, { originNs: origin, bootNs, ...clk })))?.processes ?? model.processes;
  model.phases = (await step(ENTRY.compileBench, (i) => parseCompileBench(i)))?.phases ?? [];
  model.trace = (await step(ENTRY.trace, (i) => parseGoTrace(i, { originNs: origin })))?.spans ?? [];
  // perf times are CLOCK_MONOTONIC seconds: the build starts at startNs - monoToEpochNs on that clock.
  const monoToEpoch = epochNs(m.host?.monoToEpochNs);
  const perfStart = origin !== null && monoToEpoch !== undefined ? origin - monoToEpoch : null;
  const resolver = o.symbols && bundle.has(ENTRY.perfScript) ? await openResolver(bundle, o.symbols, o.strict, warn) : null;
  const resolve = resolver ? frameResolver(resolver) : undefined;
  const perfOpts = { entry: ENTRY.perfScript, clockStartNs: perfStart, defaultEvent: m.perf?.event ?? 'unknown', chunkSize: o.chunkSize, resolve, dropUnwindGarbage: o.dropUnwindGarbage };
  try {
    model.cpu = (await step(ENTRY.perfScript, (i) => parsePerfScript(i, perfOpts)))?.profile ?? null;
    if (model.cpu && resolver) model.cpu.binaries = binariesOf(model.cpu.frames, resolver);
  } finally {
    if (resolver) {
      warnings.push(...resolver.warnings.map((w) => ({ ...w, entry: ENTRY.perfScript, message: `symbols of ${w.entry}: ${w.message}` })));
      resolver.close();
    }
  }
  if (bundle.has(ENTRY.stdout)) model.output.stdout = await bundle.text(ENTRY.stdout);
  if (bundle.has(ENTRY.stderr)) model.output.stderr = await bundle.text(ENTRY.stderr);

  joinInvocationsToActions(model.invocations, model.actions);
  resolveMainPackage(model.phases, model.invocations, warn, ENTRY.compileBench);
  return model;
}

function metaOf(m: Manifest, bundle: Bundle, warn: (w: Warning) => void): BuildMeta {
  const start = epochNs(m.startNs);
  if (start === undefined) {
    // Without it, each importer counts from its own first time, so they do not line up.
    warn({ entry: ENTRY.manifest, message: `startNs is missing or not a decimal epoch-ns string (${JSON.stringify(m.startNs)}); times of different entries may not line up` });
  }
  const h: Partial<Manifest['host']> = m.host ?? {};
  const collectors: BuildMeta['collectors'] = {};
  for (const [name, c] of Object.entries(m.collectors ?? {})) {
    collectors[name] = { status: c?.status ?? 'failed', ...(c?.reason ? { reason: c.reason } : {}), ...(c?.entries ? { entries: c.entries } : {}) };
  }
  return {
    argv: m.build?.argv ?? [],
    exitCode: m.build?.exitCode ?? null,
    startNs: start === undefined ? '0' : start.toString(),
    wallNs: m.build?.wallNs ?? 0,
    goVersion: m.go?.version ?? '',
    goEnv: m.go?.env ?? {},
    host: { kernel: h.kernel ?? '', cores: h.cores ?? 0, memoryBytes: h.memoryBytes ?? 0, clkTck: h.clkTck ?? 100, pageSize: h.pageSize ?? 4096, ...(h.hostname ? { hostname: h.hostname } : {}) },
    perfEvent: m.perf?.event ?? null,
    incomplete: m.complete === false || bundle.damage !== null,
    collectors,
  };
}



/** The bundle's symbol resolver; a damaged sidecar costs symbolization only (a warning), unless strict. */
async function openResolver(bundle: Bundle, opts: Partial<ResolverOptions>, strict: boolean, warn: (w: Warning) => void): Promise<SymbolResolver | null> {
  try {
    return await resolverForBundle(bundle, opts);
  } catch (e) {
    if (strict || !isGbpError(e)) throw e;
    warn({ entry: e.entry ?? ENTRY.symbolsDir, message: `symbols not used: ${e.message}` });
    return null;
  }
}
