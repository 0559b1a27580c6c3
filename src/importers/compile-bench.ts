// `go build -gcflags=all=-bench=FILE`: every compile appends Go benchmark
// lines for its phases, after a `commit:`/`goos:`/`goarch:` header.
//   BenchmarkCompile:internal/unsafeheader:fe:parse        1     5111594 ns/op     38.51 %    38 lines    7434 lines/s
//   BenchmarkCompile:fmt:be:compilefuncs                   1   145870360 ns/op     50.12 %   612 funcs    4195 funcs/s
//   BenchmarkCompile:fmt:total                             1   290123456 ns/op    100.00 %
// Phase names differ by Go version (1.19: fe:inlining; 1.26: fe:pgo-load-profile,
// fe:devirtualize-and-inline), so everything after the package is the phase.
// Source: cmd/compile/internal/base/timings.go (Timings.Write).
import type { PhaseTiming, Warning } from '../model/types.ts';
import { ENTRY } from '../bundle/format.ts';
import { lines, type Input } from './input.ts';
import { DEFAULT_MAX_WARNINGS, WarningSink } from './warnings.ts';

/** Options of parseCompileBench; defaults in DEFAULT_COMPILE_BENCH_OPTIONS. */
export interface CompileBenchOptions {
  /** Entry name used in warnings. */
  entry: string;
  /** Warnings kept beyond which they are only counted. */
  maxWarnings: number;
}

/** Warnings name `go/compile-bench.txt`; 1000 warnings kept. */
export const DEFAULT_COMPILE_BENCH_OPTIONS: CompileBenchOptions = { entry: ENTRY.compileBench, maxWarnings: DEFAULT_MAX_WARNINGS };

export interface CompileBenchResult {
  phases: PhaseTiming[];
  /** `commit:` values of the headers (the compiler's version), distinct. */
  compilers: string[];
  warnings: Warning[];
}

/** Cheap sniff: a benchmark header or a BenchmarkCompile line. */
export function detectCompileBench(head: string): boolean {
  return /^BenchmarkCompile:/m.test(head) || /^commit: go/.test(head);
}

const PREFIX = 'BenchmarkCompile:';
// Name, iterations, then value/unit pairs: `1  5111594 ns/op  38.51 %  38 lines  7434 lines/s`
const FIELDS = /^(\S+)\s+(\d+)((?:\s+[-+0-9.eE]+\s+\S+)+)\s*$/;

/** True for the compiler's roll-up rows (`fe:subtotal`, `total`), which sum other phases. */
export function isAggregatePhase(phase: string): boolean {
  return phase === 'total' || phase.endsWith('subtotal');
}

/** Reads every phase line; malformed lines become warnings. */
export async function parseCompileBench(input: Input, opts: Partial<CompileBenchOptions> = {}): Promise<CompileBenchResult> {
  const o = { ...DEFAULT_COMPILE_BENCH_OPTIONS, ...opts };
  const sink = new WarningSink(o.entry, o.maxWarnings);
  const phases: PhaseTiming[] = [];
  const compilers = new Set<string>();
  for await (const { text, line } of lines(input)) {
    if (!text.trim()) continue;
    if (!text.startsWith(PREFIX)) {
      const h = /^(\w+):\s*(.*)$/.exec(text);
      if (h && !text.startsWith('Benchmark')) {
        if (h[1] === 'commit') compilers.add(h[2]);
        continue; // commit:, goos:, goarch:, pkg:, cpu: headers
      }
      sink.at(line, `not a benchmark line: ${JSON.stringify(text.slice(0, 80))}`);
      continue;
    }
    const m = FIELDS.exec(text);
    const name = m?.[1].slice(PREFIX.length) ?? '';
    // Import paths cannot hold ':', so the package ends at the first one.
    const colon = name.indexOf(':');
    if (!m || colon <= 0 || colon === name.length - 1) {
      sink.at(line, `malformed BenchmarkCompile line: ${JSON.stringify(text.slice(0, 120))}`);
      continue;
    }
    const values = m[3].trim().split(/\s+/);
    let ns: number | null = null;
    let percent = NaN;
    const counters: Record<string, number> = {};
    for (let i = 0; i + 1 < values.length; i += 2) {
      const v = Number(values[i]);
      const unit = values[i + 1];
      if (!Number.isFinite(v)) continue;
      if (unit === 'ns/op') ns = v;
      else if (unit === '%') percent = v;
      else counters[unit] = v;
    }
    if (ns === null) {
      sink.at(line, 'BenchmarkCompile line without ns/op');
      continue;
    }
    phases.push({ package: name.slice(0, colon), phase: name.slice(colon + 1), ns, percent: Number.isFinite(percent) ? percent : 0, counters });
  }
  return { phases, compilers: [...compilers], warnings: sink.done() };
}
