// gbp info [--json] BUNDLE: what a bundle holds, in a few lines.
import type { Command } from 'commander';
import { addBundleOptions, loadOptionsFromFlags, openBundleFromFlags, type BundleFlags } from '../bundle-options.ts';
import { termSafe } from '../format.ts';
import { summarizeBundle, type BundleSummary } from '../../bundle/summary.ts';
import { loadBuild } from '../../importers/index.ts';
import { modelFacts, type ModelFacts } from '../../analyze/model-facts.ts';
import { percent, symbolCoverage, type SymbolCoverage } from '../../analyze/symbol-coverage.ts';

export function registerInfo(program: Command): void {
  const cmd = program
    .command('info')
    .description('summarize a bundle: the build, the collectors, what was counted')
    .option('--json', 'machine-readable output')
    .argument('<bundle>', 'a *.gbp.tgz written by gbp capture');
  addBundleOptions(cmd).action(async (file: string, opts: { json?: boolean } & BundleFlags) => {
      const b = await openBundleFromFlags(file, opts);
      try {
        const s = await summarizeBundle(b);
        // What the importers made of it, beside the raw counts above (which do not use them).
        const m = await loadBuild(b, loadOptionsFromFlags(opts));
        const model = modelFacts(m);
        const symbols = m.cpu ? symbolCoverage(m.cpu) : null;
        process.stdout.write(opts.json ? JSON.stringify({ ...s, model, symbols }, null, 2) + '\n' : termSafe(human(s) + humanModel(model) + humanSymbols(symbols)));
      } finally {
        await b.close();
      }
    });
}

function human(s: BundleSummary): string {
  const sec = (ns: number) => `${(ns / 1e9).toFixed(2)} s`;
  const lines = [
    `${s.file}: ${s.format.name} v${s.format.version}, written by ${s.toolkit}${s.complete ? '' : `  [INCOMPLETE: ${s.incompleteReason ?? 'unknown'}]`}`,
    `build:    ${s.build.argv.join(' ')}`,
    `          in ${s.build.cwd}, started ${new Date(Number(BigInt(s.build.startNs) / 1_000_000n)).toISOString()}`,
    `result:   ${s.build.signal ? `killed by ${s.build.signal}` : `exit ${s.build.exitCode}`} after ${sec(s.build.wallNs)}`,
    `go:       ${s.build.goVersion || '(unknown)'}`,
    `host:     ${s.host.hostname}, ${s.host.cores} cores, ${s.host.kernel}`,
    `perf:     ${s.perf.event ? `${s.perf.event} at ${s.perf.frequency} Hz` : 'none'}`,
    `counts:   ${s.counts.packages ?? '?'} packages in go list; ${Object.values(s.counts.invocations).reduce((a, b) => a + b, 0)} tool runs (+${s.counts.probes} version probes)`,
    `          ${Object.entries(s.counts.invocations).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', ') || 'no tool runs'}`,
    `          ${s.counts.procSamples ?? 0} /proc samples of ${s.counts.procPids ?? 0} processes; ${s.counts.perfSamples ?? 0} perf samples`,
    'collectors:',
    ...Object.entries(s.collectors).map(([k, v]) => `  ${k.padEnd(13)} ${v.status.padEnd(8)}${v.reason ? ` ${v.reason}` : ''}`),
  ];
  return lines.join('\n') + '\n';
}

const WARNINGS_SHOWN = 5;

function humanModel(f: ModelFacts): string {
  const lines = [
    `model:    ${f.packages} packages (${f.roots.length} named on the command line), ${f.actions} actions (${f.actionsRun} ran commands)`,
    `          ${f.toolRuns} tool runs, ${f.toolRunsJoined} joined to their action; ${f.processes} processes in /proc; ${f.compiledPackages} packages with compiler phases; ${f.traceSpans} trace spans${f.cpuSamples === null ? '' : `; ${f.cpuSamples} CPU samples`}`,
    `warnings: ${f.warningCount === 0 ? 'none' : f.warningCount}`,
    ...f.warnings.slice(0, WARNINGS_SHOWN).map((w) => `  ${w.entry}${w.line ? `:${w.line}` : ''}: ${w.message}`),
  ];
  if (f.warningCount > WARNINGS_SHOWN) lines.push(`  … ${f.warningCount - WARNINGS_SHOWN} more (gbp info --json lists ${f.warnings.length})`);
  return lines.join('\n') + '\n';
}

/** How many CPU samples are fully named, and what the importer dropped as unwind garbage. */
function humanSymbols(c: SymbolCoverage | null): string {
  if (!c) return '';
  const g = c.unwindGarbage;
  const lines = [
    `symbols:  ${percent(c.fullyNamed, c.samples)} of ${c.samples} CPU samples fully named${c.goSamples ? `; in Go binaries: ${percent(c.goFullyNamed, c.goSamples)} of ${c.goSamples}` : ''}`,
    `          unwind garbage: ${g ? `${g.frames} frames dropped from ${g.samples} samples` : 'kept (--keep-unwind-garbage)'}`,
  ];
  if (c.unnamedByDso.length) lines.push(`          unnamed frames in: ${c.unnamedByDso.slice(0, 3).map((d) => `${d.dso} (${d.samples} samples)`).join(', ')}${c.unnamedByDso.length > 3 ? ', …' : ''}`);
  return lines.join('\n') + '\n';
}
