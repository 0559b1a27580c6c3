// Every fuzz target: what it feeds, and what counts as a pass. The contract
// for all of them: only a GbpError may escape, a result's warnings name their
// entry, and nothing is written outside the reader's temporary folder.
import fc from 'fast-check';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openBundle } from '../src/bundle/reader.ts';
import { checkManifest } from '../src/bundle/manifest-check.ts';
import { readerCases, readerSeeds, type ReaderCase } from './fuzz-reader.ts';
import { structuredNoise } from './fuzz-inputs.ts';
import { validManifest } from './hostile-cases.ts';
import { discoveredImporterTargets, IMPORTER_TARGETS, SIDECAR_TARGET } from './fuzz-importers.ts';

export interface FuzzContext {
  repo: string;
  /** Sandbox whose `tmp/` is TMPDIR for the run; only `in/` and `tmp/` may exist in it. */
  sandbox: string;
}

export interface FuzzTarget<T = unknown> {
  name: string;
  /** What the target exercises, for the report. */
  what: string;
  /** Loads seeds (sample bundles, fixtures) before the run. */
  prepare?(ctx: FuzzContext): Promise<void>;
  arbitrary(ctx: FuzzContext): fc.Arbitrary<T>;
  /** Runs one case; returns an outcome label ('ok', 'warnings', …); throws only GbpError. */
  run(input: T, ctx: FuzzContext): Promise<string>;
  /** The bytes to save when a case fails, so it can be replayed. */
  bytes(input: T): Buffer;
}

const reader: FuzzTarget<ReaderCase> = {
  name: 'bundle-reader',
  what: 'openBundle on random bytes, hostile tars and mutated real bundles, with random caps and --partial',
  arbitrary: (ctx) => readerCases(readerSeeds(ctx.repo)),
  async run({ bytes, opts }, ctx) {
    const file = path.join(ctx.sandbox, 'in', 'case.gbp.tgz');
    writeFileSync(file, bytes);
    const b = await openBundle(file, opts);
    try {
      // What was kept must be readable, with the sizes the reader reports.
      for (const [name, size] of b.entries) if ((await b.text(name)).length > size) throw new Error(`entry ${name} larger than reported`);
    } finally {
      await b.close();
    }
    return b.damage ? 'ok-partial' : 'ok';
  },
  bytes: (c) => c.bytes,
};

const manifest: FuzzTarget<unknown> = {
  name: 'manifest-check',
  what: 'checkManifest on random JSON values and valid manifests with fields replaced',
  arbitrary: () =>
    fc.oneof(
      fc.jsonValue(),
      fc.tuple(fc.constantFrom(...Object.keys(validManifest())), fc.jsonValue()).map(([k, v]) => validManifest({ [k]: v })),
      fc.tuple(fc.constantFrom('host', 'build', 'go', 'perf', 'collectors'), fc.string({ maxLength: 12 }), fc.jsonValue()).map(([k, f, v]) => {
        const m = validManifest();
        (m[k] as Record<string, unknown>)[f] = v;
        return m;
      }),
      structuredNoise.map((s) => {
        try {
          return JSON.parse(s);
        } catch {
          return s;
        }
      }),
    ),
  async run(input) {
    checkManifest(input, 'fuzz.gbp.tgz');
    return 'ok';
  },
  bytes: (v) => Buffer.from(JSON.stringify(v) ?? 'undefined'),
};

/** The targets that need no discovery, in the order the fuzzer runs them. */
export const TARGETS: FuzzTarget<any>[] = [reader, manifest, ...IMPORTER_TARGETS, SIDECAR_TARGET];

/** Every target: the fixed ones, then a generic one per importer without its own. */
export async function allTargets(repo: string): Promise<FuzzTarget<any>[]> {
  return [...TARGETS, ...(await discoveredImporterTargets(repo))];
}

/** Paths in the sandbox that should not be there: anything outside in/ and tmp/, anything left in tmp/. */
export function strayFiles(ctx: FuzzContext): string[] {
  const top = readdirSync(ctx.sandbox).filter((f) => f !== 'in' && f !== 'tmp');
  const left = readdirSync(path.join(ctx.sandbox, 'tmp')).map((f) => `tmp/${f}`);
  return [...top, ...left];
}

export function makeSandbox(root: string): FuzzContext['sandbox'] {
  mkdirSync(path.join(root, 'in'), { recursive: true });
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  return root;
}
