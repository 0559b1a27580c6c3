// gbp pprof BUNDLE -o DIR: pprof files for `go tool pprof` from a bundle.
import type { Command } from 'commander';
import { addBundleOptions, openBundleFromFlags, type BundleFlags } from '../bundle-options.ts';
import { loadBuild } from '../../importers/index.ts';
import { prepareOutputDir } from '../../exporters/output-dir.ts';
import { writePprofFiles } from '../../exporters/pprof-files.ts';
import { GbpError } from '../../errors.ts';

interface PprofFlags extends BundleFlags {
  output?: string;
  force?: boolean;
}

export function registerPprof(program: Command): void {
  const cmd = program
    .command('pprof')
    .description('write pprof files (stages.pb.gz, phases.pb.gz, cpu.pb.gz) for `go tool pprof`')
    .argument('[bundle]', 'a *.gbp.tgz written by gbp capture')
    .option('-o, --output <dir>', 'output folder (created if needed)')
    .option('--force', 'overwrite files that exist');
  addBundleOptions(cmd).action(async (bundle: string | undefined, opts: PprofFlags) => {
    if (!bundle) throw new GbpError('usage', 'gbp pprof: give a bundle (gbp pprof BUNDLE -o DIR)');
    if (!opts.output) throw new GbpError('usage', 'gbp pprof: -o DIR is required');
    const b = await openBundleFromFlags(bundle, opts);
    try {
      const model = await loadBuild(b);
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
