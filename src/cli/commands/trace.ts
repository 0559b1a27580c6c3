// `gbp trace BUNDLE -o trace.json`: Chrome trace-event JSON for Perfetto.
import type { Command } from 'commander';
import path from 'node:path';
import { loadBuild } from '../../importers/index.ts';
import { writeNew } from '../../exporters/output-dir.ts';
import { chromeTrace } from '../../exporters/chrome-trace.ts';
import { addBundleOptions, loadOptionsFromFlags, openBundleFromFlags, type BundleFlags } from '../bundle-options.ts';

interface TraceFlags extends BundleFlags {
  output: string;
  force?: boolean;
}

export function registerTrace(program: Command): void {
  addBundleOptions(
    program
      .command('trace')
      .description('write the build as Chrome trace-event JSON (open it in https://ui.perfetto.dev or chrome://tracing)')
      .argument('<bundle>', 'a *.gbp.tgz from gbp capture')
      .requiredOption('-o, --output <file>', 'the trace file to write, e.g. trace.json')
      .option('--force', 'overwrite the file'),
  ).action(async (bundle: string, flags: TraceFlags) => {
    const b = await openBundleFromFlags(bundle, flags);
    let trace;
    try {
      trace = chromeTrace(await loadBuild(b, loadOptionsFromFlags(flags)));
    } finally {
      await b.close();
    }
    const file = path.resolve(flags.output);
    await writeNew(file, JSON.stringify(trace), !!flags.force);
    const runs = trace.traceEvents.filter((e) => e.ph === 'X' && e.tid !== undefined && e.tid < 1000).length;
    process.stdout.write(`wrote ${file}: ${runs} tool runs, ${trace.traceEvents.length} events\n`);
  });
}
