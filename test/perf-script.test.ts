// The perf script importer on real perf text (test/fixtures/perf, made by
// make-fixtures.sh) and on hand-written edges. Counts are checked against an
// independent line count of the same file, not against remembered numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import {
  parsePerfScript,
  parsePerfScriptFile,
  PerfScriptParser,
  parseEventLine,
  parseFrame,
  detectPerfScript,
  type PerfScriptResult,
  type RawFrame,
} from '../src/importers/perf-script.ts';
import type { CpuProfile } from '../src/model/types.ts';
import { isGbpError } from '../src/errors.ts';

import { PERF_FIXTURES as dir, eventLines, fixtureText, periodSum } from './perf-text.ts';
import { assertGolden } from './golden.ts';
const REAL = [
  'go-default-callchain.txt',
  'go-default-callchain.txt.gz',
  'cpp-templates-comm-and-dso-with-spaces.txt',
  'F-pid-tid-cpu-time-period-event.txt',
  'F-no-period-no-event-no-symoff.txt',
  'F-no-callchain-no-time.txt',
  'no-callchain-default.txt',
  'header-lines.txt',
  'utf8-comm.txt',
  'crlf.txt',
  'no-trailing-newline.txt',
];

/** Collapsed stacks (`comm;pid/tid;outer;…;leaf count period`), sorted: the golden form. */
function folded(p: CpuProfile): string {
  const acc = new Map<string, [number, number]>();
  for (const g of p.groups) {
    const names: string[] = [];
    for (let n = g.stack; n > 0; n = p.stackParent[n]) names.push(p.frames[p.stackFrame[n]].name);
    const key = [g.comm, `${g.pid}/${g.tid}`, ...names.reverse()].join(';');
    const a = acc.get(key) ?? [0, 0];
    acc.set(key, [a[0] + g.count, a[1] + g.period]);
  }
  return [...acc].map(([k, [c, s]]) => `${k} ${c} ${s}`).sort().join('\n') + '\n';
}

function checkGolden(name: string, actual: string): void {
  assertGolden(dir + name.replace(/\.txt(\.gz)?$/, '') + '.folded', actual);
}

const parsed = new Map<string, PerfScriptResult>();
async function parse(name: string): Promise<PerfScriptResult> {
  let r = parsed.get(name);
  if (!r) {
    r = await parsePerfScriptFile(dir + name);
    parsed.set(name, r);
  }
  return r;
}

for (const name of REAL) {
  test(`${name}: sample count and period sum equal an independent count; golden stacks`, async () => {
    const r = await parse(name);
    const events = eventLines(fixtureText(name));
    assert.ok(events.length > 0);
    assert.equal(r.profile.totalSamples, events.length);
    assert.equal(
      r.profile.groups.reduce((s, g) => s + g.count, 0),
      events.length,
    );
    const periods = periodSum(events);
    if (periods !== null) {
      assert.equal(r.profile.totalPeriod, periods);
      assert.ok(r.hadPeriod);
    } else {
      assert.equal(r.hadPeriod, false);
      assert.equal(r.profile.totalPeriod, events.length); // defaultPeriod 1
    }
    assert.deepEqual(r.warnings.filter((w) => !/^no (pid|period) column/.test(w.message)), []);
    checkGolden(name, folded(r.profile));
  });

  test(`${name}: the same profile when read 7 bytes at a time`, async () => {
    const whole = await parse(name);
    const tiny = await parsePerfScriptFile(dir + name, { chunkSize: 7 });
    assert.deepEqual(tiny.profile, whole.profile);
    assert.deepEqual(tiny.warnings, whole.warnings);
  });
}

