// The bundle writer: a bundle appears under its name only when complete, and
// the temporary files of a writer that was killed (SIGKILL cannot be caught)
// are removed by the next writer of the same bundle, never those of a live one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBundleWriter } from '../src/bundle/writer.ts';

test('a killed writer\'s temporary file is removed by the next writer of that bundle; a live writer\'s and other bundles\' are kept', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gbp-writer-test-'));
  try {
    // A pid that is surely gone: a child that already exited.
    const dead = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const stale = `.gbp-tmp-${dead}-1700000000000-b.gbp.tgz`;
    const live = `.gbp-tmp-${process.ppid}-1700000000000-b.gbp.tgz`; // the test runner: alive
    const other = `.gbp-tmp-${dead}-1700000000000-other.gbp.tgz`;
    for (const n of [stale, live, other]) writeFileSync(path.join(dir, n), 'half a bundle');
    const w = await createBundleWriter(path.join(dir, 'b.gbp.tgz'));
    const during = readdirSync(dir);
    assert.ok(!during.includes(stale), 'the dead writer\'s temporary file is gone');
    assert.ok(during.includes(live) && during.includes(other));
    await w.addBuffer('manifest.json', '{}');
    await w.finish();
    assert.deepEqual(readdirSync(dir).sort(), [live, other, 'b.gbp.tgz'].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
