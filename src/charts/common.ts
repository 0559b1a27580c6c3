// Shared pieces of every chart: the output shape, units and axes.
// Charts are plain Vega-Lite data; nothing here touches the DOM or a renderer.
import type { TopLevelSpec } from 'vega-lite';

/** One chart: its Vega-Lite spec (data inline) and the table behind it. */
export interface Chart {
  /** File stem: `charts/<name>.vl.json`, `charts/<name>.svg`, `tables/<name>.csv`. */
  name: string;
  /** The question the chart answers; also the section heading in the report. */
  question: string;
  spec: TopLevelSpec;
  /** The rows the spec plots, one object per row (same objects as in the spec's data). */
  rows: Row[];
  /** Further tables the spec plots (e.g. the concurrency band), written as `tables/<name>-<key>.csv`. */
  extra?: Record<string, Row[]>;
}

/** One row of a chart's data table. */
export type Row = Record<string, string | number | boolean | null>;

/** A chart that could not be drawn from this bundle, with the reason. */
export interface MissingChart {
  name: string;
  question: string;
  reason: string;
}

/** What a chart builder returns: a chart, or the reason it is missing. */
export type ChartResult = Chart | MissingChart;

/** true when the builder drew a chart, false when it says why it could not. */
export function isChart(c: ChartResult): c is Chart {
  return 'spec' in c;
}

/** The `$schema` of every chart spec (Vega-Lite 6). */
export const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Build-relative ns → ms, rounded to µs so specs stay small and stable. */
export function ms(ns: number): number {
  return Math.round(ns / 1e3) / 1e3;
}

/** Bytes → MB (10^6), rounded to 1 kB. */
export function mb(bytes: number): number {
  return Math.round(bytes / 1e3) / 1e3;
}

/**
 * The x axis for build time. Values are ms since build start on a linear
 * scale (nice ms ticks are nice seconds), labelled as elapsed time: seconds
 * for short builds, m:ss (UTC formatting, so never the machine's timezone)
 * for long ones. A temporal scale was tried first: its axis dropped most
 * ticks for domains starting at the epoch.
 */
export function timeAxisX(field: string, wallNs: number, title = 'time since build start') {
  const unit = wallNs >= 3600e9 ? 'h:mm:ss' : wallNs >= 120e9 ? 'm:ss' : 's';
  const labelExpr =
    unit === 's' ? "format(datum.value / 1000, ',.2~f')" : `utcFormat(datum.value, '${unit === 'm:ss' ? '%M:%S' : '%H:%M:%S'}')`;
  return {
    field,
    type: 'quantitative' as const,
    axis: { title: `${title} (${unit})`, labelExpr, tickCount: 8 },
  };
}

/** The time scale from build start to `endMs`, not rounded outward. */
export function timeScale(endMs: number) {
  return { domain: [0, endMs], nice: false, zero: true };
}

/** An interval selection bound to the x scale: drag to pan, wheel to zoom. */
export function zoomX(name = 'zoom') {
  return { name, select: { type: 'interval' as const, encodings: ['x' as const] }, bind: 'scales' as const };
}

/** Shortens long import paths for axis labels (the full name stays in tooltips). */
export const LABEL_LIMIT = 260;

/** Common top-level bits: schema, width, config. */
export function base(title: string, subtitle?: string | string[]) {
  return {
    $schema: VL_SCHEMA,
    title: subtitle ? { text: title, subtitle, anchor: 'start' as const } : { text: title, anchor: 'start' as const },
    config: {
      view: { stroke: null },
      axis: { labelLimit: LABEL_LIMIT, labelFontSize: 11, titleFontSize: 12 },
      title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555' },
    },
  };
}

/** Human-readable duration for summaries: 812 ms, 17.4 s, 2 m 05 s. */
export function fmtDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '–';
  if (ns < 1e6) return `${(ns / 1e3).toFixed(0)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(0)} ms`;
  if (ns < 60e9) return `${(ns / 1e9).toFixed(1)} s`;
  const s = Math.round(ns / 1e9);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

/** Human-readable size: 950 kB, 186.2 MB, 3.10 GB (decimal units, as on the axes). */
export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return '–';
  if (b < 1e6) return `${(b / 1e3).toFixed(0)} kB`;
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e9).toFixed(2)} GB`;
}

// Fixed colours per tool, so compile is the same blue in every chart and red
// stays free for the critical path and peaks.
const TOOL_COLORS: Record<string, string> = {
  compile: '#4c78a8',
  asm: '#72b7b2',
  link: '#b279a2',
  cgo: '#54a24b',
  gcc: '#9d755d',
  cc: '#9d755d',
  pack: '#ff9da6',
  vet: '#f58518',
  go: '#eeca3b',
};
const SPARE_COLORS = ['#bab0ac', '#79706e', '#d4a6c8', '#9ecae9', '#ffbf79', '#88d27a'];

/** A colour scale over the tools present, each tool with its fixed colour. */
export function toolColorScale(tools: Iterable<string>) {
  const domain = [...new Set(tools)].sort();
  let spare = 0;
  return { domain, range: domain.map((t) => TOOL_COLORS[t] ?? SPARE_COLORS[spare++ % SPARE_COLORS.length]) };
}
