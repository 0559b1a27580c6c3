// gbp simulate BUNDLE: replay the build on other worker counts, and with
// what-if edits (a package made faster, an import edge cut).
import { InvalidArgumentError, type Command } from 'commander';
import { simulate, DEFAULT_SIMULATE_OPTIONS, type CutRule, type FasterRule } from '../../analyze/simulate.ts';
import { addBundleOptions, parseCount, type BundleFlags } from '../bundle-options.ts';
import { fmtNs, fmtPct, table, termSafe } from '../format.ts';
import { loadModelFromFlags } from '../load-model.ts';
import { GbpError } from '../../errors.ts';

interface SimulateFlags extends BundleFlags {
  workers: number[];
  faster: FasterRule[];
  cut: CutRule[];
  json?: boolean;
}

/** `1,2,4,64` → [1, 2, 4, 64]. */
export function parseWorkerList(text: string): number[] {
  const ws = text.split(',').map((t) => t.trim()).filter(Boolean).map(parseCount);
  if (ws.length === 0) throw new InvalidArgumentError(`'${text}' lists no worker counts (try 1,2,4,64)`);
  return ws;
}

/** `net/http=30%` (or `=0.3`) → {pattern, fraction}; repeatable. */
export function parseFaster(text: string, prev: FasterRule[] = []): FasterRule[] {
  // e.g. "example.com/big/...=40%"
  const m = /^(.+)=(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const f = m ? Number(m[2]) / (m[3] ? 100 : 1) : NaN;
  if (!m || !(f >= 0 && f <= 1)) throw new InvalidArgumentError(`'${text}' is not PKG=N% with N within 0..100 (e.g. net/http=30%)`);
  return [...prev, { pattern: m[1], fraction: f }];
}

/** `A=B`: package A no longer imports package B; repeatable. */
export function parseCut(text: string, prev: CutRule[] = []): CutRule[] {
  const i = text.indexOf('=');
  if (i <= 0 || i === text.length - 1) throw new InvalidArgumentError(`'${text}' is not IMPORTER=IMPORTED (e.g. example.com/app=example.com/heavy)`);
  return [...prev, { from: text.slice(0, i), to: text.slice(i + 1) }];
}

export function registerSimulate(program: Command): void {
  addBundleOptions(
    program
      .command('simulate')
      .description('replay the build on other worker counts (as the go command schedules), with what-if edits')
      .argument('<bundle>', 'a *.gbp.tgz from gbp capture')
      .option('--workers <list>', 'worker counts (go build -p) to predict', parseWorkerList, DEFAULT_SIMULATE_OPTIONS.workers)
      .option('--faster <pkg=pct>', 'make a package (or pkg/...) N% faster; repeatable', parseFaster, [])
      .option('--cut <a=b>', 'remove the import edge a → b; repeatable', parseCut, [])
      .option('--json', 'print the simulation as JSON'),
  ).action(async (file: string, flags: SimulateFlags) => {
    const model = await loadModelFromFlags(file, flags);
    if (model.actions.length === 0) throw new GbpError('parse', `${file}: the bundle holds no action graph (go/actiongraph.json); nothing to replay`, { file });
    const workers = [...new Set(flags.workers)];
    const edited = flags.faster.length > 0 || flags.cut.length > 0;
    const base = simulate(model, { workers });
    const what = edited ? simulate(model, { workers, faster: flags.faster, cut: flags.cut }) : null;
    if (flags.json) {
      process.stdout.write(JSON.stringify({ baseline: base, whatIf: what }, null, 1) + '\n');
      return;
    }
    const out: string[] = [];
    out.push(`measured: wall ${fmtNs(base.measuredWallNs)} with ${base.realWorkers} workers (actions ${fmtNs(base.measuredSpanNs)}, outside them ${fmtNs(base.overheadNs)})`);
    const self = simulate(model, { workers: [base.realWorkers] }).runs[0];
    out.push(`replay at ${base.realWorkers} workers: ${fmtNs(self.predictedWallNs)} (${fmtPct((self.predictedWallNs - base.measuredWallNs) / base.measuredWallNs)} vs measured)`);
    if (what) for (const r of what.applied) out.push(`what-if ${r.rule}: ${r.matched} ${r.rule.startsWith('cut') ? 'edges removed' : 'actions changed'}${r.matched === 0 ? ' (matches nothing!)' : ''}`);
    if (what && what.removedActions) out.push(`what-if: ${what.removedActions} actions no longer needed`);
    out.push('');
    const head = ['workers', 'predicted wall', 'speed-up'];
    if (what) head.push('what-if wall', 'change');
    const w1 = base.runs.find((r) => r.workers === 1)?.predictedWallNs ?? base.overheadNs + base.totalWorkNs;
    const rows = base.runs.map((r, i) => {
      const row = [String(r.workers) + (r.workers === base.realWorkers ? '*' : ''), fmtNs(r.predictedWallNs), `${(w1 / r.predictedWallNs).toFixed(2)}×`];
      if (what) row.push(fmtNs(what.runs[i].predictedWallNs), fmtPct((what.runs[i].predictedWallNs - r.predictedWallNs) / r.predictedWallNs));
      return row;
    });
    out.push(table([head, ...rows]));
    out.push('', '* the worker count the build ran with. Durations are the measured ones: on fewer workers tools compete less');
    out.push('  for the CPU and run faster than measured, on more workers than cores slower; see the README.');
    process.stdout.write(termSafe(out.join('\n') + '\n'));
  });
}
