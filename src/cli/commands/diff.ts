// gbp diff BASE NEW: what changed between two builds, noise told apart from
// regressions; exits 3 on regressions so CI can gate on it.
import { InvalidArgumentError, type Command } from 'commander';
import { diffBuilds, DEFAULT_DIFF_OPTIONS, type BuildDiff, type DiffOptions, type MetricDelta } from '../../analyze/diff.ts';
import path from 'node:path';
import { writePprofFiles, type PprofFilesResult } from '../../exporters/pprof-files.ts';
import { prepareOutputDir } from '../../exporters/output-dir.ts';
import { addBundleOptions, parseCount, type BundleFlags } from '../bundle-options.ts';
import { fmtNs, fmtPct, table, termSafe } from '../format.ts';
import { loadModelFromFlags } from '../load-model.ts';

/** Exit status when the diff finds regressions (1 is an error, 2 bad usage). */
export const EXIT_REGRESSION = 3;

interface DiffFlags extends BundleFlags {
  baseRun: string[];
  newRun: string[];
  threshold: Partial<DiffOptions>;
  json?: boolean;
  pprof?: string;
  force?: boolean;
  top: number;
}

const DUR: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9 };

/** `10%`, `50ms`, or both: `10%,50ms`. */
export function parseThreshold(text: string): Partial<DiffOptions> {
  const out: Partial<DiffOptions> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    // e.g. "5%", "200ms", "1.5s"
    const m = /^(\d+(?:\.\d+)?)\s*(%|ns|us|µs|ms|s)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`'${part}' is not a threshold (try 10%, 50ms or 10%,50ms)`);
    if (m[2] === '%') out.relThreshold = Number(m[1]) / 100;
    else out.absThresholdNs = Number(m[1]) * DUR[m[2]];
  }
  return out;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerDiff(program: Command): void {
  addBundleOptions(
    program
      .command('diff')
      .description(`compare two builds: per-package and per-phase deltas, critical path and wall; exit ${EXIT_REGRESSION} on regressions`)
      .argument('<base>', 'the base bundle')
      .argument('<new>', 'the new bundle')
      .option('--base-run <bundle>', 'another run of the base build (repeatable): run-to-run spread counts as noise', collect, [])
      .option('--new-run <bundle>', 'another run of the new build (repeatable)', collect, [])
      .option('--threshold <spec>', `changes under this are noise: a percentage, a duration or both (default ${DEFAULT_DIFF_OPTIONS.relThreshold * 100}%,${DEFAULT_DIFF_OPTIONS.absThresholdNs / 1e6}ms)`, parseThreshold, {})
      .option('--json', 'print the diff as JSON')
      .option('--pprof <dir>', 'write the pprof files of each side into DIR/base and DIR/new, for go tool pprof -diff_base')
      .option('--force', 'overwrite files in the --pprof folder')
      .option('--top <n>', 'packages (and names) to list', parseCount, 15),
  ).action(async (baseFile: string, newFile: string, flags: DiffFlags) => {
    const base = [];
    for (const f of [baseFile, ...flags.baseRun]) base.push(await loadModelFromFlags(f, flags));
    const next = [];
    for (const f of [newFile, ...flags.newRun]) next.push(await loadModelFromFlags(f, flags));
    const d = diffBuilds(base, next, flags.threshold);
    if (flags.pprof) {
      // The same pprof files as gbp pprof, one folder per side: pairs for -diff_base.
      const res: PprofFilesResult[] = [];
      for (const [side, m] of [['base', base[0]], ['new', next[0]]] as const) {
        res.push(await writePprofFiles(m, await prepareOutputDir(path.join(flags.pprof, side), { force: flags.force })));
      }
      for (const f of res[1].written.map((p) => path.basename(p)).filter((f) => res[0].written.some((p) => path.basename(p) === f))) {
        process.stderr.write(`gbp: go tool pprof -diff_base ${path.join(flags.pprof, 'base', f)} ${path.join(flags.pprof, 'new', f)}\n`);
      }
    }
    process.stdout.write(flags.json ? JSON.stringify(d, null, 1) + '\n' : termSafe(renderDiff(d, flags.top)));
    if (d.regressions.length) process.exitCode = EXIT_REGRESSION;
  });
}

function deltaRow(label: string, m: MetricDelta): string[] {
  const spread = (r: [number, number] | null) => (r && r[0] !== r[1] ? ` [${fmtNs(r[0])}…${fmtNs(r[1])}]` : '');
  const verdict = m.verdict === 'noise' ? `noise (${m.reason === 'spread' ? 'within run-to-run spread' : 'under threshold'})` : m.verdict.toUpperCase();
  return [label, fmtNs(m.base) + spread(m.baseRange), fmtNs(m.new) + spread(m.newRange), m.delta == null ? '-' : (m.delta >= 0 ? '+' : '') + fmtNs(m.delta), fmtPct(m.relative), verdict];
}

/** The terminal report of a diff. */
export function renderDiff(d: BuildDiff, top: number): string {
  const out: string[] = [];
  out.push(`base: ${d.runs.base} run(s), new: ${d.runs.new} run(s); noise below ${d.options.relThreshold * 100}% or ${fmtNs(d.options.absThresholdNs)}${d.runs.base > 1 || d.runs.new > 1 ? ', or inside the runs\' spread' : ''}`);
  out.push('');
  out.push(table([['', 'base', 'new', 'delta', '', 'verdict'], ...d.totals.map((t) => deltaRow(t.metric, t))]));
  const cp = d.criticalPath;
  if (cp.entered.length || cp.left.length) {
    out.push('', `critical path changed: now through ${few(cp.entered, top)}; no longer through ${few(cp.left, top)}`);
  }
  const changed = d.packages.filter((p) => p.duration.verdict !== 'noise').slice(0, top);
  const added = d.packages.filter((p) => p.status === 'added');
  const removed = d.packages.filter((p) => p.status === 'removed');
  if (changed.length) {
    out.push('', 'packages beyond the noise:');
    out.push(table([['', 'base', 'new', 'delta', '', 'verdict'], ...changed.map((p) => deltaRow(p.importPath, p.duration))]));
  }
  if (added.length) out.push('', `added (${added.length}): ${added.slice(0, top).map((p) => p.importPath).join(', ')}${added.length > top ? ', …' : ''}`);
  if (removed.length) out.push('', `removed (${removed.length}): ${removed.slice(0, top).map((p) => p.importPath).join(', ')}${removed.length > top ? ', …' : ''}`);
  const ph = d.phases.filter((p) => p.verdict !== 'noise');
  if (ph.length) {
    out.push('', 'compiler phases beyond the noise (all packages):');
    out.push(table(ph.map((p) => deltaRow(p.metric, p))));
  }
  out.push('', d.regressions.length ? `${d.regressions.length} regression(s): ${few(d.regressions.map((r) => r.what), top)}` : 'no regressions');
  return out.join('\n') + '\n';
}

/** The first `n` names, then how many more. */
function few(names: string[], n: number): string {
  if (names.length === 0) return '-';
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')} and ${names.length - n} more`;
}
