// Property-based fuzzing of the bundle reader and every importer with
// fast-check. Each case may succeed or throw a GbpError; anything else, a case
// slower than --timeout-ms, a file left outside the reader's temporary folder,
// or a peak RSS above --max-rss-mb fails the run.
//
//   node --import tsx scripts/fuzz.ts --cases 10000            (CI: every target)
//   node --import tsx scripts/fuzz.ts --cases 500 --target bundle-reader --seed 42
//   node --import tsx scripts/fuzz.ts --json                   (one JSON summary line last)
import fc from 'fast-check';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GbpError } from '../src/errors.ts';
import { allTargets, makeSandbox, strayFiles, type FuzzContext } from './fuzz-targets.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    target: { type: 'string', multiple: true },
    seed: { type: 'string' },
    'timeout-ms': { type: 'string', default: '10000' },
    'max-rss-mb': { type: 'string', default: '1024' },
    'save-dir': { type: 'string', default: path.join(os.tmpdir(), 'gbp-fuzz-failures') },
    json: { type: 'boolean', default: false },
  },
});
const cases = Number(values.cases);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const timeout = Number(values['timeout-ms']);
const maxRssMb = Number(values['max-rss-mb']);
const wanted = values.target?.flatMap((t) => t.split(','));
const TARGETS = await allTargets(new URL('..', import.meta.url).pathname);
const targets = wanted ? TARGETS.filter((t) => wanted.includes(t.name)) : TARGETS;
if (!(cases > 0) || (wanted && targets.length !== wanted.length)) {
  console.error(`usage: fuzz.ts --cases N [--target ${TARGETS.map((t) => t.name).join('|')}] [--seed S]`);
  process.exit(2);
}

// Every temporary folder the code under test makes goes into the sandbox, so
// strayFiles() sees anything written or left behind.
const root = mkdtempSync(path.join(os.tmpdir(), 'gbp-fuzz-'));
const ctx: FuzzContext = { repo: new URL('..', import.meta.url).pathname, sandbox: makeSandbox(root) };
process.env.TMPDIR = path.join(root, 'tmp');

interface TargetReport {
  target: string;
  cases: number;
  seconds: number;
  outcomes: Record<string, number>;
  failure: string | null;
  stray: number;
}

const reports: TargetReport[] = [];
for (const t of targets) {
  const outcomes: Record<string, number> = {};
  let stray = 0;
  let last: unknown;
  let n = 0;
  const started = performance.now();
  let failure: string | null = null;
  await t.prepare?.(ctx);
  const arb = t.arbitrary(ctx);
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (input) => {
        last = input;
        n++;
        let label: string;
        try {
          label = await t.run(input, ctx);
        } catch (e) {
          if (!(e instanceof GbpError)) throw e;
          if (!e.message || /\n/.test(e.message)) throw new Error(`GbpError message is not one line: ${JSON.stringify(e.message)}`);
          label = `GbpError(${e.code})`;
        }
        outcomes[label] = (outcomes[label] ?? 0) + 1;
        const left = strayFiles(ctx);
        if (left.length) {
          stray += left.length;
          for (const f of left) rmSync(path.join(ctx.sandbox, f), { recursive: true, force: true });
          throw new Error(`files outside the reader's folder or left behind: ${left.join(', ')}`);
        }
      }),
      { numRuns: cases, seed, timeout, endOnFailure: true },
    );
  } catch (e) {
    mkdirSync(values['save-dir']!, { recursive: true });
    const saved = path.join(values['save-dir']!, `${t.name}-seed${seed}-case${n}.bin`);
    try {
      writeFileSync(saved, t.bytes(last));
    } catch {}
    const cause = (e as Error & { cause?: Error }).cause;
    const why = cause ? `${cause.stack ?? cause}`.split('\n').slice(0, 8).join('\n') : '';
    const clip = (t: string) => t.split('\n').map((l) => (l.length > 300 ? l.slice(0, 300) + '…' : l)).join('\n');
    failure = `${clip((e as Error).message.split('\n').slice(0, 4).join('\n'))}\n${clip(why)}\n  input saved to ${saved}`;
  }
  const seconds = (performance.now() - started) / 1000;
  reports.push({ target: t.name, cases: n, seconds, outcomes, failure, stray });
  const counts = Object.entries(outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(`${t.name}: ${n} cases in ${seconds.toFixed(1)} s (${Math.round(n / seconds)}/s); ${counts}`);
  if (failure) console.log(`${t.name}: FAILED (seed ${seed})\n${failure}`);
}
rmSync(root, { recursive: true, force: true });

const peakRssMb = process.resourceUsage().maxRSS / 1024;
const crashes = reports.filter((r) => r.failure).length;
const classes = [...new Set(reports.flatMap((r) => Object.keys(r.outcomes)))].sort();
const summary = {
  seed,
  inputsTried: reports.reduce((s, r) => s + r.cases, 0),
  errorClasses: classes.filter((c) => c.startsWith('GbpError')),
  outcomes: classes,
  filesOutside: reports.reduce((s, r) => s + r.stray, 0),
  crashes,
  peakRssMb: Math.round(peakRssMb),
  targets: reports.map(({ target, cases, seconds, outcomes }) => ({ target, cases, seconds: Math.round(seconds * 10) / 10, outcomes })),
};
console.log(
  `fuzz: seed ${seed}; ${summary.inputsTried} inputs; error classes ${summary.errorClasses.join(' ')}; files outside ${summary.filesOutside}; crashes ${crashes}; peak RSS ${summary.peakRssMb} MiB (limit ${maxRssMb})`,
);
if (values.json) console.log(JSON.stringify(summary));
if (crashes || peakRssMb > maxRssMb) process.exitCode = 1;
