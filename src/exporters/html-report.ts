// The self-contained HTML report: one index.html with vega, vega-lite and
// vega-embed inlined from node_modules, every chart's spec as inline JSON,
// and a summary on top. It opens from file:// with no network: the CSP
// allows no origin at all, only our own inline scripts (by hash) and eval,
// which Vega's expression compiler needs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isChart, type ChartResult } from '../charts/common.ts';
import { escapeHtml, jsonForScript } from './html-escape.ts';

/** What the report says above the charts. All strings are plain text (escaped here). */
export interface ReportSummary {
  title: string;
  /** Label → value rows: wall, CPU, parallelism, critical path, … */
  facts: [string, string][];
  /** Small tables, e.g. top packages by time and by memory. */
  tables: { title: string; columns: string[]; rows: string[][] }[];
  /** Shown in a box above everything: a failed build, an incomplete capture. */
  alerts?: string[];
  warnings: string[];
}

const LIBS = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
] as const;

let libCache: string[] | null = null;

/** The three minified libraries, read once from node_modules. */
function libraries(): string[] {
  if (!libCache) {
    const req = createRequire(import.meta.url);
    // Each package's main file sits in its build/ folder, next to the .min.js.
    libCache = LIBS.map(([pkg, file]) => readFileSync(path.join(path.dirname(req.resolve(pkg)), file), 'utf8'));
  }
  return libCache;
}

/** Renders every chart and the summary into one HTML document string. */
export function renderHtmlReport(summary: ReportSummary, charts: ChartResult[]): string {
  const drawn = charts.filter(isChart);
  const specs = drawn.map((c) => ({ id: `chart-${c.name}`, name: c.name, rows: c.rows.length, spec: c.spec }));
  const boot = BOOT_SCRIPT;
  const scripts = [...libraries().map(scriptSafe), boot];
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`);
  const csp = [
    "default-src 'none'",
    `script-src ${hashes.join(' ')} 'unsafe-eval'`,
    // vega-embed and vega-tooltip add <style> elements and inline styles.
    "style-src 'unsafe-inline'",
    // "Save as PNG/SVG" in the chart menu produces data: and blob: URLs.
    'img-src data: blob:',
  ].join('; ');

  const sections = charts.map((c) =>
    isChart(c)
      ? `<section class="chart-section"><h2>${escapeHtml(c.question)}</h2><div class="chart" id="chart-${escapeHtml(c.name)}" data-chart="${escapeHtml(c.name)}"></div>` +
        `<p class="files">Spec: <code>charts/${escapeHtml(c.name)}.vl.json</code> · data: <code>tables/${escapeHtml(c.name)}.csv</code></p></section>`
      : `<section class="chart-section missing"><h2>${escapeHtml(c.question)}</h2><p>Not drawn: ${escapeHtml(c.reason)}.</p></section>`,
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(summary.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(summary.title)}</h1></header>
${(summary.alerts ?? []).map((a) => `<p class="alert">${escapeHtml(a)}</p>`).join('\n')}
<section class="summary">
<dl>${summary.facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>
${summary.tables.map(renderTable).join('\n')}
${renderWarnings(summary.warnings)}
</section>
${sections.join('\n')}
<footer>Written by go-build-profiler. Every chart's Vega-Lite spec (with its data) is in <code>charts/</code>, the data as CSV in <code>tables/</code>.</footer>
<script type="application/json" id="gbp-specs">${jsonForScript(specs)}</script>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`;
}

/** A library must not end our <script> element early. */
function scriptSafe(src: string): string {
  return src.replace(/<\/(script)/gi, '<\\/$1');
}

function renderTable(t: ReportSummary['tables'][number]): string {
  return `<table class="top"><caption>${escapeHtml(t.title)}</caption><thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function renderWarnings(w: string[]): string {
  if (w.length === 0) return '<p class="warnings ok">No collector warnings.</p>';
  const shown = w.slice(0, 50);
  return `<details class="warnings"><summary>${w.length} collector warning${w.length === 1 ? '' : 's'}</summary><ul>${shown
    .map((x) => `<li>${escapeHtml(x)}</li>`)
    .join('')}</ul>${w.length > shown.length ? `<p>… and ${w.length - shown.length} more (see <code>gbp info</code>).</p>` : ''}</details>`;
}

// Runs in the page: embed each spec, then publish what rendered (marks per
// chart, errors) on window.gbpReport so a headless browser can check it.
const BOOT_SCRIPT = `(async () => {
  const specs = JSON.parse(document.getElementById('gbp-specs').textContent);
  const report = { done: false, charts: [], errors: [] };
  window.gbpReport = report;
  // Items drawn by data-driven marks (not axes, legends or titles).
  const countMarks = (mark) => {
    let n = mark.marktype !== 'group' && mark.role === 'mark' ? mark.items.length : 0;
    for (const item of mark.items || []) for (const child of item.items || []) n += countMarks(child);
    return n;
  };
  for (const s of specs) {
    const el = document.getElementById(s.id);
    try {
      // Canvas keeps big charts (flame graphs) responsive; SVG elsewhere.
      const renderer = s.rows > 4000 ? 'canvas' : 'svg';
      const res = await vegaEmbed(el, s.spec, { renderer, actions: { export: true, source: false, compiled: false, editor: false } });
      report.charts.push({ name: s.name, renderer, marks: countMarks(res.view.scenegraph().root) });
    } catch (e) {
      report.errors.push(s.name + ': ' + (e && e.message ? e.message : String(e)));
      el.textContent = 'This chart failed to render: ' + (e && e.message ? e.message : String(e));
      console.error(e);
    }
  }
  report.done = true;
})();`;

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 16px 24px; max-width: 1180px; color: #222; }
h1 { font-size: 22px; margin: 8px 0 12px; word-break: break-all; }
h2 { font-size: 17px; margin: 28px 0 6px; border-top: 1px solid #ddd; padding-top: 14px; }
dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px 16px; margin: 0 0 12px; }
dl div { background: #f5f6f8; border-radius: 6px; padding: 6px 10px; }
dt { font-size: 12px; color: #666; } dd { margin: 0; font-size: 16px; font-weight: 600; word-break: break-word; }
table.top { border-collapse: collapse; margin: 8px 24px 8px 0; display: inline-table; vertical-align: top; font-size: 13px; }
table.top caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
table.top th, table.top td { border-bottom: 1px solid #e4e4e4; padding: 2px 8px; text-align: left; }
table.top td:nth-child(n+2) { text-align: right; font-variant-numeric: tabular-nums; }
.warnings { margin: 8px 0; } .warnings.ok { color: #2a7; }
.missing p { color: #888; }
.alert { background: #fdecea; border-left: 4px solid #d62728; padding: 8px 12px; margin: 8px 0; font-weight: 600; word-break: break-word; }
.files { font-size: 12px; color: #777; margin: 2px 0; }
footer { margin-top: 36px; font-size: 12px; color: #777; }
.chart { overflow-x: auto; }
`;