// perf-core.c keeps a node's children, and a leaf's groups (one per thread),
// in a list until there are 8, then in a table: 30 frames in 1-4-deep stacks,
// three of them common, on 12 threads give nodes and leaves of both kinds,
// lists moved into the table part-way, and stacks seen again after the move.
test('stacks through nodes with few and many children or threads fold as an independent count of the text says', async () => {
  const stack = fc.oneof(fc.constantFrom<number[]>([3], [4, 5], [6, 7, 8]), fc.array(fc.integer({ min: 0, max: 29 }), { minLength: 1, maxLength: 4 }));
  const sample = fc.record({ tid: fc.integer({ min: 1, max: 12 }), stack });
  await fc.assert(
    fc.asyncProperty(fc.array(sample, { minLength: 1, maxLength: 300, size: 'max' }), async (samples) => {
      let text = '';
      const want = new Map<string, number>();
      samples.forEach((s, i) => {
        text += `prog 100/${s.tid} 1.${String(i).padStart(6, '0')}: 1000 cpu-clock:\n`;
        for (const f of s.stack) text += `\t${(0x1000 + f * 16).toString(16)} f${f}+0x4 (/bin/p)\n`;
        text += '\n';
        const key = ['prog', `100/${s.tid}`, ...s.stack.map((f) => `f${f}`).reverse()].join(';');
        want.set(key, (want.get(key) ?? 0) + 1);
      });
      // The parser's own trie and groups (the model would rebuild and merge them).
      const p = new PerfScriptParser({});
      p.push(Buffer.from(text));
      const s = p.endStacks().stacks;
      const got = new Map<string, number>();
      for (let g = 0; g < s.groups; g++) {
        const names: string[] = [];
        for (let n = s.gLeaf[g]; n > 0; n = s.node4[(n << 2) + 1]) names.push(s.frames[s.node4[n << 2]].name);
        const key = [s.comms[s.gComm[g]], `${s.gPid[g]}/${s.gTid[g]}`, ...names.reverse()].join(';');
        assert.ok(!got.has(key), `${key}: two groups`); // one trie node per distinct stack
        got.set(key, s.gSamples[g]);
      }
      assert.deepEqual(got, want);
    }),
    { numRuns: 60 },
  );
});

test('header lines, CRLF and gzip change nothing', async () => {
  assert.equal(folded((await parse('header-lines.txt')).profile), folded((await parse('go-default-callchain.txt')).profile));
  assert.equal(folded((await parse('go-default-callchain.txt.gz')).profile), folded((await parse('go-default-callchain.txt')).profile));
  assert.equal(folded((await parse('crlf.txt')).profile), folded((await parse('cpp-templates-comm-and-dso-with-spaces.txt')).profile));
});

test('comm and DSO paths with spaces, C++ templates, Go struct symbols, kernel addresses', async () => {
  const cpp = (await parse('cpp-templates-comm-and-dso-with-spaces.txt')).profile;
  assert.deepEqual([...new Set(cpp.groups.map((g) => g.comm))], ['my worker 1']);
  const runLib = cpp.frames.find((f) => f.name === 'run_lib');
  assert.match(runLib!.dso, /\/cpp prog\/libwith space\.so$/);
  assert.ok(cpp.frames.some((f) => f.name.startsWith('std::_Rb_tree<int, std::pair<int const, std::vector<') && f.name.includes(' >, ')));
  const kernel = cpp.frames.filter((f) => f.dso === '[kernel.kallsyms]');
  assert.ok(kernel.length > 0);
  // Addresses stay exact strings, the same text perf printed.
  const text = fixtureText('cpp-templates-comm-and-dso-with-spaces.txt');
  for (const f of kernel) assert.ok(text.includes(`\t${f.addr} ${f.name}+`), f.addr);
  assert.ok(kernel.every((f) => BigInt('0x' + f.addr) > 2n ** 53n));
  const unknown = cpp.frames.filter((f) => !f.named);
  assert.ok(unknown.length > 0 && unknown.every((f) => f.name === '[unknown]'));

  const go = (await parse('go-default-callchain.txt')).profile;
  assert.ok(go.frames.some((f) => f.name === 'type:.eq.struct { main.a int; main.b int; main.s string }'), 'Go struct symbol with spaces and braces');
  assert.ok(go.frames.some((f) => f.name === 'slices.partitionOrdered[go.shape.int]'));
  assert.ok(go.frames.every((f) => !f.name.includes('+0x')));

  const utf8 = (await parse('utf8-comm.txt')).profile;
  assert.deepEqual([...new Set(utf8.groups.map((g) => g.comm))], ['wörker']);
});

