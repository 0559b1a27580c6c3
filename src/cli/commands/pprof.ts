// `gbp pprof`: pprof files for `go tool pprof`.
//   gbp pprof BUNDLE -o DIR                                stages.pb.gz, phases.pb.gz, cpu.pb.gz from a bundle
//   gbp pprof --perf-script FILE.txt[.gz]|- -o OUT.pb.gz   any perf text → one CPU profile
import type { Command } from 'commander';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { addBundleOptions, loadOptionsFromFlags, openBundleFromFlags, type BundleFlags } from '../bundle-options.ts';
import { parsePerfScriptStacks } from '../../importers/perf-script.ts';
import { binariesOf, expandFrames, frameResolver } from '../../importers/symbolize.ts';
import { isGzipMagic } from '../../importers/input.ts';
import { SymbolResolver } from '../../symbols/resolver.ts';
import { prepareOutputDir, writeNew } from '../../exporters/output-dir.ts';
import { buildCpuPprofFromStacks } from '../../exporters/pprof-cpu-stacks.ts';
import type { PprofBuilder } from '../../exporters/pprof-builder.ts';
import type { Warning } from '../../model/types.ts';
import { GbpError } from '../../errors.ts';
import { collectGarbage } from '../memory.ts';

interface PprofFlags extends BundleFlags {
  output?: string;
  force?: boolean;
  perfScript?: string;
  quiet?: boolean;
  /** false with --no-progress. */
  progress?: boolean;
}

export function registerPprof(program: Command): void {
  const cmd = program
    .command('pprof')
    .description('write pprof files (stages.pb.gz, phases.pb.gz, cpu.pb.gz) for `go tool pprof`, or convert any `perf script` text')
    .argument('[bundle]', 'a *.gbp.tgz written by gbp capture')
    .option('-o, --output <path>', 'output folder for a bundle (created if needed); output file with --perf-script')
    .option('--perf-script <file>', 'convert `perf script` text (plain or .gz; - for stdin) into one CPU profile at -o OUT.pb.gz')
    .option('--force', 'overwrite files that exist')
    .option('-q, --quiet', 'with --perf-script: no summary on stderr')
    .option('--no-progress', 'with --perf-script: no progress line, even on a terminal');
  addBundleOptions(cmd).action(async (bundle: string | undefined, opts: PprofFlags) => {
    if (opts.perfScript !== undefined) {
      if (bundle) throw new GbpError('usage', 'gbp pprof: give a bundle or --perf-script FILE, not both');
      if (!opts.output) throw new GbpError('usage', 'gbp pprof: -o OUT.pb.gz is required');
      // Reading a terminal would wait for typed perf text forever.
      if (opts.perfScript === '-' && process.stdin.isTTY) throw new GbpError('usage', 'gbp pprof: --perf-script - reads perf text from stdin, which is a terminal here: pipe it in (perf script | gbp pprof --perf-script - -o OUT.pb.gz) or give a file');
      return perfScriptToPprof(opts.perfScript, opts.output, opts);
    }
    if (!bundle) throw new GbpError('usage', 'gbp pprof: give a bundle (gbp pprof BUNDLE -o DIR) or --perf-script FILE');
    if (!opts.output) throw new GbpError('usage', 'gbp pprof: -o DIR is required');
    // Loaded here, not at the top: the --perf-script converter needs none of the bundle importers (~50 ms of start-up).
    const [{ loadBuild }, { writePprofFiles }] = await Promise.all([import('../../importers/index.ts'), import('../../exporters/pprof-files.ts')]);
    const b = await openBundleFromFlags(bundle, opts);
    try {
      const model = await loadBuild(b, loadOptionsFromFlags(opts));
      const out = await prepareOutputDir(opts.output, { force: opts.force });
      const r = await writePprofFiles(model, out);
      for (const p of r.written) process.stdout.write(`wrote ${p}\n`);
      for (const [name, why] of Object.entries(r.skipped)) process.stderr.write(`gbp: ${name} not written: ${why}\n`);
      if (model.warnings.length) process.stderr.write(`gbp: ${model.warnings.length} warnings while reading the bundle (gbp info --json lists them)\n`);
    } finally {
      await b.close();
    }
  });
}

