// Golden files: compare text with a committed file, or rewrite it when
// UPDATE_GOLDENS=1. A mismatch names the first differing lines by number.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';

export const UPDATE = process.env.UPDATE_GOLDENS === '1';

/** Asserts `actual` equals the golden file at `file` (or writes it under UPDATE_GOLDENS=1). */
export function assertGolden(file: string, actual: string): void {
  if (UPDATE) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `${file} does not exist; run with UPDATE_GOLDENS=1 to create it`);
  const want = readFileSync(file, 'utf8');
  if (want === actual) return;
  const a = actual.split('\n');
  const w = want.split('\n');
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(a.length, w.length) && diffs.length < 10; i++) {
    if (a[i] !== w[i]) diffs.push(`line ${i + 1}:\n  - ${w[i] ?? '(end of file)'}\n  + ${a[i] ?? '(end of file)'}`);
  }
  assert.fail(`${file} differs (UPDATE_GOLDENS=1 to accept):\n${diffs.join('\n')}`);
}