test('-F layouts: pid/tid and cpu columns, no period, no time, no callchain', async () => {
  const f = await parse('F-pid-tid-cpu-time-period-event.txt');
  assert.ok(f.hadPid && f.hadTime && f.hadPeriod);
  assert.equal(f.profile.event, 'cpu-clock');
  assert.deepEqual(folded(f.profile), folded((await parse('cpp-templates-comm-and-dso-with-spaces.txt')).profile));

  const noPeriod = await parse('F-no-period-no-event-no-symoff.txt');
  assert.equal(noPeriod.hadPeriod, false);
  assert.equal(noPeriod.profile.event, 'unknown');
  assert.ok(noPeriod.warnings.some((w) => w.line === 1 && /no period column/.test(w.message)));

  for (const name of ['F-no-callchain-no-time.txt', 'no-callchain-default.txt']) {
    const flat = (await parse(name)).profile;
    // Without callchains every stack is the one frame on the event line.
    assert.ok(flat.groups.every((g) => g.stack > 0 && flat.stackParent[g.stack] === 0), name);
  }
  const noTime = await parse('F-no-callchain-no-time.txt');
  assert.equal(noTime.hadTime, false);
  assert.equal(noTime.profile.timeline.size, 0);
});

test('malformed lines become warnings with their line numbers, never a crash', async () => {
  const r = await parse('malformed-lines.txt');
  assert.equal(r.profile.totalSamples, 4);
  assert.deepEqual(
    r.warnings.map((w) => w.line),
    [6, 8, 9, 10, 18],
  );
  assert.match(r.warnings[1].message, /malformed event line: "no anchors at all on this line"/);
  assert.ok(r.warnings.every((w) => w.entry.endsWith('malformed-lines.txt')));
  // The sample with a bad frame keeps its good frames.
  const go = r.profile.groups.find((g) => g.comm === 'go')!;
  assert.equal(r.profile.stackParent[go.stack], 0);
  // Only the first maxWarnings are kept, the rest are counted.
  const capped = await parsePerfScriptFile(dir + 'malformed-lines.txt', { maxWarnings: 2 });
  assert.equal(capped.warnings.length, 3);
  assert.match(capped.warnings[2].message, /^3 more warnings/);
});

test('empty input: an empty profile', async () => {
  const r = await parse('empty.txt');
  assert.equal(r.profile.totalSamples, 0);
  assert.deepEqual(r.warnings, []);
});

test('event lines: every anchor and layout', () => {
  // Real lines from the fixtures; the last ones are hand-made variants.
  assert.deepEqual(parseEventLine('my worker 1 29901   632.436019:    1001001 cpu-clock: '), {
    comm: 'my worker 1', pid: null, tid: 29901, cpu: null, sec: 632, nsec: 436019000, period: 1001001, event: 'cpu-clock', inlineFrame: null,
  });
  assert.deepEqual(parseEventLine('my worker 1  9932/9932  [001]   874.645478:    2004008 cpu-clock: '), {
    comm: 'my worker 1', pid: 9932, tid: 9932, cpu: 1, sec: 874, nsec: 645478000, period: 2004008, event: 'cpu-clock', inlineFrame: null,
  });
  const g = parseEventLine('             gop  9495/9495     2004008 cpu-clock:            4a5716 crypto/internal/fips140/sha256.blockSHANI.abi0+0x76 (/tmp/x/go prog/gop)')!;
  assert.deepEqual([g.comm, g.pid, g.tid, g.period, g.event, g.sec], ['gop', 9495, 9495, 2004008, 'cpu-clock', null]);
  assert.equal(g.inlineFrame, '4a5716 crypto/internal/fips140/sha256.blockSHANI.abi0+0x76 (/tmp/x/go prog/gop)');
  const t = parseEventLine('gop 16033   948.703519: ')!;
  assert.deepEqual([t.comm, t.tid, t.period, t.event], ['gop', 16033, null, null]);
  const mods = parseEventLine('compile 12 [000] 1.000000001: 250000 cycles:ppp: ')!;
  assert.deepEqual([mods.nsec, mods.event], [1, 'cycles:ppp']);
  // A comm that ends in digits, with a time to anchor on.
  assert.equal(parseEventLine('kworker/0:1 1 17 100.5: 1 cpu-clock:')!.comm, 'kworker/0:1 1');
  assert.equal(parseEventLine('nothing to anchor on'), null);
  assert.equal(parseEventLine('12.5: cpu-clock:'), null, 'no tid');
  assert.equal(parseEventLine('gop 12 cpu-clock:')!.tid, 12);
});

