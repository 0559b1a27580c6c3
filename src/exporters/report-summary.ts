// The numbers above the charts: wall, CPU, parallelism, critical path, top
// packages by time and by memory, and what went wrong while collecting.
import type { ChartContext } from '../charts/context.ts';
import { fmtBytes, fmtDuration } from '../charts/common.ts';
import type { MemoryPeak } from '../charts/memory.ts';
import type { ReportSummary } from './html-report.ts';

/** Summary of one build (and, with a base, the headline change). */
export function reportSummary(ctx: ChartContext, peak: MemoryPeak | undefined, baseCtx?: ChartContext): ReportSummary {
  const m = ctx.model;
  const wall = m.meta.wallNs;
  const cpu = totalCpu(ctx);
  const pkgs = perPackage(ctx);
  const facts: [string, string][] = [
    ['Wall time', `${fmtDuration(wall)}${m.meta.exitCode !== 0 ? ` (build failed, exit ${m.meta.exitCode ?? '?'})` : ''}`],
    ['CPU (tool runs, user + sys)', cpu == null ? 'unknown' : fmtDuration(cpu)],
    ['Parallelism (CPU / wall)', cpu == null || wall <= 0 ? 'unknown' : `${(cpu / wall).toFixed(2)}× on ${m.meta.host.cores} cores`],
    [
      'Critical path',
      ctx.critical ? `${fmtDuration(ctx.critical.lengthNs)} over ${ctx.critical.packages.length} packages (${wall > 0 ? ((ctx.critical.lengthNs / wall) * 100).toFixed(0) : '?'} % of wall)` : 'not available (no action graph)',
    ],
    ['Peak build RSS', peak ? `${fmtBytes(peak.totalBytes)} (${peak.package}, ${peak.tool}${peak.phase ? `, ~${peak.phase}` : ''})` : 'unknown'],
    ['Tool runs', `${ctx.runs.length} (${toolCounts(ctx)})`],
    ['Packages', `${m.packages.size || pkgs.size}`],
    ['Go', m.meta.goVersion || 'unknown'],
  ];
  if (m.cpu) facts.push(['CPU samples', `${m.cpu.totalSamples.toLocaleString('en-US')} (${m.cpu.event})`]);
  if (baseCtx) {
    const d = wall - baseCtx.model.meta.wallNs;
    facts.unshift(['Wall vs base', `${fmtDuration(baseCtx.model.meta.wallNs)} → ${fmtDuration(wall)} (${d >= 0 ? '+' : '−'}${fmtDuration(Math.abs(d))})`]);
  }
  const byTime = [...pkgs].sort((a, b) => b[1].wall - a[1].wall || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
  const byMem = [...pkgs].filter(([, v]) => v.rss > 0).sort((a, b) => b[1].rss - a[1].rss || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
  const tables: ReportSummary['tables'] = [
    { title: 'Top 5 packages by build time', columns: ['package', 'wall', 'CPU'], rows: byTime.map(([p, v]) => [p, fmtDuration(v.wall), v.cpu ? fmtDuration(v.cpu) : '–']) },
  ];
  if (byMem.length) tables.push({ title: 'Top 5 packages by peak RSS', columns: ['package', 'peak RSS', 'tool'], rows: byMem.map(([p, v]) => [p, fmtBytes(v.rss), v.rssTool]) });
  return { title: `go-build-profiler report: ${m.meta.argv.join(' ') || 'build'}`, facts, tables, alerts: alerts(ctx), warnings: warnings(ctx) };
}

function totalCpu(ctx: ChartContext): number | null {
  let sum = 0;
  let known = false;
  for (const r of ctx.runs) {
    if (r.cpuNs != null) {
      sum += r.cpuNs;
      known = true;
    }
  }
  return known ? sum : null;
}

function perPackage(ctx: ChartContext): Map<string, { wall: number; cpu: number; rss: number; rssTool: string }> {
  const out = new Map<string, { wall: number; cpu: number; rss: number; rssTool: string }>();
  for (const r of ctx.runs) {
    const k = r.package || `(${r.tool})`;
    const v = out.get(k) ?? { wall: 0, cpu: 0, rss: 0, rssTool: '' };
    v.wall += r.end - r.start;
    v.cpu += r.cpuNs ?? 0;
    if ((r.maxRssBytes ?? 0) > v.rss) {
      v.rss = r.maxRssBytes!;
      v.rssTool = r.tool;
    }
    out.set(k, v);
  }
  return out;
}

function toolCounts(ctx: ChartContext): string {
  const c = new Map<string, number>();
  for (const r of ctx.runs) c.set(r.tool, (c.get(r.tool) ?? 0) + 1);
  return [...c].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n} ${t}`).join(', ') || 'none';
}

/** What must not be missed: a failed build or an incomplete capture. */
function alerts(ctx: ChartContext): string[] {
  const m = ctx.model;
  const out: string[] = [];
  if (m.meta.exitCode !== 0) {
    // The build's own first error line says why; the rest is in the bundle's build/stderr.txt.
    const first = m.output.stderr.split('\n').find((l) => l.trim() && !l.startsWith('#'));
    out.push(`The build failed (exit ${m.meta.exitCode ?? 'unknown'})${first ? `: ${first.trim().slice(0, 300)}` : ''}`);
  }
  if (m.meta.incomplete) out.push('The capture is incomplete (interrupted, or a collector could not finish).');
  return out;
}

function warnings(ctx: ChartContext): string[] {
  const m = ctx.model;
  const out: string[] = [];
  for (const [name, c] of Object.entries(m.meta.collectors)) {
    if (c.status !== 'ok') out.push(`collector ${name}: ${c.status}${c.reason ? ` (${c.reason})` : ''}`);
  }
  for (const w of m.warnings) out.push(`${w.entry}${w.line != null ? `:${w.line}` : ''}: ${w.message}`);
  return out;
}
