// Benchmark: each importer on the sample bundles' entries, then loadBuild as
// a whole. Prints MB/s per importer, total load time and peak RSS (VmHWM).
//   node --import tsx scripts/bench-load.ts [BUNDLE...]   (default: samples/*.gbp.tgz)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { openBundle } from '../src/bundle/reader.ts';
import { ENTRY } from '../src/bundle/format.ts';
import { loadBuild } from '../src/importers/index.ts';
import { fileInput, type Input } from '../src/importers/input.ts';
import { parseGoList } from '../src/importers/go-list.ts';
import { parseActionGraph } from '../src/importers/actiongraph.ts';
import { parseToolexecLog } from '../src/importers/toolexec-log.ts';
import { parseProcSnapshots } from '../src/importers/proc-snapshots.ts';
import { parseCompileBench } from '../src/importers/compile-bench.ts';
import { parseGoTrace } from '../src/importers/go-trace.ts';

const ROUNDS = 5;
const root = new URL('..', import.meta.url).pathname;
const bundles = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(path.join(root, 'samples')).filter((f) => f.endsWith('.gbp.tgz')).map((f) => path.join(root, 'samples', f));
const parsers: [string, (i: Input) => Promise<unknown>][] = [
  [ENTRY.goList, parseGoList],
  [ENTRY.actionGraph, parseActionGraph],
  [ENTRY.toolexec, parseToolexecLog],
  [ENTRY.proc, parseProcSnapshots],
  [ENTRY.compileBench, parseCompileBench],
  [ENTRY.trace, parseGoTrace],
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hwmMiB = () => Number(/VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

for (const file of bundles) {
  const b = await openBundle(file);
  try {
    console.log(`${path.basename(file)}`);
    for (const [entry, parse] of parsers) {
      if (!b.has(entry)) continue;
      const mb = statSync(b.file(entry)).size / 1e6;
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t = performance.now();
        await parse(fileInput(b.file(entry)));
        times.push((performance.now() - t) / 1e3);
      }
      console.log(`  ${entry.padEnd(22)} ${mb.toFixed(2).padStart(7)} MB  ${(mb / median(times)).toFixed(0).padStart(5)} MB/s (median of ${ROUNDS})`);
    }
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await loadBuild(b);
      times.push((performance.now() - t) / 1e3);
    }
    console.log(`  loadBuild (all entries, joins)     ${(median(times) * 1e3).toFixed(0)} ms (median of ${ROUNDS})`);
  } finally {
    await b.close();
  }
}
console.log(`peak RSS ${hwmMiB().toFixed(0)} MiB`);
