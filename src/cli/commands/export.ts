// gbp export BUNDLE --csv DIR: tidy tables for pandas, DuckDB or a spreadsheet.
import type { Command } from 'commander';
import { GbpError } from '../../errors.ts';
import { analyzeBuild } from '../../analyze/summary.ts';
import { writeCsvTables } from '../../exporters/csv.ts';
import { prepareOutputDir } from '../../exporters/output-dir.ts';
import { addBundleOptions, type BundleFlags } from '../bundle-options.ts';
import { loadModelFromFlags } from '../load-model.ts';

interface ExportFlags extends BundleFlags {
  csv?: string;
  force?: boolean;
}

export function registerExport(program: Command): void {
  addBundleOptions(
    program
      .command('export')
      .description('write the build as tidy CSV tables (packages, actions, invocations, phases, proc series, critical path, …)')
      .argument('<bundle>', 'a *.gbp.tgz from gbp capture')
      .option('--csv <dir>', 'folder for the CSV files')
      .option('--force', 'overwrite existing files'),
  ).action(async (file: string, flags: ExportFlags) => {
    if (!flags.csv) throw new GbpError('usage', 'export: say what to write, e.g. --csv DIR');
    const model = await loadModelFromFlags(file, flags);
    const out = await prepareOutputDir(flags.csv, { force: flags.force });
    const written = await writeCsvTables(model, analyzeBuild(model), out);
    for (const p of written) process.stdout.write(p + '\n');
  });
}
