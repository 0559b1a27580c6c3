// Human formatting for terminal output: durations, sizes, fixed-width tables.

/** `1.23 s`, `456 ms`, `12.3 µs`, `87 ns` (input in ns; sign kept). */
export function fmtNs(ns: number | null | undefined): string {
  if (ns == null || !Number.isFinite(ns)) return '-';
  const a = Math.abs(ns);
  const sign = ns < 0 ? '-' : '';
  if (a >= 60e9) return `${sign}${Math.floor(a / 60e9)}m${((a % 60e9) / 1e9).toFixed(1).padStart(4, '0')}s`;
  if (a >= 1e9) return `${sign}${(a / 1e9).toFixed(2)} s`;
  if (a >= 1e6) return `${sign}${(a / 1e6).toFixed(a >= 1e8 ? 0 : 1)} ms`;
  if (a >= 1e3) return `${sign}${(a / 1e3).toFixed(1)} µs`;
  return `${sign}${Math.round(a)} ns`;
}

/** `12.3 MiB` style sizes (input in bytes). */
export function fmtBytes(b: number | null | undefined): string {
  if (b == null || !Number.isFinite(b)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** `+12.5%` / `-3.0%`, or `-` when unknown. */
export function fmtPct(fraction: number | null | undefined): string {
  if (fraction == null || !Number.isFinite(fraction)) return '-';
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}

/**
 * Text for the terminal with every control character but newline escaped
 * (\x1b → `\x1b`): package names, paths and warnings come from bundles, and
 * must not move the cursor, recolour or retitle the user's terminal.
 */
export function termSafe(text: string): string {
  return text.replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, (c) => (c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** Rows as aligned columns; numbers-looking columns are right-aligned. */
export function table(rows: string[][], indent = '  '): string {
  if (rows.length === 0) return '';
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const right = rows[0].map((_, c) => rows.every((r) => /^[-+]?[\d.]+( ?[a-zµA-Z%]+)?$|^-$|^$/.test(r[c] ?? '')));
  return rows
    .map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : right[c] ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join('  ').trimEnd())
    .join('\n');
}

/** An import chain shortened for one line: `a > … > y > z` when longer than `max` links. */
export function fmtChain(chain: string[], max = 4): string {
  if (chain.length <= max) return chain.join(' > ');
  return [chain[0], '…', ...chain.slice(chain.length - (max - 2))].join(' > ');
}
