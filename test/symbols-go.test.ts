// Our ELF + pclntab reader against independent judges, on real binaries:
// `go tool addr2line` (function, file:line), the Go runtime's own
// CallersFrames (inlined frames), and `nm` (C symbols).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openElf } from '../src/symbols/elf.ts';
import { pclntabSection, readPclntab } from '../src/symbols/pclntab.ts';
import { openBinarySymbols } from '../src/symbols/binary.ts';
import { GbpError } from '../src/errors.ts';
import { GO19, GO_NEW, TOOLS19, TOOLS_NEW, addr2line, goBuild, prng, tempDir, writeModule } from './symbols-helpers.ts';

let dir: string;
const bin: Record<string, string> = {};

// Spins long enough for perf to sample it; println keeps the build small.
const HELLO = `package main

import "os"

func work(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		for j := 0; j < i%7; j++ {
			s += j ^ i
		}
	}
	return s
}

func main() { println(work(len(os.Args) * 100000)) }
`;

// Prints, for each pc runtime.Callers returns, the frames the runtime itself
// expands it to (function, file, line): the judge of our inline unwinding.
const INLINE = `package main

import "runtime"

func leaf() []uintptr {
	pcs := make([]uintptr, 32)
	return pcs[:runtime.Callers(1, pcs)]
}

func mid() []uintptr { return leaf() }

func top() []uintptr { return mid() }

func main() {
	for _, pc := range top() {
		fr := runtime.CallersFrames([]uintptr{pc})
		for {
			f, more := fr.Next()
			println(pc, f.Function, f.File, f.Line)
			if !more {
				break
			}
		}
	}
}
`;

before(() => {
  dir = tempDir('symbols-go');
  const hello = writeModule(dir, 'hello', HELLO);
  const inl = writeModule(dir, 'inl', INLINE);
  // One fresh GOCACHE per toolchain for this file: the PIE builds share their compiles.
  for (const [tag, go] of [['19', GO19], ['new', GO_NEW]] as const) {
    const cache = path.join(dir, `gocache-${tag}`);
    bin[`pie${tag}`] = path.join(dir, `hello-pie-stripped-${tag}`);
    goBuild(go, cache, ['-buildmode=pie', '-ldflags=-s -w', '-o', bin[`pie${tag}`], '.'], hello);
    bin[`inl${tag}`] = path.join(dir, `inl-${tag}`);
    goBuild(go, cache, ['-o', bin[`inl${tag}`], '.'], inl);
  }
  bin.pieSyms = path.join(dir, 'hello-pie-new');
  goBuild(GO_NEW, path.join(dir, 'gocache-new'), ['-buildmode=pie', '-o', bin.pieSyms, '.'], hello);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Random addresses inside random functions of the pclntab. */
function randomAddrs(file: string, n: number, seed: number): number[] {
  const elf = openElf(file);
  const p = readPclntab(elf)!;
  const rnd = prng(seed);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * p.nfunc);
    out.push(p.entry(i) + Math.floor(rnd() * (p.end(i) - p.entry(i))));
  }
  elf.close();
  return out;
}

for (const [label, file, layout] of [
  ['Go 1.19 compile (stripped)', `${TOOLS19}/compile`, 'go1.18'],
  ['Go 1.19 link (stripped)', `${TOOLS19}/link`, 'go1.18'],
  ['Go 1.19 go command (stripped)', `/usr/lib/go-1.19/bin/go`, 'go1.18'],
  ['Go 1.26 compile', `${TOOLS_NEW}/compile`, 'go1.20'],
  ['Go 1.26 asm', `${TOOLS_NEW}/asm`, 'go1.20'],
  ['Go 1.19 PIE (stripped)', 'pie19', 'go1.18'],
  ['Go 1.26 PIE (stripped)', 'pienew', 'go1.20'],
] as const) {
  test(`names and lines equal go tool addr2line: ${label}`, () => {
    const f = bin[file] ?? file;
    const seed = 1000 + label.length;
    const addrs = randomAddrs(f, 200, seed);
    const theirs = addr2line(f, addrs);
    assert.equal(theirs.length, addrs.length);
    const t = openBinarySymbols(f);
    assert.equal(t.kind, 'go');
    assert.equal(readPclntab(openElf(f))!.layout, layout);
    let withLine = 0;
    addrs.forEach((a, i) => {
      const fr = t.frames(a);
      const where = `${label} 0x${a.toString(16)} (seed ${seed})`;
      assert.ok(fr.length >= 1, where);
      // addr2line names the outermost function and the innermost position.
      assert.equal(fr[fr.length - 1].name, theirs[i][0], where);
      // Padding and some assembly have no line: addr2line prints ':-1' (or another negative), we say line 0.
      if (/^:-\d+$/.test(theirs[i][1])) assert.equal(fr[0].line, 0, where);
      else assert.equal(`${fr[0].file}:${fr[0].line}`, theirs[i][1], where);
      if (fr[0].line) withLine++;
    });
    // Padding between functions has no line; most random addresses do.
    assert.ok(withLine > addrs.length / 2, `${withLine} of ${addrs.length} had a line`);
    t.close();
  });
}

