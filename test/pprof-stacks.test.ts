// The standalone converter writes cpu.pb.gz straight from perf's raw stacks
// (buildCpuPprofFromStacks): it must say what the model's way says
// (symbolized and trimmed trie → buildCpuPprof) for the same text, compared
// as decoded profiles: per (labels, stack of locations as mapping, address
// and lines) the summed values, and the mappings, types and comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Profile } from 'pprof-format';
import { parsePerfScript, parsePerfScriptFile, parsePerfScriptStacks, PerfScriptParser, type FrameResolve, type RawFrame } from '../src/importers/perf-script.ts';
import { binariesOf, expandFrames, frameResolver } from '../src/importers/symbolize.ts';
import { resolverForBundle } from '../src/symbols/resolver.ts';
import { openBundle } from '../src/bundle/reader.ts';
import { ENTRY } from '../src/bundle/format.ts';
import { buildCpuPprof } from '../src/exporters/pprof-cpu.ts';
import { buildCpuPprofFromStacks } from '../src/exporters/pprof-cpu-stacks.ts';
import type { PprofBuilder } from '../src/exporters/pprof-builder.ts';
import type { Frame } from '../src/model/types.ts';
import { PERF_FIXTURES as dir } from './perf-text.ts';
import { perfText, randomSamples, resolveRaw } from './random-stacks.ts';

type Resolve = FrameResolve;

