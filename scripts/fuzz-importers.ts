// Fuzz targets for every importer: inputs made by generators that know each
// format's shape (so cases get past the first line), mutated at line and
// byte level, plus the real entries of the sample bundles and the importer
// fixtures as mutation seeds. Each input is fed in random chunk sizes so that
// chunk boundaries land everywhere.
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ENTRY } from '../src/bundle/format.ts';
import { openBundle } from '../src/bundle/reader.ts';
import { chunked } from '../src/importers/input.ts';
import { buildSidecar, decodeSidecar, sidecarTable, type SidecarJson } from '../src/symbols/sidecar.ts';
import { detectGoList, parseGoList } from '../src/importers/go-list.ts';
import { detectActionGraph, parseActionGraph } from '../src/importers/actiongraph.ts';
import { detectGoTrace, parseGoTrace } from '../src/importers/go-trace.ts';
import { detectToolexecLog, parseToolexecLog } from '../src/importers/toolexec-log.ts';
import { detectProcSnapshots, parseProcSnapshots } from '../src/importers/proc-snapshots.ts';
import { detectCompileBench, parseCompileBench } from '../src/importers/compile-bench.ts';
import type { Warning } from '../src/model/types.ts';
import { applyByteOps, byteOp, nastyToken, textInputs } from './fuzz-inputs.ts';
import { gzipSync } from 'node:zlib';
import type { FuzzContext, FuzzTarget } from './fuzz-targets.ts';

/** Seed inputs for one format: its fixtures, and that entry of every sample bundle (its first 16 KiB: enough to hold every kind of line, small enough for thousands of cases a minute). */
async function seedsFor(ctx: FuzzContext, fixturePrefix: string, entry: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const fixtures = path.join(ctx.repo, 'test/fixtures/importers');
  if (existsSync(fixtures)) for (const f of readdirSync(fixtures).sort()) if (f.startsWith(fixturePrefix)) out.push(readFileSync(path.join(fixtures, f)));
  for (const s of sampleBundles(ctx)) {
    const b = await openBundle(s);
    try {
      if (b.has(entry)) out.push(readFileSync(b.file(entry)).subarray(0, 16 * 1024));
    } finally {
      await b.close();
    }
  }
  return out;
}

function sampleBundles(ctx: FuzzContext): string[] {
  const dir = path.join(ctx.repo, 'samples');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.gbp.tgz')).sort().map((f) => path.join(dir, f)) : [];
}

// --- values that are nearly right: the right type most of the time, anything now and then
const anyJson = fc.jsonValue({ maxDepth: 2 });
const nearly = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: nastyToken as fc.Arbitrary<unknown> });
const pkg = fc.constantFrom('fmt', 'net/http', 'internal/abi', 'example.com/m', 'example.com/m/internal/x', 'runtime', 'unsafe', '', 'command-line-arguments', 'a b', '<script>');
const epochNsStr = fc.bigInt({ min: 0n, max: 1n << 63n }).map((n) => n.toString());
const nearEpochNs = fc.bigInt({ min: 1795675573000000000n, max: 1795675579000000000n }).map((n) => n.toString());
const rfc3339 = fc.oneof(
  fc.integer({ min: 0, max: 5_000_000 }).map((us) => new Date(1795675573000 + us / 1000).toISOString().replace('Z', `${String(us % 1000).padStart(3, '0')}123Z`)),
  fc.constantFrom('0001-01-01T00:00:00Z', '2026-11-26T07:00:00.123456789+01:00', '2026-13-45T99:99:99Z', 'yesterday', ''),
);

function object(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(fields, { requiredKeys: [] });
}