for (const [label, file] of [
  ['Go 1.19 compile (stripped)', `${TOOLS19}/compile`],
  ['Go 1.26 compile', `${TOOLS_NEW}/compile`],
  ['Go 1.26 PIE with .symtab', 'pieSyms'],
] as const) {
  test(`framesMany (address order, in the core) equals frames() one address at a time: ${label}`, () => {
    const f = bin[file] ?? file;
    const p = readPclntab(openElf(f))!;
    // Random addresses out of order, some twice, and some outside every function (before, after, far beyond the text).
    const addrs = randomAddrs(f, 300, 77);
    addrs.push(...addrs.slice(0, 20), 0, p.entry(0) - 1, p.end(p.nfunc - 1) + 4096, 2 ** 40);
    const t = openBinarySymbols(f);
    const rows = t.framesMany!(Float64Array.from(addrs));
    assert.equal(rows.start.length, addrs.length + 1);
    let inlined = 0;
    addrs.forEach((a, i) => {
      const one = t.frames(a);
      const many = [];
      for (let r = rows.start[i]; r < rows.start[i + 1]; r++) many.push({ name: rows.name[r], file: rows.file[r], line: rows.line[r], inlined: rows.inlined[r] === 1 });
      assert.deepEqual(many, one, `${label} 0x${a.toString(16)}`);
      inlined += one.length - 1;
    });
    assert.ok(rows.start[300] - rows.start[0] >= 300, 'every address inside a function has a frame');
    assert.ok(inlined > 0 || label.includes('PIE'), 'some addresses are inside inlined calls');
    t.close();
  });
}

for (const tag of ['19', 'new']) {
  test(`inlined frames equal runtime.CallersFrames (Go ${tag === '19' ? '1.19' : '1.26'})`, () => {
    // println writes to stderr: "4728134 main.leaf /tmp/x/inl/main.go 8"
    const run = spawnSync(bin[`inl${tag}`], { encoding: 'utf8' });
    const runtimeFrames = run.stderr.trimEnd().split('\n').map((l) => {
      const [pc, name, file, line] = l.split(' ');
      return { pc: Number(pc), name, file, line: Number(line) };
    });
    const t = openBinarySymbols(bin[`inl${tag}`]);
    // Each pc (a return address) names its innermost frame; Callers gives inlined frames their own pcs.
    for (const r of runtimeFrames) {
      const ours = t.frames(r.pc - 1)[0];
      assert.deepEqual({ name: ours.name, file: ours.file, line: ours.line }, { name: r.name, file: r.file, line: r.line }, `pc ${r.pc.toString(16)}`);
    }
    // A pc expands to the runtime's frames from that pc on, up to its physical function.
    let deepest = 0;
    runtimeFrames.forEach((r, i) => {
      const ours = t.frames(r.pc - 1);
      const want = runtimeFrames.slice(i, i + ours.length);
      assert.deepEqual(ours.map((f, k) => [f.name, f.file, f.line, f.inlined]), want.map((w, k) => [w.name, w.file, w.line, k < ours.length - 1]), `pc ${r.pc.toString(16)}`);
      deepest = Math.max(deepest, ours.length);
    });
    assert.ok(deepest >= 3, `the compiler inlined mid and top into main (deepest expansion ${deepest})`);
    t.close();
  });
}

