// Symbolizing after the parse (resolve-stacks.ts) against the per-stack
// rules it must equal: each stack resolved on its own, then trimmed by
// UnwindGarbageTrimmer.keep(), the rule's original form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parsePerfScript, parsePerfScriptFile, type PerfScriptResult } from '../src/importers/perf-script.ts';
import { UnwindGarbageTrimmer } from '../src/importers/unwind-garbage.ts';
import { frameResolver } from '../src/importers/symbolize.ts';
import { openBundle } from '../src/bundle/reader.ts';
import { ENTRY } from '../src/bundle/format.ts';
import type { CpuProfile, Frame } from '../src/model/types.ts';
import { PERF_FIXTURES as dir } from './perf-text.ts';
import { perfText, randomSamples, resolveRaw } from './random-stacks.ts';

const key = (f: Frame) => `${f.name}|${f.dso}|${f.addr}|${f.file ?? ''}:${f.line ?? ''}|${f.inlined ? 'i' : ''}`;

/** Each group's stack as frame keys, innermost first. */
function stackKeys(p: CpuProfile, leaf: number): string[] {
  const out: string[] = [];
  for (let n = leaf; n > 0; n = p.stackParent[n]) out.push(key(p.frames[p.stackFrame[n]]));
  return out;
}

/** Stacks with their samples and periods, summed per (stack, pid, tid, comm) and sorted: ids do not matter. */
function folded(p: CpuProfile, stackOf: (leaf: number) => string[] = (l) => stackKeys(p, l)): string[] {
  const acc = new Map<string, [number, number]>();
  for (const g of p.groups) {
    const k = `${g.comm} ${g.pid}/${g.tid} ${stackOf(g.stack).join(';')}`;
    const a = acc.get(k) ?? [0, 0];
    acc.set(k, [a[0] + g.count, a[1] + g.period]);
  }
  return [...acc].map(([k, [c, s]]) => `${k} ${c} ${s}`).sort();
}

/**
 * The reference: the untrimmed resolved profile, each group's stack trimmed
 * by UnwindGarbageTrimmer.keep() on its own. Returns the folded stacks and the garbage counts.
 */
function trimmedByKeep(untrimmed: CpuProfile): { stacks: string[]; samples: number; frames: number } {
  const t = new UnwindGarbageTrimmer(untrimmed.frames);
  let samples = 0;
  let frames = 0;
  const stacks = folded(untrimmed, (leaf) => {
    const ids: number[] = [];
    for (let n = leaf; n > 0; n = untrimmed.stackParent[n]) ids.push(untrimmed.stackFrame[n]);
    const keep = t.keep(Int32Array.from(ids), ids.length);
    return ids.slice(0, keep).map((id) => key(untrimmed.frames[id]));
  });
  for (const g of untrimmed.groups) {
    const ids: number[] = [];
    for (let n = g.stack; n > 0; n = untrimmed.stackParent[n]) ids.push(untrimmed.stackFrame[n]);
    const keep = t.keep(Int32Array.from(ids), ids.length);
    if (keep < ids.length) {
      samples += g.count;
      frames += (ids.length - keep) * g.count;
    }
  }
  return { stacks, samples, frames };
}

function assertTrimmedLikeKeep(trimmed: PerfScriptResult, untrimmed: PerfScriptResult, what: string): void {
  const want = trimmedByKeep(untrimmed.profile);
  assert.deepEqual(folded(trimmed.profile), want.stacks, `${what}: stacks`);
  assert.deepEqual(trimmed.profile.unwindGarbage, { samples: want.samples, frames: want.frames }, `${what}: garbage counts`);
  assert.equal(trimmed.profile.totalSamples, untrimmed.profile.totalSamples);
  assert.equal(trimmed.profile.totalPeriod, untrimmed.profile.totalPeriod);
  assert.deepEqual([...trimmed.profile.timeline], [...untrimmed.profile.timeline], `${what}: timeline`);
}

const FIXTURES = ['go-default-callchain.txt', 'cpp-templates-comm-and-dso-with-spaces.txt', 'F-pid-tid-cpu-time-period-event.txt', 'no-callchain-default.txt', 'header-lines.txt', 'malformed-lines.txt'];

for (const name of FIXTURES) {
  test(`${name}: resolving after the parse (perf's names kept) gives what the in-parse trimmer gives`, async () => {
    for (const drop of [false, true]) {
      const inParse = await parsePerfScriptFile(dir + name, { dropUnwindGarbage: drop });
      const after = await parsePerfScriptFile(dir + name, { dropUnwindGarbage: drop, resolve: () => null });
      assert.deepEqual(folded(after.profile), folded(inParse.profile), `${name} drop=${drop}`);
      assert.deepEqual(after.profile.unwindGarbage, inParse.profile.unwindGarbage);
      assert.deepEqual(after.warnings, inParse.warnings);
    }
  });
}

test('a real Go 1.19 build (stripped toolchain: entry frames get their names only from symbolization): trimmed as keep() trims each resolved stack', async () => {
  const b = await openBundle(new URL('../samples/nethttp-go119.gbp.tgz', import.meta.url).pathname);
  const d = mkdtempSync(path.join(tmpdir(), 'gbp-resolve-'));
  try {
    const f = path.join(d, 'script.txt');
    writeFileSync(f, gunzipSync(readFileSync(b.file(ENTRY.perfScript))));
    const { resolverForBundle } = await import('../src/symbols/resolver.ts');
    const r1 = await resolverForBundle(b);
    const r2 = await resolverForBundle(b);
    const untrimmed = await parsePerfScriptFile(f, { resolve: frameResolver(r1), dropUnwindGarbage: false });
    const trimmed = await parsePerfScriptFile(f, { resolve: frameResolver(r2), dropUnwindGarbage: true });
    assert.ok(trimmed.profile.unwindGarbage!.frames > 100, `garbage found: ${JSON.stringify(trimmed.profile.unwindGarbage)}`);
    assert.ok(untrimmed.profile.frames.some((x) => x.inlined), 'inlined frames resolved');
    assertTrimmedLikeKeep(trimmed, untrimmed, 'nethttp-go119');
    r1.close();
    r2.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
    await b.close();
  }
});

test('random stacks: resolving and trimming after the parse equals keep() on each resolved stack', async () => {
  await fc.assert(
    fc.asyncProperty(randomSamples, async (samples) => {
      const text = perfText(samples);
      const untrimmed = await parsePerfScript(text, { resolve: resolveRaw, dropUnwindGarbage: false });
      const trimmed = await parsePerfScript(text, { resolve: resolveRaw, dropUnwindGarbage: true });
      assertTrimmedLikeKeep(trimmed, untrimmed, 'random');
    }),
    { numRuns: 300 },
  );
});