const goListObject = object({
  ImportPath: nearly(pkg),
  Name: nearly(fc.constantFrom('main', 'fmt', 'http')),
  Imports: nearly(fc.array(pkg, { maxLength: 5 })),
  Deps: nearly(fc.array(pkg, { maxLength: 8 })),
  Standard: nearly(fc.boolean()),
  GoFiles: nearly(fc.array(fc.constantFrom('a.go', 'b.go'), { maxLength: 3 })),
  CgoFiles: nearly(fc.array(fc.constant('c.go'), { maxLength: 2 })),
  SFiles: nearly(fc.array(fc.constant('asm_amd64.s'), { maxLength: 2 })),
  Stale: nearly(fc.boolean()),
  StaleReason: nearly(fc.string({ maxLength: 20 })),
  Module: nearly(object({ Path: nearly(pkg), Version: nearly(fc.constantFrom('v1.2.3', '')), Main: nearly(fc.boolean()) })),
  DepOnly: nearly(fc.boolean()),
});
const goListText = fc.array(goListObject, { maxLength: 12 }).map((os) => os.map((o) => JSON.stringify(o, null, '\t')).join('\n'));

const action = object({
  ID: nearly(fc.integer({ min: -2, max: 40 })),
  Mode: nearly(fc.constantFrom('build', 'link', 'go build', 'built-in package', 'vet', 'nop')),
  Package: nearly(pkg),
  Deps: nearly(fc.array(fc.integer({ min: -1, max: 40 }), { maxLength: 6 })),
  Objdir: nearly(fc.constant('/tmp/go-build1/b001/')),
  Priority: nearly(fc.integer({ min: 0, max: 100 })),
  NeedBuild: nearly(fc.boolean()),
  ActionID: nearly(fc.base64String({ maxLength: 32 })),
  BuildID: nearly(fc.base64String({ maxLength: 32 })),
  TimeReady: nearly(rfc3339),
  TimeStart: nearly(rfc3339),
  TimeDone: nearly(rfc3339),
  Cmd: nearly(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 })),
  CmdReal: nearly(fc.integer({ min: -1, max: 1e10 })),
  CmdUser: nearly(fc.integer({ min: -1, max: 1e10 })),
  CmdSys: nearly(fc.integer({ min: -1, max: 1e10 })),
});
const actionGraphText = fc.array(action, { maxLength: 30 }).map((as) => JSON.stringify(as, null, '\t'));

const traceEvent = object({
  name: nearly(fc.constantFrom('Running build command', 'load.loadPackageData fmt', 'Executing action (build fmt)', 'x')),
  ph: nearly(fc.constantFrom('B', 'E', 'X', 'i', 'M', 'b', 'e', 's', 'f')),
  ts: nearly(fc.oneof(fc.double({ min: 1795675573000000, max: 1795675579000000, noNaN: true }), fc.integer())),
  dur: nearly(fc.double({ min: 0, max: 1e7, noNaN: true })),
  pid: nearly(fc.integer({ min: 0, max: 3 })),
  tid: nearly(fc.integer({ min: 0, max: 8 })),
  args: nearly(object({ name: nearly(pkg) })),
});
const traceText = fc.tuple(fc.array(traceEvent, { maxLength: 40 }), fc.boolean()).map(([es, wrapped]) => (wrapped ? JSON.stringify({ traceEvents: es }) : '[\n' + es.map((e) => JSON.stringify(e)).join('\n,') + ']'));

