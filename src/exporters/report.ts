// `gbp report`: index.html, charts/<name>.vl.json + .svg and tables/*.csv,
// all written through the output folder guard.
import type { BuildModel } from '../model/types.ts';
import { buildCharts, type ChartsOptions } from '../charts/index.ts';
import { isChart } from '../charts/common.ts';
import type { MemoryPeak } from '../charts/memory.ts';
import type { OutputDir } from './output-dir.ts';
import { renderHtmlReport } from './html-report.ts';
import { renderSvg } from './chart-svg.ts';
import { toCsv } from './csv-table.ts';
import { reportSummary } from './report-summary.ts';

/** Options of writeReport; defaults in DEFAULT_REPORT_OPTIONS. */
export interface ReportOptions {
  /** Also write charts/<name>.svg (headless render; the slowest part for big flame graphs). */
  svg: boolean;
  charts: Partial<ChartsOptions>;
}

/** Headless SVGs on, default chart options. */
export const DEFAULT_REPORT_OPTIONS: ReportOptions = { svg: true, charts: {} };

/** What writeReport wrote (paths relative to the output folder) and what it left out. */
export interface ReportResult {
  files: string[];
  missing: { name: string; reason: string }[];
}

/** Writes the report of `model` (compared with `base` when given) into `out`. */
export async function writeReport(out: OutputDir, model: BuildModel, base?: BuildModel, opts: Partial<ReportOptions> = {}): Promise<ReportResult> {
  const o = { ...DEFAULT_REPORT_OPTIONS, ...opts };
  const { ctx, baseCtx, charts } = buildCharts(model, base, o.charts);
  const files: string[] = [];
  const write = async (rel: string, data: string) => {
    await out.write(rel, data);
    files.push(rel);
  };
  const peak = charts.find((c): c is typeof c & { peak: MemoryPeak } => 'peak' in c && !!c.peak)?.peak;
  await write('index.html', renderHtmlReport(reportSummary(ctx, peak, baseCtx), charts));
  for (const c of charts.filter(isChart)) {
    await write(`charts/${c.name}.vl.json`, JSON.stringify(c.spec, null, 1) + '\n');
    if (o.svg) await write(`charts/${c.name}.svg`, await renderSvg(c.spec));
    await write(`tables/${c.name}.csv`, toCsv(c.rows));
    for (const [k, rows] of Object.entries(c.extra ?? {})) await write(`tables/${c.name}-${k}.csv`, toCsv(rows));
  }
  return { files, missing: charts.filter((c) => !isChart(c)).map((c) => ({ name: c.name, reason: (c as { reason: string }).reason })) };
}