test('frame lines: the DSO from the last " (", offsets split off', () => {
  const cases: [string, RawFrame][] = [
    ['229e run_lib+0x65 (/tmp/perfgen/cpp prog/libwith space.so)', { addr: '229e', symbol: 'run_lib', offset: '0x65', dso: '/tmp/perfgen/cpp prog/libwith space.so' }],
    ['ffffffff8161c639 __rmqueue_pcplist+0x49 ([kernel.kallsyms])', { addr: 'ffffffff8161c639', symbol: '__rmqueue_pcplist', offset: '0x49', dso: '[kernel.kallsyms]' }],
    ['0 [unknown] ([unknown])', { addr: '0', symbol: '[unknown]', offset: '', dso: '[unknown]' }],
    ['a2bf4 type:.eq.struct { main.a int; main.b int; main.s string }+0x14 (/tmp/go prog/gop)', { addr: 'a2bf4', symbol: 'type:.eq.struct { main.a int; main.b int; main.s string }', offset: '0x14', dso: '/tmp/go prog/gop' }],
    ['4a1000 main.(*T).work (/tmp/a (b)/gop)', { addr: '4a1000', symbol: 'main.(*T).work', offset: '', dso: '/tmp/a (b)/gop' }],
    ['4a1000 main.work', { addr: '4a1000', symbol: 'main.work', offset: '', dso: '' }],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseFrame(line), want, line);
  assert.equal(parseFrame('not a frame'), null);
});

test('the resolve hook names [unknown] frames, inlined frames expand, once per distinct line', async () => {
  const seen: RawFrame[] = [];
  const r = await parsePerfScriptFile(dir + 'cpp-templates-comm-and-dso-with-spaces.txt', {
    resolve: (f) => {
      seen.push(f);
      if (f.symbol !== '[unknown]') return null;
      return [
        { name: `inlined@${f.addr}`, dso: f.dso, addr: f.addr, named: true },
        { name: `outer@${f.addr}`, dso: f.dso, addr: f.addr, named: true },
      ];
    },
  });
  const text = fixtureText('cpp-templates-comm-and-dso-with-spaces.txt');
  const distinct = new Set(text.split('\n').filter((l) => l.startsWith('\t')).map((l) => l.trim()));
  assert.equal(seen.length, distinct.size);
  assert.ok(r.profile.frames.every((f) => f.named));
  // An inlined frame sits directly under its outer frame.
  const inl = r.profile.stackFrame.findIndex((fr) => fr >= 0 && r.profile.frames[fr].name.startsWith('inlined@'));
  const parent = r.profile.stackParent[inl];
  assert.equal(r.profile.frames[r.profile.stackFrame[parent]].name, r.profile.frames[r.profile.stackFrame[inl]].name.replace('inlined@', 'outer@'));
  assert.equal(r.profile.totalSamples, eventLines(text).length);
});

test('timeline: samples per pid per bucket, relative to the given perf clock start', async () => {
  const text = fixtureText('F-pid-tid-cpu-time-period-event.txt');
  const times = eventLines(text).map((l) => /\s(\d+)\.(\d{6}):/.exec(l)!);
  const first = BigInt(times[0][1]) * 1_000_000_000n + BigInt(times[0][2]) * 1000n;
  // Say the build started 1 s before the first sample.
  const r = await parsePerfScript(Buffer.from(text), { clockStartNs: first - 1_000_000_000n, bucketNs: 100_000_000 });
  let total = 0;
  for (const [, series] of r.profile.timeline) {
    for (let i = 0; i < 10; i++) assert.equal(series[i], 0);
    total += series.reduce((a, b) => a + b, 0);
  }
  assert.equal(total, times.length);
  // Long inputs coarsen the buckets rather than grow without bound.
  const coarse = await parsePerfScript(Buffer.from(text), { clockStartNs: first - 100_000_000_000n, bucketNs: 1_000_000, maxBuckets: 64 });
  assert.ok(coarse.profile.bucketNs > 1_000_000);
  for (const [, s] of coarse.profile.timeline) assert.ok(s.length <= 64);
});