/** A decoded profile as sorted lines: samples summed per (labels, stack), then mappings, types, comments. */
function canonical(b: PprofBuilder | Buffer): string[] {
  const p = Profile.decode(Buffer.isBuffer(b) ? b : b.encode());
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const mapping = new Map(p.mapping.map((m) => [Number(m.id), m]));
  const fn = new Map(p.function.map((f) => [Number(f.id), f]));
  const loc = new Map(
    p.location.map((l) => {
      const m = mapping.get(Number(l.mappingId))!;
      const lines = l.line.map((x) => `${str(fn.get(Number(x.functionId))!.name)}@${str(fn.get(Number(x.functionId))!.filename)}:${x.line}`);
      return [Number(l.id), `${str(m.filename)}+${Number(l.address).toString(16)}[${lines.join(',')}]`];
    }),
  );
  const acc = new Map<string, number[]>();
  for (const s of p.sample) {
    const labels = s.label.map((l) => `${str(l.key)}=${l.str ? str(l.str) : `${l.num}${l.numUnit ? str(l.numUnit) : ''}`}`).sort();
    const k = `${labels.join(' ')} | ${s.locationId.map((id) => loc.get(Number(id))).join(';')}`;
    const v = acc.get(k) ?? s.value.map(() => 0);
    s.value.forEach((x, i) => (v[i] += Number(x)));
    acc.set(k, v);
  }
  const samples = [...acc].map(([k, v]) => `sample ${k} = ${v.join(',')}`).sort();
  const mappings = p.mapping
    .map((m) => `mapping ${str(m.filename)} ${str(m.buildId)} ${m.memoryStart}-${m.memoryLimit}@${m.fileOffset} ${[m.hasFunctions, m.hasFilenames, m.hasLineNumbers, m.hasInlineFrames].join(',')}`)
    .sort();
  const meta = [
    `types ${p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`).join(',')} default ${str(p.defaultSampleType)} period ${p.period} ${p.periodType ? str(p.periodType.type) : ''}`,
    // The first mapping is the main binary when some leaf is in a user-space binary; otherwise no rule picks one.
    ...(p.sample.some((x) => x.locationId.length && str(mapping.get(Number(p.location.find((l) => l.id === x.locationId[0])!.mappingId))!.filename).startsWith('/'))
      ? [`main ${str(p.mapping[0].filename)}`]
      : []),
    `${p.sample.length} samples written`, // both ways write one sample per distinct (stack, thread)
    ...p.comment.map((c) => `comment ${str(c)}`),
  ];
  return [...meta, ...mappings, ...samples];
}

/** Both ways on one text: the model's (parse with resolve/trim, then buildCpuPprof) and the converter's. */
async function bothWays(parse: (opts: object) => Promise<unknown>, parseStacks: () => Promise<ReturnType<PerfScriptParser['endStacks']>>, resolve: () => Resolve | null, trim: boolean, binaries?: (f: Frame[]) => ReturnType<typeof binariesOf>) {
  const r1 = resolve();
  const model = (await parse(r1 ? { resolve: r1, dropUnwindGarbage: trim } : { dropUnwindGarbage: trim })) as Awaited<ReturnType<typeof parsePerfScriptFile>>;
  if (binaries) model.profile.binaries = binaries(model.profile.frames);
  const raw = await parseStacks();
  const exp = expandFrames(raw.stacks.frames, resolve());
  const direct = buildCpuPprofFromStacks(raw.stacks, raw.event, exp, binaries?.(exp.frames), trim);
  // Encoded samples in pieces of ~200 bytes, as gzip members: the same profile once decompressed.
  const pieces = buildCpuPprofFromStacks(raw.stacks, raw.event, exp, binaries?.(exp.frames), trim, 200);
  const gz = await pieces.pprof.encodeGzip();
  assert.deepEqual(canonical(gunzipSync(gz)), canonical(direct.pprof), 'gzip members of small pieces');
  assert.equal(pieces.samples, direct.samples);
  assert.deepEqual(direct.unwindGarbage ?? undefined, trim ? model.profile.unwindGarbage : undefined, 'unwind garbage counts');
  assert.equal(raw.stacks.totalSamples, model.profile.totalSamples);
  assert.equal(raw.stacks.totalPeriod, model.profile.totalPeriod);
  assert.deepEqual(raw.warnings, model.warnings);
  return { model: canonical(buildCpuPprof(model.profile)), direct: canonical(direct.pprof), samples: direct.samples };
}

/** The raw stacks of a perf text, as the converter parses them. */
function stacksOf(text: string): ReturnType<PerfScriptParser['endStacks']> {
  const p = new PerfScriptParser({});
  p.push(Buffer.from(text));
  return p.endStacks();
}

const FIXTURES = readdirSync(dir).filter((f) => f.endsWith('.txt'));

for (const name of FIXTURES) {
  test(`${name}: the converter's pprof (from raw stacks) says what the model's says, garbage kept and dropped`, async () => {
    for (const trim of [false, true]) {
      const { model, direct } = await bothWays(
        (o) => parsePerfScriptFile(dir + name, o),
        () => parsePerfScriptStacks(dir + name),
        () => null,
        trim,
      );
      assert.deepEqual(direct, model, `${name} trim=${trim}`);
    }
  });
}

test('a thread that execs keeps its pid and tid under a new comm; the main mapping is the leaf DSO with the most period, not the most samples: both ways agree, and say so', async () => {
  const sample = (comm: string, time: string, period: number, frames: string[]) => `${comm}   100/100   [000]  ${time}:    ${period} cpu-clock: \n${frames.map((f) => `\t${f}\n`).join('')}\n`;
  const text = [
    sample('go', '1.000001', 1, ['1000 a_leaf+0x0 (/usr/bin/a)', '2000 a_main+0x0 (/usr/bin/a)']),
    sample('go', '1.000002', 1, ['1010 a_leaf+0x10 (/usr/bin/a)', '2000 a_main+0x0 (/usr/bin/a)']),
    sample('go', '1.000003', 1, ['1020 a_leaf+0x20 (/usr/bin/a)', '2000 a_main+0x0 (/usr/bin/a)']),
    sample('compile', '1.000004', 1000, ['3000 b_leaf+0x0 (/usr/bin/b)', '4000 b_main+0x0 (/usr/bin/b)']),
    sample('compile', '1.000005', 1, ['1000 a_leaf+0x0 (/usr/bin/a)', '2000 a_main+0x0 (/usr/bin/a)']),
  ].join('');
  const { model, direct } = await bothWays(
    (o) => parsePerfScript(Buffer.from(text), o),
    async () => stacksOf(text),
    () => null,
    false,
  );
  assert.deepEqual(direct, model);
  assert.ok(direct.includes('main /usr/bin/b'), 'b: 1 sample, period 1000; a: 4 samples, period 4');
  const comms = direct.filter((l) => l.startsWith('sample ')).map((l) => `${/comm=(\S+)/.exec(l)![1]} ${/ \| (\S+?)\+/.exec(l)![1]}`);
  assert.deepEqual(comms.sort(), ['compile /usr/bin/a', 'compile /usr/bin/b', 'go /usr/bin/a', 'go /usr/bin/a', 'go /usr/bin/a']);
});

test('a real Go 1.19 build, symbolized from its sidecars (inlined frames, entry frames named only by symbolization): both ways agree', async () => {
  const b = await openBundle(new URL('../samples/nethttp-go119.gbp.tgz', import.meta.url).pathname);
  const d = mkdtempSync(path.join(tmpdir(), 'gbp-stacks-'));
  const resolvers: { close(): void }[] = [];
  try {
    const f = path.join(d, 'script.txt');
    writeFileSync(f, gunzipSync(readFileSync(b.file(ENTRY.perfScript))));
    const r = await resolverForBundle(b);
    resolvers.push(r);
    for (const trim of [false, true]) {
      const { model, direct, samples } = await bothWays(
        (o) => parsePerfScriptFile(f, o),
        () => parsePerfScriptStacks(f),
        () => frameResolver(r),
        trim,
        (frames) => binariesOf(frames, r),
      );
      assert.ok(model.some((l) => l.startsWith('sample ') && /\[[^\]]*,[^\]]*\]/.test(l)), 'some location has inlined lines');
      assert.ok(model.some((l) => l.startsWith('comment symbolized by gbp')), 'symbolized');
      if (trim) assert.ok(model.some((l) => l.startsWith('comment unwind garbage')), 'garbage dropped');
      assert.ok(samples > 1000, `${samples} samples`);
      assert.deepEqual(direct, model, `trim=${trim}`);
    }
  } finally {
    for (const r of resolvers) r.close();
    rmSync(d, { recursive: true, force: true });
    await b.close();
  }
});

test('random stacks, resolved and trimmed: both ways agree (cuts inside an expansion, stacks that become equal merged)', async () => {
  await fc.assert(
    fc.asyncProperty(randomSamples, fc.boolean(), async (samples, trim) => {
      const text = perfText(samples);
      const { model, direct } = await bothWays(
        (o) => parsePerfScript(text, o),
        async () => stacksOf(text),
        () => resolveRaw,
        trim,
      );
      assert.deepEqual(direct, model);
    }),
    { numRuns: 300 },
  );
});

test('stacks 300 frames deep and 4 MB of encoded samples (the sample writer grows its paths and output): both ways agree', async () => {
  // 6000 samples over 40 threads, each stack a random walk down a 300-deep chain with side branches.
  let seed = 11;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const tid = 500 + rnd(40);
    const depth = 200 + rnd(100);
    const frames = Array.from({ length: depth }, (_, d) => `\t${(0x400000 + d * 64 + (d % 7 === 0 ? rnd(3) : 0) * 16).toString(16)} f${d}+0x1 (/bin/deep)`);
    lines.push(`deep ${tid}/${tid} ${i}.000001: ${1 + rnd(9)} cpu-clock:\n${frames.reverse().join('\n')}\n`);
  }
  const text = lines.join('\n');
  for (const trim of [false, true]) {
    const { model, direct, samples } = await bothWays(
      (o) => parsePerfScript(text, o),
      async () => stacksOf(text),
      () => null,
      trim,
    );
    assert.ok(samples > 5000, `${samples} samples`);
    assert.deepEqual(direct, model, `trim=${trim}`);
  }
});
