// The WebAssembly cores: each committed module is what its C source builds
// to; and the parts of the perf parser's core (src/importers/perf-core/) that
// the fixtures barely reach (table and memory growth, lines longer than a
// read, stops answered after the memory moved) keep every sample. The pprof
// sample writer's core is held to the model's way in pprof-stacks.test.ts,
// the pclntab core to `go tool addr2line` and runtime.CallersFrames in
// symbols-go.test.ts; here, to damaged tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parseFrame, parsePerfScript } from '../src/importers/perf-script.ts';
import { openBinarySymbols } from '../src/symbols/binary.ts';
import { openElf } from '../src/symbols/elf.ts';
import { prng } from './symbols-helpers.ts';

const root = path.resolve(import.meta.dirname, '..');
const hasClang = spawnSync('clang', ['--version']).status === 0 && spawnSync('wasm-ld', ['--version']).status === 0;

test('every committed *-wasm.ts is what its C source builds to', { skip: hasClang ? false : 'no clang/wasm-ld here (CI installs them)' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-wasm-test-'));
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts/build-wasm.mjs'), '--out', dir], { stdio: 'pipe' });
    const built = readdirSync(dir);
    assert.deepEqual(built.sort(), ['pclntab-core-wasm.ts', 'perf-core-wasm.ts', 'pprof-samples-wasm.ts', 'pprof-tables-wasm.ts']);
    for (const [f, at] of [['perf-core-wasm.ts', 'src/importers/perf-core/'], ['pprof-samples-wasm.ts', 'src/exporters/pprof-samples/'], ['pprof-tables-wasm.ts', 'src/exporters/pprof-tables/'], ['pclntab-core-wasm.ts', 'src/symbols/pclntab-core/']]) {
      const committed = readFileSync(path.join(root, at, f), 'utf8');
      assert.ok(committed === readFileSync(path.join(dir, f), 'utf8'), `${at}${f} is stale: run node scripts/build-wasm.mjs`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** One sample per frame line, each line `tab + line` under the same caller. */
function text(lines: string[]): string {
  return lines.map((l, i) => `gop 7/7 ${(1 + i / 1000).toFixed(6)}: 1000 cpu-clock:\n\t${l}\n\t401000 main.main+0x10 (/bin/gop)\n\n`).join('');
}

test('3000 frame lines that share their first 40 and last 20 bytes stay 3000 frames, read whole or 5 bytes at a time', async () => {
  const head = 'ffffffff8161c639 '.padEnd(40, 'x');
  const lines = Array.from({ length: 3000 }, (_, i) => `${head}${i.toString(36)} ([kernel.kallsyms])`);
  for (const chunkSize of [1 << 20, 5]) {
    const r = await parsePerfScript(text(lines), { chunkSize });
    const p = r.profile;
    assert.deepEqual(r.warnings, []);
    assert.equal(p.totalSamples, 3000);
    assert.equal(p.frames.length, 3001);
    // Each sample's leaf is its own line's frame.
    const leafNames = p.groups.map((g) => p.frames[p.stackFrame[g.stack]].name);
    assert.deepEqual(leafNames, lines.map((l) => l.slice(17, l.indexOf(' (['))));
  }
});

test('a frame line longer than a read and a million-byte symbol: the input window grows, nothing is cut', async () => {
  const long = 'main.' + 'a'.repeat(1_000_000);
  const r = await parsePerfScript(text([`402000 ${long}+0x1 (/bin/gop)`, '403000 main.b+0x2 (/bin/gop)', `402000 ${long}+0x1 (/bin/gop)`]), { chunkSize: 65536 });
  const p = r.profile;
  assert.deepEqual(r.warnings, []);
  assert.equal(p.totalSamples, 3);
  assert.equal(p.frames.length, 3);
  assert.equal(p.frames.find((f) => f.addr === '402000')?.name, long);
  assert.deepEqual(p.groups.map((g) => g.count).sort(), [1, 2]);
});

test('many threads, repeated stacks deeper than 64 and event prefixes grow every table of the core: counts match a count made here', async () => {
  // 20k samples: 300 threads × 100 stacks of 1-150 frames drawn from 4000 lines, so (thread, stack) pairs repeat.
  let seed = 7;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const stacks = Array.from({ length: 100 }, () => Array.from({ length: 1 + rnd(150) }, () => `\t${(0x400000 + rnd(4000) * 16).toString(16)} f+0x1 (/bin/x)`).join('\n'));
  const parts: string[] = [];
  const want = new Map<string, number>();
  for (let i = 0; i < 20000; i++) {
    const tid = 1000 + rnd(300);
    const stack = stacks[rnd(stacks.length)];
    const period = 1 + rnd(100);
    parts.push(`comm${tid % 7} ${tid >> 1}/${tid} ${i}.000001: ${period} cycles:u:\n${stack}\n\n`);
    const key = `${tid}|${stack}`;
    want.set(key, (want.get(key) ?? 0) + period);
  }
  const r = await parsePerfScript(parts.join(''), { chunkSize: 4093 });
  const p = r.profile;
  assert.equal(p.totalSamples, 20000);
  assert.equal(p.event, 'cycles:u');
  const got = new Map<string, number>();
  for (const g of p.groups) {
    const lines: string[] = [];
    for (let n = g.stack; n > 0; n = p.stackParent[n]) lines.push(`\t${p.frames[p.stackFrame[n]].addr} f+0x1 (/bin/x)`);
    const key = `${g.tid}|${lines.join('\n')}`;
    got.set(key, (got.get(key) ?? 0) + g.period);
  }
  assert.deepEqual(got, want);
  assert.equal(p.groups.length, want.size); // (comm and pid follow from the tid here)
  assert.ok(want.size > 5000 && want.size < 20000, `${want.size} distinct (thread, stack) pairs`);
  assert.equal(p.timeline.size, new Set(parts.map((s) => s.split(' ')[1].split('/')[0])).size);
});

test('new frame lines are split in the core exactly as parseFrame splits them (random lines of spaces, brackets, offsets and non-ASCII)', async () => {
  const piece = fc.constantFrom('4142c9', 'ffffffff8161c639', ' ', '  ', '\t', '\u00a0', '\v', '(', ')', ' (', '+0x', '+0x1c', '1f', 'g', 'runtime.f', 'type:.eq.struct { a int }', '[unknown]', '/tmp/a (b)/gop', '[kernel.kallsyms]', 'é', '日本', '+', 'x');
  const noise = fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join(''));
  // Mostly perf's shape, `addr symbol[+0xoff] (dso)`, each part drawn from tricky values.
  const shaped = fc
    .tuple(
      fc.constantFrom('4142c9', 'ffffffff8161c639', '0', 'x1'),
      fc.constantFrom(' ', '  ', '\t', ''),
      fc.constantFrom('runtime.f', 'a b', '[unknown]', '', 'f(int)', 'type:.eq.struct { a int }', 'é', '+0x', 'g+0x1c'),
      fc.constantFrom('', '+0x1c', '+0x', '+0xg', '+0x1c+0x2'),
      fc.constantFrom('', ' (/bin/gop)', ' (/tmp/a (b)/gop)', ' ([kernel.kallsyms])', ' (x', '(/bin/gop)', ' ()', ' (/a) (b)', ')', ' (a(b)', ' (日本)'),
      fc.constantFrom('', ' ', '\u00a0', '\v'),
    )
    .map((p) => p.join(''));
  const line = fc.oneof(shaped, shaped, noise);
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), async (lines) => {
      const text = lines.map((l, i) => `c 1/${i + 1} ${i + 1}.000001: 1 cpu-clock:\n\t${l}\n`).join('\n');
      const r = await parsePerfScript(text);
      const p = r.profile;
      const leafOf = new Map(p.groups.map((g) => [g.stack, g]));
      assert.equal(p.totalSamples, lines.length);
      // Expected: what parseFrame makes of each line's text (from its first non-blank byte, read as latin1 like the parser).
      const malformed: number[] = [];
      const want: string[] = [];
      const wantByTid: [number, string][] = [];
      lines.forEach((l, i) => {
        const latin1 = Buffer.from(l, 'utf8').toString('latin1');
        const from = latin1.search(/[^ \t]/);
        const raw = from < 0 ? null : parseFrame(latin1.slice(from));
        if (!raw) {
          if (from >= 0) malformed.push(3 * i + 2);
          return;
        }
        const dec = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
        const named = raw.symbol !== '' && raw.symbol !== '[unknown]';
        want.push(JSON.stringify({ name: named ? dec(raw.symbol) : '[unknown]', dso: dec(raw.dso), addr: raw.addr, named }));
        wantByTid.push([i + 1, want[want.length - 1]]);
      });
      const got = [...leafOf.keys()].filter((n) => n > 0).map((n) => JSON.stringify(p.frames[p.stackFrame[n]]));
      assert.deepEqual(new Set(got), new Set(want));
      // Each line's own frame (its sample's tid is the line's number): frames the
      // core numbered and those JS made (non-ASCII) share one sequence of ids.
      const byTid = p.groups.filter((g) => g.stack > 0).map((g): [number, string] => [g.tid, JSON.stringify(p.frames[p.stackFrame[g.stack]])]);
      assert.deepEqual(new Map(byTid), new Map(wantByTid));
      assert.deepEqual(
        r.warnings.filter((w) => w.message.startsWith('malformed frame line')).map((w) => w.line),
        malformed,
      );
    }),
    { numRuns: 300 },
  );
});

