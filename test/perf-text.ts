// Independent views of perf text for tests: counted with plain string and
// regex work, sharing no code with the importer they check.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const PERF_FIXTURES = new URL('./fixtures/perf/', import.meta.url).pathname;

/** The file's text, gunzip'd when needed. */
export function fixtureText(name: string): string {
  const raw = readFileSync(PERF_FIXTURES + name);
  return (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

/** Independent count: event lines are the non-blank lines that are neither frames (tab) nor `#` headers. */
export function eventLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !l.startsWith('\t') && !l.startsWith('#'));
}

/** Independent sum of the period column (the number right before `event:`); null when the layout has none. */
export function periodSum(lines: string[]): number | null {
  let sum = 0;
  for (const l of lines) {
    const m = /\s(\d+)\s+[a-z][\w-]*(?::\w+)?:(\s|$)/.exec(l);
    if (!m) return null;
    sum += Number(m[1]);
  }
  return sum;
}

/** The tid of an event line: the number before the optional [cpu], time, period and `event:`. */
export function eventTid(line: string): number {
  const m = /^\s*.+?\s(\d+)(?:\/(\d+))?\s+(?:\[\d+\]\s+)?(?:\d+\.\d+:\s+)?(?:\d+\s+)?[a-z][\w-]*(?::\w+)?:/.exec(line);
  if (!m) throw new Error(`no tid in ${line}`);
  return Number(m[2] ?? m[1]);
}
