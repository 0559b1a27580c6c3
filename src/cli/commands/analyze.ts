// gbp analyze BUNDLE: what is holding the build back, readable at a glance.
import type { Command } from 'commander';
import { analyzeBuild, type BuildAnalysis } from '../../analyze/summary.ts';
import type { BuildModel } from '../../model/types.ts';
import { addBundleOptions, parseCount, type BundleFlags } from '../bundle-options.ts';
import { fmtBytes, fmtChain, fmtNs, table, termSafe } from '../format.ts';
import { loadModelFromFlags } from '../load-model.ts';

interface AnalyzeFlags extends BundleFlags {
  json?: boolean;
  top: number;
}

export function registerAnalyze(program: Command): void {
  addBundleOptions(
    program
      .command('analyze')
      .description('critical path, parallelism, slowest packages and phases, peak memory')
      .argument('<bundle>', 'a *.gbp.tgz from gbp capture')
      .option('--json', 'print every analysis as JSON')
      .option('--top <n>', 'rows per list', parseCount, 10),
  ).action(async (file: string, flags: AnalyzeFlags) => {
    const model = await loadModelFromFlags(file, flags);
    const a = analyzeBuild(model);
    process.stdout.write(flags.json ? JSON.stringify(a, jsonReplacer, 1) + '\n' : termSafe(renderAnalysis(model, a, flags.top)));
  });
}

/** Maps and typed arrays as plain JSON. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries(v);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

/** The terminal summary. */
export function renderAnalysis(model: BuildModel, a: BuildAnalysis, top: number): string {
  const s = a.summary;
  const out: string[] = [];
  const x = (v: number) => `${v.toFixed(2)}×`;
  out.push(`build  ${model.meta.argv.join(' ')}`);
  out.push(`       ${model.meta.goVersion || 'go ?'}, ${s.cores} cores, ${s.workers} workers (-p), ${s.builtPackages} of ${s.packages} packages built, import depth ${s.maxDepth}`);
  out.push('');
  out.push(`wall ${fmtNs(s.wallNs)}   cpu ${fmtNs(s.cpuNs)} (${x(s.cpuParallelism)} cores busy)   actions ${fmtNs(s.actionTimeNs)} over ${fmtNs(s.actionSpanNs)}`);
  out.push(`parallelism: achieved ${x(s.achievedParallelism)} of ${s.workers} workers; the graph allows ${x(s.possibleParallelism)} (action time / critical path)`);
  out.push(`critical path ${fmtNs(s.criticalPathNs)} (${pct(s.criticalPathNs, s.wallNs)} of wall), ${a.criticalPath.steps.length} steps`);
  if (s.actionSpanNs > 0) out.push(`ready queue: on average ${(s.queueNs / s.actionSpanNs).toFixed(1)} actions were ready and waiting for a free worker`);
  const bound = s.possibleParallelism <= s.workers * 1.05
    ? 'the dependency chain, not the worker count, bounds this build: more cores will not help much'
    : `with more workers the build could approach ${fmtNs(s.criticalPathNs)}`;
  out.push(`  → ${bound}`);

  const steps = a.criticalPath.steps.filter((st) => st.durationNs > 0).sort((p, q) => q.durationNs - p.durationNs).slice(0, top);
  if (steps.length) {
    out.push('', `top of the critical path (import chain from the root):`);
    out.push(table(steps.map((st) => [fmtNs(st.durationNs), st.mode, st.package || '-', fmtChain(st.chain)])));
  }

  const pk = a.stages.packages.filter((p) => p.durationNs > 0).sort((p, q) => q.durationNs - p.durationNs).slice(0, top);
  if (pk.length) {
    out.push('', 'slowest packages:');
    const slack = new Map(a.criticalPath.actions.map((t) => [t.id, t]));
    out.push(table([
      ['time', 'cpu', 'peak rss', 'wait', 'depth', 'height', 'slack', 'package'],
      ...pk.map((p) => {
        const sl = p.actionIds.map((id) => slack.get(id)).filter((t) => t && t.mode === 'build')[0];
        return [fmtNs(p.durationNs), fmtNs(p.cpuNs), fmtBytes(p.peakRssBytes), fmtNs(p.queueNs), String(p.depth), String(p.height), sl ? (sl.critical ? 'critical' : fmtNs(sl.slackNs)) : '-', p.importPath];
      }),
    ]));
  }

  if (s.phases.length) {
    const tot = s.phases.reduce((q, p) => q + p.ns, 0);
    out.push('', 'compiler phases (all packages):');
    out.push(table(s.phases.slice(0, top).map((p) => [fmtNs(p.ns), pct(p.ns, tot), p.phase])));
  }

  out.push('');
  out.push(s.peakRss ? `peak memory ${fmtBytes(s.peakRss.bytes)}: ${s.peakRss.tool || 'tool'} of ${s.peakRss.package}` : 'peak memory: not captured');
  const rho = a.stages.heightVsCompile;
  out.push(`height vs compile time: Spearman ρ = ${rho.rho == null ? 'n/a' : rho.rho.toFixed(2)} over ${rho.n} packages (1 = packages with more below them always take longer)`);
  const lv = a.stages.levels.filter((l) => l.totalNs > 0).sort((p, q) => q.totalNs - p.totalNs)[0];
  if (lv) out.push(`busiest depth: ${lv.depth} (${lv.built} built, ${fmtNs(lv.totalNs)} of compile, ${lv.parallelism?.toFixed(2) ?? '-'}× parallel, slowest ${lv.slowest})`);
  if (a.warnings) out.push(`warnings while reading: ${a.warnings} (see --json or gbp info)`);
  return out.join('\n') + '\n';
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(0)}%` : '-';
}