const toolexecRecord = object({
  seq: nearly(fc.integer({ min: 0, max: 50 })),
  tool: nearly(fc.constantFrom('compile', 'asm', 'link', 'cgo', 'vet', 'pack', 'buildid')),
  toolPath: nearly(fc.constant('/usr/local/go/pkg/tool/linux_amd64/compile')),
  importPath: nearly(pkg),
  pid: nearly(fc.integer({ min: -1, max: 70000 })),
  shimPid: nearly(fc.integer({ min: 0, max: 70000 })),
  startNs: nearly(fc.oneof(nearEpochNs, epochNsStr)),
  endNs: nearly(fc.oneof(nearEpochNs, fc.constant(null))),
  exitCode: nearly(fc.oneof(fc.integer({ min: -1, max: 255 }), fc.constant(null))),
  userNs: nearly(fc.oneof(fc.integer({ min: 0, max: 1e10 }), fc.constant(null))),
  sysNs: nearly(fc.oneof(fc.integer({ min: 0, max: 1e10 }), fc.constant(null))),
  maxRssKb: nearly(fc.oneof(fc.integer({ min: 0, max: 1e7 }), fc.constant(null))),
  probe: nearly(fc.boolean()),
  argv: nearly(fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 })),
});
const toolexecText = fc.array(toolexecRecord, { maxLength: 30 }).map((rs) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n');

// /proc frames: "== <epoch_ns> <pid> <kind> <len>\n<len bytes>\n"; lengths usually right.
const num = fc.oneof(fc.integer({ min: 0, max: 1e6 }).map(String), nastyToken);
const statBody = fc.tuple(fc.integer({ min: 1, max: 70000 }), fc.constantFrom('compile', 'a) (b', 'x y', ')'), fc.array(num, { minLength: 0, maxLength: 55 })).map(([pid, comm, rest]) => `${pid} (${comm}) R ${rest.join(' ')}\n`);
const statusBody = fc.array(fc.tuple(fc.constantFrom('Name', 'VmHWM', 'VmRSS', 'VmPeak', 'Threads', 'State', 'Extra'), num), { maxLength: 8 }).map((kv) => kv.map(([k, v]) => `${k}:\t${v} kB`).join('\n') + '\n');
const ioBody = fc.array(fc.tuple(fc.constantFrom('rchar', 'wchar', 'syscr', 'syscw', 'read_bytes', 'write_bytes', 'cancelled_write_bytes', 'new_field'), num), { maxLength: 8 }).map((kv) => kv.map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
const frame = fc
  .tuple(nearEpochNs, fc.integer({ min: 1, max: 5 }), fc.constantFrom('stat', 'status', 'io', 'smaps_rollup', 'bogus'), fc.oneof(statBody, statusBody, ioBody), fc.integer({ min: -3, max: 3 }), fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }))
  .map(([ns, pid, kind, body, _, lenSkew]) => `== ${ns} ${pid} ${kind} ${Buffer.byteLength(body) + lenSkew}\n${body}\n`);
const procText = fc.tuple(fc.constantFrom('gbp-proc-snapshots 1 clk_tck=100 page_size=4096\n', 'gbp-proc-snapshots 2\n', ''), fc.array(frame, { maxLength: 20 })).map(([h, fs]) => h + fs.join(''));

const benchLine = fc
  .tuple(pkg, fc.constantFrom('fe:init', 'fe:parse', 'fe:inlining', 'be:compilefuncs', 'total', 'fe:subtotal', ''), fc.oneof(fc.constant('1'), num), fc.oneof(fc.integer({ min: 0, max: 1e10 }).map(String), num), fc.constantFrom('ns/op', 'ns', ''), fc.boolean())
  .map(([p, ph, it, ns, unit, extra]) => `BenchmarkCompile:${p}:${ph}\t${it}\t${ns} ${unit}\t12.5 %${extra ? '\t38 lines\t7434 lines/s' : ''}`);
const benchText = fc.array(fc.oneof({ weight: 6, arbitrary: benchLine }, { weight: 1, arbitrary: fc.constantFrom('commit: abc', 'goos: linux', 'goarch: amd64', 'PASS', '') }), { maxLength: 40 }).map((ls) => ls.join('\n') + '\n');

interface ImporterCase {
  bytes: Buffer;
  chunk: number;
}

/** Checks what every importer promises about its warnings. */
function checkWarnings(ws: Warning[], entry: string, lines: number): void {
  for (const w of ws) {
    if (w.entry !== entry) throw new Error(`warning for entry ${JSON.stringify(w.entry)}, expected ${entry}: ${w.message}`);
    if (w.line !== undefined && !(Number.isInteger(w.line) && w.line >= 1 && w.line <= lines + 1)) throw new Error(`warning at impossible line ${w.line} (input has ${lines}): ${w.message}`);
    if (typeof w.message !== 'string' || !w.message) throw new Error('warning without a message');
  }
}

