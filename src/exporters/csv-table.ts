// CSV for the tables behind the charts: papaparse, with formula escaping so a
// package named `=HYPERLINK(...)` stays text when a spreadsheet opens it.
import Papa from 'papaparse';

/** Rows → CSV text (header from the first row's keys plus any later ones), LF line ends. */
export function toCsv(rows: Record<string, unknown>[]): string {
  const fields: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), fields.push(k));
  return Papa.unparse({ fields, data: rows.map((r) => fields.map((f) => r[f] ?? '')) }, { escapeFormulae: true, newline: '\n' }) + '\n';
}
