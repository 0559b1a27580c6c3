// The tables behind the charts as CSV, through the shared tidy-CSV writer.
import { tableToCsv } from './csv.ts';

/** Rows (objects) → CSV text: header from the keys in first-seen order, formulae escaped. */
export function toCsv(rows: Record<string, string | number | boolean | null>[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), columns.push(k));
  return tableToCsv({ name: '', columns, rows: rows.map((r) => columns.map((c) => r[c] ?? null)) });
}
