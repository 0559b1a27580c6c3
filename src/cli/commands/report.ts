// `gbp report BUNDLE [--compare BASE] -o DIR`: the HTML report, chart specs,
// SVGs and CSV tables.
import { InvalidArgumentError, type Command } from 'commander';
import path from 'node:path';
import { loadBuild } from '../../importers/index.ts';
import { prepareOutputDir } from '../../exporters/output-dir.ts';
import { DEFAULT_FLAME_OPTIONS } from '../../charts/flamegraph.ts';
import { addBundleOptions, loadOptionsFromFlags, openBundleFromFlags, type BundleFlags } from '../bundle-options.ts';

interface ReportFlags extends BundleFlags {
  output: string;
  compare?: string;
  force?: boolean;
  svg: boolean;
  flameMinShare?: number;
}

function parseShare(text: string): number {
  // e.g. "0.1%" or "0.001"
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v > 0 && v < 1)) throw new InvalidArgumentError(`'${text}' is not a share between 0 and 1 (try 0.1% or 0.001)`);
  return v;
}

/** Loads a bundle with the shared caps (and --partial notes on stderr). */
async function load(file: string, flags: BundleFlags) {
  const b = await openBundleFromFlags(file, flags);
  try {
    return await loadBuild(b, loadOptionsFromFlags(flags));
  } finally {
    await b.close();
  }
}

export function registerReport(program: Command): void {
  addBundleOptions(
    program
      .command('report')
      .description('write a self-contained HTML report (index.html), chart specs and SVGs (charts/), and their data (tables/*.csv)')
      .argument('<bundle>', 'a *.gbp.tgz from gbp capture')
      .requiredOption('-o, --output <dir>', 'output folder')
      .option('--compare <base>', 'a base bundle: adds per-package deltas and both timelines')
      .option('--force', 'overwrite files in the output folder')
      .option('--no-svg', 'skip the headless SVG renders (faster)')
      .option('--flame-min-share <share>', `hide flame-graph frames under this share of samples (default ${DEFAULT_FLAME_OPTIONS.minShare * 100}%)`, parseShare),
  ).action(async (bundle: string, flags: ReportFlags) => {
    const model = await load(bundle, flags);
    const base = flags.compare ? await load(flags.compare, flags) : undefined;
    const out = await prepareOutputDir(flags.output, { force: flags.force });
    // Loaded here: the report code brings vega, which `gbp --help` should not pay for (~0.25 s).
    const { writeReport, DEFAULT_REPORT_OPTIONS } = await import('../../exporters/report.ts');
    const res = await writeReport(out, model, base, {
      svg: flags.svg ?? DEFAULT_REPORT_OPTIONS.svg,
      charts: { flame: flags.flameMinShare ? { minShare: flags.flameMinShare } : {} },
    });
    for (const m of res.missing) process.stderr.write(`gbp: note: chart '${m.name}' left out: ${m.reason}\n`);
    if (model.warnings.length) process.stderr.write(`gbp: note: ${model.warnings.length} collector warning(s); they are listed in the report\n`);
    process.stdout.write(`wrote ${res.files.length} files; open ${path.join(out.root, 'index.html')}\n`);
  });
}