test('detector: yes for every real layout, no for other formats', () => {
  for (const name of REAL) assert.equal(detectPerfScript(fixtureText(name).slice(0, 4096)), true, name);
  assert.equal(detectPerfScript('[{"ID":0,"Mode":"go build"}]\n'), false);
  assert.equal(detectPerfScript('{\n\t"ImportPath": "fmt"\n}\n'), false);
  assert.equal(detectPerfScript('BenchmarkCompile:fmt:fe:parse   1   123 ns/op   1.0 %\n'), false);
  assert.equal(detectPerfScript(''), false);
});

test('a truncated gzip is a GbpError naming the file, not a stack trace', async () => {
  const gz = gzipSync(readFileSync(dir + 'go-default-callchain.txt'));
  await assert.rejects(parsePerfScript(gz.subarray(0, gz.length >> 1), { entry: 'cut.txt.gz' }), (e: unknown) => {
    assert.ok(isGbpError(e));
    assert.equal(e.code, 'damaged');
    assert.match(e.message, /^cut\.txt\.gz: gzip data is damaged or truncated/);
    return true;
  });
  await assert.rejects(parsePerfScriptFile(dir + 'no-such-file.txt'), (e: unknown) => isGbpError(e) && e.code === 'io' && /no-such-file\.txt/.test(e.message));
});

test('the byte-level event-line path reads every event line as parseEventLine does', async () => {
  const lines = new Set<string>();
  for (const name of [...REAL.filter((n) => !n.endsWith('.gz')), 'malformed-lines.txt']) for (const l of eventLines(fixtureText(name))) lines.add(l);
  // Hand-made edges: time-like comm tokens, tabs, long numbers, a lone period, no event, an inline frame, kworker comms.
  for (const l of [
    'my 1.5: worker 42/43 1.000001: 7 cpu-clock: ',
    'kworker/u4:2 12/12 [001] 5.5: 100 cpu-clock:u: ',
    'go\t3280/3280\t9999.678964:\t500250\tcpu-clock:',
    'go 3280/3280 12345678901234567.000001: 5 cpu-clock: ',
    'go 3280/3280 1.0000000001: 5 cpu-clock: ',
    'go 3280/3280 1.5: 1234567890123456789 cpu-clock: ',
    'go 3280/3280 1.5: 500250',
    'go 3280/3280 1.5: 500250 4142c9 runtime.f+0x1 (/x)',
    'go 3280/3280 1.5: cpu-clock: 4142c9 runtime.f+0x1 (/x)',
    'go 3280/3280 1.5: 500250 cpu-clock: extra',
    'go 1.5: 5 cpu-clock: ',
    '  right aligned 77 2.25: 9 task-clock: ',
    'gop 16033   948.703519: ',
  ]) lines.add(l);
  for (const line of lines) {
    const ev = parseEventLine(line.trimStart());
    const r = await parsePerfScript(line + '\n');
    if (!ev || ev.tid === null) {
      assert.equal(r.profile.totalSamples, 0, line);
      continue;
    }
    assert.equal(r.profile.groups.length, 1, line);
    const g = r.profile.groups[0];
    const want = { comm: ev.comm, pid: ev.pid ?? ev.tid, tid: ev.tid, period: ev.period ?? 1, event: ev.event ?? 'unknown', hadTime: ev.sec !== null };
    assert.deepEqual({ comm: g.comm, pid: g.pid, tid: g.tid, period: g.period, event: r.profile.event, hadTime: r.hadTime }, want, line);
  }
});