function importerTarget(
  name: string,
  fixturePrefix: string,
  entry: string,
  generated: fc.Arbitrary<string>,
  detect: (head: string) => boolean,
  parse: (input: AsyncIterable<Buffer>, entry: string) => Promise<{ warnings: Warning[] }>,
): FuzzTarget<ImporterCase> {
  let seeds: Buffer[] = [];
  return {
    name,
    what: `${name} importer on generated, mutated and real ${entry} inputs in random chunk sizes`,
    async prepare(ctx) {
      seeds = await seedsFor(ctx, fixturePrefix, entry);
    },
    arbitrary: () => {
      const gen = generated.map((s) => Buffer.from(s));
      const bytes = fc.oneof({ weight: 3, arbitrary: gen }, { weight: 4, arbitrary: textInputs(seeds) }, { weight: 3, arbitrary: gen.chain((g) => textInputs([g])) });
      // Tiny chunks now and then (every boundary), mostly realistic ones.
      const chunk = fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 2, arbitrary: fc.integer({ min: 65, max: 65536 }) }, { weight: 2, arbitrary: fc.constant(1 << 20) });
      return fc.record({ bytes, chunk });
    },
    async run({ bytes, chunk }) {
      if (typeof detect(bytes.subarray(0, 4096).toString('utf8')) !== 'boolean') throw new Error('detector returned a non-boolean');
      const r = await parse(chunked(bytes, chunk), entry);
      let lines = 1;
      for (const b of bytes) if (b === 10) lines++;
      checkWarnings(r.warnings, entry, lines);
      return r.warnings.length ? 'warnings' : 'ok';
    },
    bytes: (c) => c.bytes,
  };
}

/** Targets with format-aware generators, one per importer file in src/importers/. */
export const IMPORTER_TARGETS: FuzzTarget<any>[] = [
  importerTarget('go-list', 'go-list', ENTRY.goList, goListText, detectGoList, (i, entry) => parseGoList(i, { entry })),
  importerTarget('actiongraph', 'actiongraph', ENTRY.actionGraph, actionGraphText, detectActionGraph, (i, entry) => parseActionGraph(i, { entry, originNs: 1795675573000000000n })),
  importerTarget('go-trace', 'go-trace', ENTRY.trace, traceText, detectGoTrace, (i, entry) => parseGoTrace(i, { entry, originNs: 1795675573000000000n })),
  importerTarget('toolexec-log', 'toolexec-log', ENTRY.toolexec, toolexecText, detectToolexecLog, (i, entry) => parseToolexecLog(i, { entry, originNs: 1795675573000000000n })),
  importerTarget('proc-snapshots', 'proc-snapshots', ENTRY.proc, procText, detectProcSnapshots, (i, entry) =>
    parseProcSnapshots(i, { entry, originNs: 1795675573000000000n, bootNs: 1795600000000000000n }),
  ),
  importerTarget('compile-bench', 'compile-bench', ENTRY.compileBench, benchText, detectCompileBench, (i, entry) => parseCompileBench(i, { entry })),
];

/**
 * Importers that have no hand-written target yet get a generic one: every
 * `src/importers/X.ts` exporting `detectY` and `parseY` is fuzzed with noise
 * and with its fixtures (`test/fixtures/importers/X-*`) mutated, so a new
 * importer is covered the day it lands.
 */
export async function discoveredImporterTargets(repo: string): Promise<FuzzTarget<any>[]> {
  const dir = path.join(repo, 'src/importers');
  const known = new Set(IMPORTER_TARGETS.map((t) => t.name));
  const out: FuzzTarget<any>[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const name = f.slice(0, -3);
    if (known.has(name)) continue;
    const mod = (await import(path.join(dir, f))) as Record<string, unknown>;
    const parse = Object.keys(mod).find((k) => /^parse[A-Z]/.test(k) && typeof mod[k] === 'function' && typeof mod[`detect${k.slice(5)}`] === 'function');
    if (!parse) continue;
    const detect = mod[`detect${parse.slice(5)}`] as (head: string) => boolean;
    const run = mod[parse] as (input: AsyncIterable<Buffer>, opts: { entry: string }) => Promise<{ warnings: Warning[] }>;
    out.push(importerTarget(name, name, `fuzz/${name}`, fc.constant(''), detect, (i, entry) => run(i, { entry })));
  }
  return out;
}

