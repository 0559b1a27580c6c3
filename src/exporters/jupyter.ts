// Jupyter display bundles (MIME type → data) for charts and tables. Plain
// data, no kernel needed. In a Deno notebook show one with
// `await Deno.jupyter.display(bundle, { raw: true })`. Await it, and do not
// rely on a bundle as the cell's bare value: under load, Deno 2.9 sends a
// cell's value after the kernel reports idle, and nbconvert then drops it
// (7 to 10 of 40 cells lost per run here; 0 of 80 with awaited display).

import { escapeHtml } from './html-escape.ts';

/** The MIME type JupyterLab, VS Code and nteract render Vega-Lite with. */
export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

/** A Jupyter MIME bundle, as `display_data` carries it. */
export type MimeBundle = Record<string, unknown>;

type Cell = string | number | boolean | bigint | null | undefined;

/**
 * A Vega-Lite chart as a display bundle. Accepts a spec, or any object with a
 * `spec` (a chart builder's result). The `text/plain` fallback names the chart.
 */
export function vegaLiteOutput(chart: object | { spec: object }): MimeBundle {
  const spec = 'spec' in chart && typeof chart.spec === 'object' && chart.spec !== null ? chart.spec : chart;
  const title = (spec as { title?: unknown }).title;
  const name = typeof title === 'string' ? title : typeof (title as { text?: unknown })?.text === 'string' ? (title as { text: string }).text : 'chart';
  return { [VEGA_LITE_MIME]: spec, 'text/plain': `[Vega-Lite chart: ${name}]` };
}

/** How tableOutput shows rows; defaults in DEFAULT_TABLE_OPTIONS. */
export interface TableOptions {
  /** Columns to show, in order; default: the keys of the first row. */
  columns: string[] | null;
  /** Column headings, by column key; default: the key. */
  headings: Record<string, string>;
  /** Cell formatters, by column key; default: numbers with thousands separators. */
  format: Record<string, (v: any) => string>;
  /** Rows shown at most; a final line says how many were left out. */
  limit: number;
  caption: string | null;
}

/** Keys of the first row as columns, numbers with separators, at most 50 rows. */
export const DEFAULT_TABLE_OPTIONS: TableOptions = { columns: null, headings: {}, format: {}, limit: 50, caption: null };

/** A table of rows (plain objects) as a display bundle: HTML, and tab-separated text as fallback. */
export function tableOutput(rows: readonly Record<string, any>[], opts: Partial<TableOptions> = {}): MimeBundle {
  const o = { ...DEFAULT_TABLE_OPTIONS, ...opts };
  const cols = o.columns ?? Object.keys(rows[0] ?? {});
  const shown = rows.slice(0, o.limit);
  const cell = (c: string, v: Cell) => (o.format[c] ? o.format[c](v) : formatCell(v));
  const more = rows.length > shown.length ? `${rows.length - shown.length} more rows not shown` : null;
  const numeric = cols.map((c) => shown.some((r) => typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const align = (i: number) => (numeric[i] ? ' style="text-align:right"' : '');
  const html = [
    '<table>',
    o.caption === null ? '' : `<caption>${escapeHtml(o.caption)}</caption>`,
    `<thead><tr>${cols.map((c, i) => `<th${align(i)}>${escapeHtml(o.headings[c] ?? c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...shown.map((r) => `<tr>${cols.map((c, i) => `<td${align(i)}>${escapeHtml(cell(c, r[c]))}</td>`).join('')}</tr>`),
    '</tbody>',
    more === null ? '' : `<tfoot><tr><td colspan="${cols.length}">${more}</td></tr></tfoot>`,
    '</table>',
  ].join('');
  const text = [cols.map((c) => o.headings[c] ?? c), ...shown.map((r) => cols.map((c) => cell(c, r[c])))].map((l) => l.join('\t')).join('\n');
  return { 'text/html': html, 'text/plain': more === null ? text : `${text}\n(${more})` };
}

function formatCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return String(v);
}
