// The perf parser of another checkout against this one's, alternating in one
// process, so both see the same minutes of a machine whose speed drifts
// (a small change hides in the drift between two bench runs).
//
//   node --import tsx scripts/bench-parse-ab.ts OTHER_CHECKOUT FILE.txt [RUNS]
//
// OTHER_CHECKOUT: e.g. `git worktree add /tmp/old <rev>`, with node_modules
// linked in. RUNS (default 10) parses of FILE by each, alternating; prints
// each side's median and best wall time in ms.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePerfScriptStacks as ours } from '../src/importers/perf-script.ts';

const [other, file, runs = '10'] = process.argv.slice(2);
if (!other || !file) {
  console.error('usage: node --import tsx scripts/bench-parse-ab.ts OTHER_CHECKOUT FILE.txt [RUNS]');
  process.exit(2);
}
const theirs = ((await import(pathToFileURL(path.resolve(other, 'src/importers/perf-script.ts')).href)) as { parsePerfScriptStacks: typeof ours }).parsePerfScriptStacks;

const times = { other: [] as number[], this: [] as number[] };
for (let i = 0; i < Number(runs); i++) {
  for (const [side, parse] of [['other', theirs], ['this', ours]] as const) {
    const t0 = performance.now();
    const r = await parse(file, {});
    times[side].push(performance.now() - t0);
    if (r.stacks.totalSamples === 0) throw new Error(`${side}: no samples in ${file}`);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
for (const [side, v] of Object.entries(times)) console.log(`${side === 'other' ? other : 'this checkout'}: median ${median(v).toFixed(0)} ms, best ${Math.min(...v).toFixed(0)} ms (${v.length} parses)`);