test('frame lines whose bytes differ only in what is not UTF-8 are one frame, as their decoded names are one (U+FFFD)', async () => {
  const sample = (frame: Buffer, t: number) => Buffer.concat([Buffer.from(`c 1/1 ${t}.000001: 1 cpu-clock:\n\t`), frame, Buffer.from('\n\n')]);
  const text = Buffer.concat([
    sample(Buffer.from([...Buffer.from('4142c9 f'), 0xff, ...Buffer.from(' (/x)')]), 1),
    sample(Buffer.from([...Buffer.from('4142c9 f'), 0xfe, ...Buffer.from(' (/x)')]), 2),
    sample(Buffer.from([...Buffer.from('4142c9 g (/x'), 0xff, 0x29]), 3),
    sample(Buffer.from([...Buffer.from('4142c9 g (/x'), 0xfe, 0x29]), 4),
  ]);
  const p = (await parsePerfScript(text)).profile;
  assert.deepEqual(
    p.frames.map((f) => [f.name, f.dso]),
    [
      ['f\ufffd', '/x'],
      ['g', '/x\ufffd'],
    ],
  );
  assert.equal(p.groups.length, 2);
  assert.deepEqual(p.groups.map((g) => g.count), [2, 2]);
});

test('a Go binary whose pclntab bytes are damaged gives frames or none, never a trap or a throw', () => {
  const src = '/usr/local/go/pkg/tool/linux_amd64/asm';
  const good = openBinarySymbols(src);
  const [, text, size] = good.loads.find(([, , n]) => n > 0)!;
  const elf = openElf(src);
  const sect = elf.section('.gopclntab')!;
  elf.close();
  const bytes = readFileSync(src);
  const rnd = prng(20261126);
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-pclntab-'));
  try {
    let named = 0;
    for (let round = 0; round < 12; round++) {
      // Past the 72-byte header (its checks give GbpErrors): the function table, pc-value tables, names, inline trees.
      const bad = Buffer.from(bytes);
      for (let k = 0; k < 2000; k++) bad[sect.offset + 72 + Math.floor(rnd() * (sect.size - 72))] = Math.floor(rnd() * 256);
      const file = path.join(dir, `asm-${round}`);
      writeFileSync(file, bad);
      const t = openBinarySymbols(file);
      for (let i = 0; i < 3000; i++) {
        const f = t.frames(text + Math.floor(rnd() * size));
        assert.ok(Array.isArray(f) && f.length <= 1001);
        for (const x of f) assert.ok(typeof x.name === 'string' && typeof x.file === 'string' && Number.isInteger(x.line) && x.line >= 0);
        if (f.length) named++;
      }
      t.close();
    }
    assert.ok(named > 0, 'the damage left some functions readable');
  } finally {
    good.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
