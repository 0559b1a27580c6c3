// `gbp pprof`: pprof files for `go tool pprof`.
//   gbp pprof BUNDLE -o DIR                                stages.pb.gz, phases.pb.gz, cpu.pb.gz from a bundle
//   gbp pprof --perf-script FILE.txt[.gz]|- -o OUT.pb.gz   any perf text → one CPU profile
import type { Command } from 'commander';
import { addBundleOptions, loadOptionsFromFlags, openBundleFromFlags, type BundleFlags } from '../bundle-options.ts';
import { parsePerfScriptFile } from '../../importers/perf-script.ts';
import { binariesOf, frameResolver } from '../../importers/symbolize.ts';
import { SymbolResolver } from '../../symbols/resolver.ts';
import { prepareOutputDir, writeNew } from '../../exporters/output-dir.ts';
import { buildCpuPprof } from '../../exporters/pprof-cpu.ts';
import type { PprofBuilder } from '../../exporters/pprof-builder.ts';
import type { Warning } from '../../model/types.ts';
import { GbpError } from '../../errors.ts';
import { collectGarbage } from '../memory.ts';

interface PprofFlags extends BundleFlags {
  output?: string;
  force?: boolean;
  perfScript?: string;
  quiet?: boolean;
}

export function registerPprof(program: Command): void {
  const cmd = program
    .command('pprof')
    .description('write pprof files (stages.pb.gz, phases.pb.gz, cpu.pb.gz) for `go tool pprof`, or convert any `perf script` text')
    .argument('[bundle]', 'a *.gbp.tgz written by gbp capture')
    .option('-o, --output <path>', 'output folder for a bundle (created if needed); output file with --perf-script')
    .option('--perf-script <file>', 'convert `perf script` text (plain or .gz; - for stdin) into one CPU profile at -o OUT.pb.gz')
    .option('--force', 'overwrite files that exist')
    .option('-q, --quiet', 'with --perf-script: no summary on stderr');
  addBundleOptions(cmd).action(async (bundle: string | undefined, opts: PprofFlags) => {
    if (opts.perfScript !== undefined) {
      if (bundle) throw new GbpError('usage', 'gbp pprof: give a bundle or --perf-script FILE, not both');
      if (!opts.output) throw new GbpError('usage', 'gbp pprof: -o OUT.pb.gz is required');
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
  const { pprof, summary, warnings } = await perfScriptProfile(input, flags);
  await writeNew(output, await pprof.encodeGzip(), !!flags.force);
  if (flags.quiet) return;
  printWarnings(warnings);
  process.stderr.write(`gbp: ${output}: ${summary}\n`);
}

/** Parses the perf text into a pprof builder; the model is dropped on return, before encoding (peak memory). */
async function perfScriptProfile(input: string, flags: PprofFlags): Promise<{ pprof: PprofBuilder; summary: string; warnings: Warning[] }> {
  const o = loadOptionsFromFlags(flags);
  // No recorded build-ids here: binaries on this machine (or --binaries/--goroot) are used as they are.
  const resolver = o.symbols ? new SymbolResolver([], new Map(), o.symbols) : null;
  let r;
  try {
    r = await parsePerfScriptFile(input, { resolve: resolver ? frameResolver(resolver) : undefined, dropUnwindGarbage: o.dropUnwindGarbage });
    if (resolver) r.profile.binaries = binariesOf(r.profile.frames, resolver);
  } finally {
    resolver?.close();
  }
  const p = r.profile;
  const warnings = [...r.warnings, ...(resolver?.warnings ?? [])];
  const summary = `${p.totalSamples} samples (${p.event}), ${p.groups.length} distinct stacks×threads, ${p.frames.length} frames, ${r.warnings.length} warnings`;
  collectGarbage(); // the parser's tables and the binaries' sections, before the exporter allocates
  return { pprof: buildCpuPprof(p), summary, warnings };
}

function printWarnings(warnings: Warning[], max = 10): void {
  for (const w of warnings.slice(0, max)) process.stderr.write(`gbp: warning: ${w.entry}${w.line ? `:${w.line}` : ''}: ${w.message}\n`);
  if (warnings.length > max) process.stderr.write(`gbp: … ${warnings.length - max} more warnings\n`);
}