test('PIE: perf file offsets map through program headers to the names perf itself found', () => {
  // Unstripped PIE, loaded at a random base: perf names frames from .symtab; we must agree from the pclntab.
  const data = path.join(dir, 'pie.data');
  execFileSync('perf', ['record', '-q', '-F', '4999', '-g', '-o', data, bin.pieSyms, ...Array.from({ length: 60 }, (_, i) => String(i))], { stdio: 'ignore' });
  const text = execFileSync('perf', ['script', '-i', data], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  const t = openBinarySymbols(bin.pieSyms);
  let checked = 0;
  for (const line of text.split('\n')) {
    //	           7f680 runtime.checkASM.abi0+0x0 (/tmp/gbp-symbols-go-x/hello-pie-new)
    const m = /^\s+([0-9a-f]+) (\S+)\+0x[0-9a-f]+ \((.*)\)$/.exec(line);
    if (!m || m[3] !== bin.pieSyms) continue;
    const elf = openElf(bin.pieSyms);
    const vaddr = elf.fileOffsetToVaddr(parseInt(m[1], 16))!;
    elf.close();
    const fr = t.frames(vaddr);
    assert.equal(fr[fr.length - 1].name, m[2].replace(/\.abi0$/, ''), line);
    checked++;
  }
  assert.ok(checked >= 20, `only ${checked} PIE frames checked`);
  t.close();
});

test('C binaries: .symtab and .dynsym names equal nm', () => {
  const c = path.join(dir, 'prog.c');
  writeFileSync(c, 'int twice(int x) { return 2 * x; }\nstatic int hidden(int x) { return x + 1; }\nint main(int argc, char **argv) { return twice(argc) + hidden(argc); }\n');
  const exe = path.join(dir, 'prog');
  execFileSync('gcc', ['-O0', '-o', exe, c]);
  const libc = execFileSync('gcc', ['-print-file-name=libc.so.6'], { encoding: 'utf8' }).trim();
  for (const [file, nmArgs] of [[exe, []], [libc, ['-D']]] as const) {
    // 0000000000001139 000000000000000f T twice
    const syms = execFileSync('nm', [...nmArgs, '-S', '--defined-only', file], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' '))
      .filter((p) => p.length === 4 && /^[tTiW]$/.test(p[2]) && parseInt(p[1], 16) > 0)
      .map((p) => ({ addr: parseInt(p[0], 16), size: parseInt(p[1], 16), name: p[3].replace(/@.*$/, '') }));
    assert.ok(syms.length > 0, file);
    const t = openBinarySymbols(file);
    assert.equal(t.kind, 'elf');
    const rnd = prng(7);
    for (let k = 0; k < 200; k++) {
      const s = syms[Math.floor(rnd() * syms.length)];
      const got = t.frames(s.addr + Math.floor(rnd() * s.size))[0]?.name;
      // Aliases (several names at one address) are fine: any of them.
      const ok = syms.filter((o) => o.addr === s.addr).map((o) => o.name);
      assert.ok(got !== undefined && ok.includes(got), `${file}: ${s.name} @${s.addr.toString(16)} → ${got}`);
    }
    t.close();
  }
  assert.deepEqual(openBinarySymbols(exe).frames(syms0(exe, 'hidden'))[0].name, 'hidden');
});

function syms0(file: string, name: string): number {
  const l = execFileSync('nm', [file], { encoding: 'utf8' }).split('\n').find((x) => x.endsWith(` ${name}`))!;
  return parseInt(l.split(' ')[0], 16);
}

test('bad binaries give a GbpError naming the file', () => {
  const notElf = path.join(dir, 'not-elf');
  writeFileSync(notElf, 'hello, not an ELF file at all\n'.repeat(4));
  assert.throws(() => openElf(notElf), (e: unknown) => e instanceof GbpError && e.code === 'parse' && e.message.includes(notElf) && /not an ELF/.test(e.message));
  // Truncated: keep the header, lose the section table at the end.
  const trunc = path.join(dir, 'truncated');
  writeFileSync(trunc, readFileSync(bin.pie19).subarray(0, 4096));
  assert.throws(() => openElf(trunc), (e: unknown) => e instanceof GbpError && e.message.includes(trunc) && /beyond the end/.test(e.message));
  // A Go 1.16-style magic: clearly unsupported.
  const old = path.join(dir, 'old-magic');
  copyFileSync(bin.pie19, old);
  const elf = openElf(old);
  const s = pclntabSection(elf)!;
  elf.close();
  const b = readFileSync(old);
  b.writeUInt32LE(0xfffffffa, s.offset);
  writeFileSync(old, b);
  const e2 = openElf(old);
  assert.throws(() => readPclntab(e2), (e: unknown) => e instanceof GbpError && /Go 1\.16–1\.17 layout .* unsupported/.test((e as Error).message) && (e as Error).message.includes(old));
  e2.close();
});