/**
 * Symbol sidecars (`symbols/<build-id>.json.gz`) come from bundles too: a real
 * one (of Go's `asm`, trimmed to 64 functions and 16 sampled addresses) is
 * mutated as JSON and as bytes (the gzip bomb is a test of its own,
 * test/sidecar-hostile.test.ts: too slow to repeat thousands of times); decoding, building the table and looking up
 * frames may only throw GbpError, and frames must be strings and numbers.
 */
export const SIDECAR_TARGET: FuzzTarget<{ bytes: Buffer; probes: number[] }> = (() => {
  let seed: SidecarJson | null = null;
  return {
    name: 'symbol-sidecar',
    what: 'decodeSidecar + sidecarTable + frames() on mutated real sidecars and noise',
    async prepare() {
      const bin = '/usr/local/go/pkg/tool/linux_amd64/asm';
      if (!existsSync(bin)) return;
      const full = buildSidecar(bin, Array.from({ length: 16 }, (_, i) => 0x1000 + i * 0x400));
      const n = 64;
      seed = { ...full, funcs: { entry: full.funcs.entry.slice(0, n), size: full.funcs.size.slice(0, n), name: full.funcs.name.slice(0, n) } };
    },
    arbitrary: () => {
      const base = seed ? fc.constant(seed as unknown as Record<string, unknown>) : fc.constant({ format: 'gbp-symbols', version: 1 } as Record<string, unknown>);
      const field = fc.constantFrom('format', 'version', 'identity', 'kind', 'loads', 'strings', 'funcs', 'addrs');
      const sub = fc.constantFrom('entry', 'size', 'name', 'vaddr', 'count', 'frames');
      const mutatedJson = fc
        .tuple(base, fc.array(fc.tuple(field, sub, fc.oneof(anyJson, fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(null), fc.string({ maxLength: 3 })), { maxLength: 20 }))), { maxLength: 3 }))
        .map(([b, edits]) => {
          const j = structuredClone(b) as Record<string, any>;
          for (const [f, s, v] of edits) {
            if (j[f] && typeof j[f] === 'object' && !Array.isArray(j[f])) j[f] = { ...j[f], [s]: v };
            else j[f] = v;
          }
          return Buffer.from(JSON.stringify(j));
        });
      const bytes = fc.oneof(
        { weight: 4, arbitrary: mutatedJson.map((b) => gzipSync(b)) },
        { weight: 3, arbitrary: fc.tuple(mutatedJson, fc.array(byteOp, { minLength: 1, maxLength: 3 })).map(([b, ops]) => gzipSync(applyByteOps(b, ops))) },
        { weight: 1, arbitrary: fc.tuple(mutatedJson, fc.array(byteOp, { minLength: 1, maxLength: 2 })).map(([b, ops]) => applyByteOps(gzipSync(b), ops)) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((u) => Buffer.from(u)) },
      );
      return fc.record({ bytes, probes: fc.array(fc.oneof(fc.nat(), fc.integer({ min: 0x400000, max: 0x900000 })), { maxLength: 8 }) });
    },
    async run({ bytes, probes }) {
      const j = decodeSidecar(bytes, { file: 'fuzz.gbp.tgz', entry: 'symbols/x.json.gz' });
      const table = sidecarTable(j);
      let at = 0;
      const addrs = [...probes, ...(Array.isArray(j.funcs.entry) ? j.funcs.entry.slice(0, 8).map((d) => (at += Number(d) || 0)) : [])];
      for (const a of addrs) {
        for (const f of table.frames(a)) {
          if (typeof f.name !== 'string' || typeof f.file !== 'string' || !Number.isFinite(f.line)) throw new Error(`sidecar frame with bad fields: ${JSON.stringify(f)}`);
        }
      }
      return 'ok';
    },
    bytes: (c) => c.bytes,
  };
})();