/** The standalone converter: perf text (file or stdin, gzip'd or not) → one gzip'd pprof CPU profile. */
async function perfScriptToPprof(input: string, output: string, flags: PprofFlags): Promise<void> {
  const t0 = performance.now();
  const clock = new PhaseClock();
  const line = progressLine(input, flags.progress !== false && !flags.quiet && process.stderr.isTTY === true, flags.symbols !== false);
  let pprof, summary, warnings, bytes;
  try {
    ({ pprof, summary, warnings, bytes } = await perfScriptProfile(input, flags, clock, line.update));
    line.show(`writing ${output}`);
    const gz = await pprof.encodeGzip();
    clock.end('encode');
    await writeNew(output, gz, !!flags.force);
    clock.end('write');
  } finally {
    line.clear();
  }
  if (process.env.GBP_TIMINGS) process.stderr.write(`gbp: timings: ${clock.report()}\n`);
  if (flags.quiet) return;
  const s = (performance.now() - t0) / 1000;
  summary += `; ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s (${(bytes / 1e6 / s).toFixed(0)} MB/s)`;
  printWarnings(warnings);
  process.stderr.write(`gbp: ${output}: ${summary}\n`);
}

/**
 * Parses the perf text into a pprof builder, straight from perf's raw stacks:
 * each distinct frame is resolved once and becomes one location, stacks are
 * trimmed as they are written (no model, no second trie: see buildCpuPprofFromStacks).
 */
async function perfScriptProfile(input: string, flags: PprofFlags, clock: PhaseClock, onProgress?: (bytes: number, inputDone: boolean) => void): Promise<{ pprof: PprofBuilder; summary: string; warnings: Warning[]; bytes: number }> {
  const o = loadOptionsFromFlags(flags);
  // No recorded build-ids here: binaries on this machine (or --binaries/--goroot) are used as they are.
  const resolver = o.symbols ? new SymbolResolver([], new Map(), o.symbols) : null;
  let r, exp, binaries;
  try {
    r = await parsePerfScriptStacks(input, { onProgress });
    clock.end('parse');
    exp = expandFrames(r.stacks.frames, resolver ? frameResolver(resolver) : null);
    if (resolver) binaries = binariesOf(exp.frames, resolver);
  } finally {
    resolver?.close();
  }
  clock.end('symbolize');
  collectGarbage(); // the parser's tables and the binaries' sections, before the exporter allocates
  clock.end('gc');
  const s = r.stacks;
  const out = buildCpuPprofFromStacks(s, r.event, exp, binaries, o.dropUnwindGarbage !== false);
  clock.end('build');
  const warnings = [...r.warnings, ...(resolver?.warnings ?? [])];
  const summary = `${s.totalSamples} samples (${r.event}), ${out.samples} distinct stacks×threads, ${s.frames.length} distinct frames, ${r.warnings.length} warnings`;
  return { pprof: out.pprof, summary, warnings, bytes: r.bytes };
}

/**
 * Where a conversion's time went, for GBP_TIMINGS=1 (scripts/bench-import.ts
 * prints it per run): node's start with the CLI's modules, then each phase, in ms.
 */
class PhaseClock {
  private last = performance.now();
  private readonly parts: string[] = [`start ${this.last.toFixed(0)}`];

  /** Ends the phase that ran since the last call. */
  end(phase: string): void {
    const now = performance.now();
    this.parts.push(`${phase} ${(now - this.last).toFixed(0)}`);
    this.last = now;
  }

  /** `start 98 parse 452 symbolize 270 …` (ms). */
  report(): string {
    return this.parts.join(' ');
  }
}

/**
 * One self-overwriting stderr line (a terminal only): bytes read, of how many
 * when the input is a plain file, at most 4 updates a second.
 */
function progressLine(input: string, on: boolean, symbolizing: boolean) {
  let shown = false;
  let last = -Infinity;
  const total = on && input !== '-' ? plainFileSize(input) : null;
  const show = (text: string) => {
    if (!on) return;
    process.stderr.write(`\r\x1b[Kgbp: ${text}`);
    shown = true;
  };
  const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
  return {
    show,
    update: (bytes: number, inputDone: boolean) => {
      if (!on) return;
      if (inputDone) return show(`read ${mb(bytes)}; ${symbolizing ? 'symbolizing, ' : ''}building the profile`);
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      // A share only for plain files: a gzip'd file's size is not its text's.
      const share = total && bytes <= total ? ` of ${mb(total)} (${Math.floor((100 * bytes) / total)}%)` : '';
      show(`reading ${input === '-' ? 'stdin' : input}: ${mb(bytes)}${share}`);
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Size of a plain (not gzip'd) regular file; null otherwise or when it cannot be read (the parser reports that). */
function plainFileSize(file: string): number | null {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    const magic = Buffer.alloc(2);
    return st.isFile() && !isGzipMagic(magic, readSync(fd, magic, 0, 2, 0)) ? st.size : null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function printWarnings(warnings: Warning[], max = 10): void {
  for (const w of warnings.slice(0, max)) process.stderr.write(`gbp: warning: ${w.entry}${w.line ? `:${w.line}` : ''}: ${w.message}\n`);
  if (warnings.length > max) process.stderr.write(`gbp: … ${warnings.length - max} more warnings\n`);
}
