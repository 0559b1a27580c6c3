// Named frames end to end, judged by independent tools: the named share on the
// Go 1.19 sample (stripped toolchain) against a scan of its perf text, the
// unwind garbage rule against the same scan, cpu.pb.gz read by the real
// `go tool pprof` (-top, -lines, -list, -disasm) and its addresses by
// `go tool addr2line`, and a replaced binary (another build-id) refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { loadBuild } from '../src/importers/index.ts';
import { symbolCoverage } from '../src/analyze/symbol-coverage.ts';
import { encodeCpuPprof } from '../src/exporters/pprof-cpu.ts';
import { ENTRY } from '../src/bundle/format.ts';
import { PERF_SCRIPT_FIELDS } from '../src/capture/perf.ts';
import type { CpuProfile } from '../src/model/types.ts';
import { TINY_MODULE, gbp, goEnv, perfRecordWorks, tempDir, writeTree } from './capture-fixture.ts';
import { GO_NEW, TOOLS19, addr2line, prng } from './symbols-helpers.ts';
import { GO_FOR_PPROF, goToolPprof } from './go-pprof.ts';
import { packBundle, testManifest } from './pack-bundle.ts';

const SAMPLE119 = new URL('../samples/nethttp-go119.gbp.tgz', import.meta.url).pathname;
const have119 = existsSync(`${TOOLS19}/compile`) && existsSync('/usr/lib/go-1.19/bin/go');
const perfOk = await perfRecordWorks();

let work: string;
before(async () => {
  work = await tempDir('gbp-pprofsym-');
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Samples of perf text as frame lists [addr, symbol, dso], by a regex scan (not our parser). */
function perfSamples(text: string): [string, string, string][][] {
  const out: [string, string, string][][] = [];
  for (const block of text.split(/\n\n+/)) {
    const frames: [string, string, string][] = [];
    //	          4c9d1a [unknown] (/usr/lib/go-1.19/pkg/tool/linux_amd64/compile)
    for (const m of block.matchAll(/^\t\s*([0-9a-f]+) (.*) \(([^\n]*)\)$/gm)) frames.push([m[1], m[2], m[3]]);
    if (block.trim()) out.push(frames);
  }
  return out;
}

function frameOccurrences(cpu: CpuProfile): number {
  let n = 0;
  for (const g of cpu.groups) for (let s = g.stack; s > 0; s = cpu.stackParent[s]) n += g.count;
  return n;
}

function writeCpuPprof(name: string, bytes: Buffer): string {
  const f = path.join(work, name);
  writeFileSync(f, bytes);
  return f;
}

test('1.19 sample: ≥ 99% of Go samples fully named (baseline from a scan of the perf text); unwind garbage counted exactly', { skip: !have119 && 'Go 1.19 binaries absent' }, async () => {
  const text = gunzipSync(readFileSync(path.join(await untar(SAMPLE119), ENTRY.perfScript))).toString('utf8');
  const samples = perfSamples(text);
  const named = (f: [string, string, string]) => f[1] !== '[unknown]' && f[1] !== '';
  const baselineFull = samples.filter((s) => s.every(named)).length;
  // Samples whose outermost frames lie in no mapping (and not all of them): the garbage rule must cut exactly these.
  const cut = samples.filter((s) => s.length && s[s.length - 1][2] === '[unknown]' && s.some((f) => f[2] !== '[unknown]'));
  const trailing = cut.reduce((a, s) => {
    let k = 0;
    while (s[s.length - 1 - k][2] === '[unknown]') k++;
    return a + k;
  }, 0);

  const raw = (await loadBuild(SAMPLE119, { symbols: null, dropUnwindGarbage: false })).cpu!;
  const rawTrimmed = (await loadBuild(SAMPLE119, { symbols: null })).cpu!;
  const ours = (await loadBuild(SAMPLE119)).cpu!;
  assert.equal(raw.totalSamples, samples.length);
  const b = symbolCoverage(raw);
  assert.equal(b.fullyNamed, baselineFull, 'baseline = samples perf named fully');

  const g = ours.unwindGarbage!;
  assert.equal(g.samples, cut.length);
  assert.ok(g.frames >= trailing, `${g.frames} dropped ≥ ${trailing} trailing unmapped frames`);
  // Nothing but those frames went: the trimmed raw profile holds exactly that many fewer frames.
  assert.equal(frameOccurrences(raw) - frameOccurrences(rawTrimmed), rawTrimmed.unwindGarbage!.frames);

  const c = symbolCoverage(ours);
  const goDsos = new Set([...ours.binaries!].filter(([, x]) => x.kind === 'go').map(([d]) => d));
  assert.ok(goDsos.has(`${TOOLS19}/compile`));
  const bGo = symbolCoverage(raw, goDsos);
  process.stdout.write(`# named: all ${b.fullyNamed}/${b.samples} → ${c.fullyNamed}/${c.samples}; Go ${bGo.goFullyNamed}/${bGo.goSamples} → ${c.goFullyNamed}/${c.goSamples}\n`);
  assert.ok(c.goFullyNamed / c.goSamples >= 0.99, `Go samples fully named: ${c.goFullyNamed}/${c.goSamples}`);
  assert.ok(c.fullyNamed / c.samples >= 0.985, `all samples fully named: ${c.fullyNamed}/${c.samples}`);
  assert.ok(bGo.goFullyNamed / bGo.goSamples < 0.05, 'perf alone names almost none of the stripped toolchain');
});

test('1.19 sample cpu.pb.gz: go tool pprof -top names compiler functions, -lines shows file:line, addresses are what addr2line names', { skip: (!have119 || !GO_FOR_PPROF) && 'Go 1.19 binaries or go tool pprof absent' }, async () => {
  const model = await loadBuild(SAMPLE119);
  const file = writeCpuPprof('go119.cpu.pb.gz', await encodeCpuPprof(model.cpu!, model.invocations));

  const top = goToolPprof(['-top', '-nodecount=60', file]);
  const rows = top.split('\n').filter((l) => /^\s+[\d.]+m?s\s/.test(l));
  assert.ok(rows.filter((l) => l.includes('cmd/compile/internal/')).length >= 10, top);
  assert.ok(!rows.some((l) => /\s0x[0-9a-f]+$/.test(l) || l.endsWith('[unknown]')), 'no hex or [unknown] in the top 60');
  const lines = goToolPprof(['-top', '-lines', '-nodecount=30', file]);
  // Every Go function row names its source line (kernel rows have none).
  const goRows = lines.split('\n').filter((l) => /%\s+(runtime|cmd\/compile\/internal)[./]/.test(l));
  assert.ok(goRows.length >= 10 && goRows.every((l) => /\s\/usr\/lib\/go-1\.19\/src\/\S+\.(go|s):\d+( \(inline\))?$/.test(l)), lines);

  // The protobuf itself: compile's mapping is its text segment at the link address;
  // a location's address, given to addr2line, names the location's outermost line.
  const p = Profile.decode(gunzipSync(readFileSync(file)));
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const m = p.mapping.find((x) => str(x.filename) === `${TOOLS19}/compile`)!;
  assert.deepEqual([Number(m.memoryStart), Number(m.fileOffset), m.hasFunctions, m.hasLineNumbers, m.hasInlineFrames], [0x400000, 0, true, true, true]);
  const fn = new Map(p.function.map((f) => [Number(f.id), str(f.name)]));
  const locs = p.location.filter((l) => Number(l.mappingId) === Number(m.id) && l.line.length);
  assert.ok(locs.some((l) => l.line.length > 1), 'inlined calls share one location');
  const rnd = prng(7);
  const pick = Array.from({ length: 100 }, () => locs[Math.floor(rnd() * locs.length)]);
  const judge = addr2line(`${TOOLS19}/compile`, pick.map((l) => Number(l.address)));
  pick.forEach((l, i) => {
    const outer = fn.get(Number(l.line[l.line.length - 1].functionId));
    assert.equal(outer, judge[i][0], `0x${Number(l.address).toString(16)}`);
    // addr2line prints the innermost frame's position.
    assert.equal(`${str(p.function[Number(l.line[0].functionId) - 1].filename)}:${l.line[0].line}`, judge[i][1]);
  });
});

/** A program that spends ~0.3 s in one function named `fn`. */
function spinSource(fn: string): string {
  return `package main\n\n//go:noinline\nfunc ${fn}(n int) int {\n\ts := 0\n\tfor i := 0; i < n; i++ {\n\t\ts += i * i % 7\n\t}\n\treturn s\n}\n\nfunc main() { println(${fn}(200_000_000)) }\n`;
}

/** One GOCACHE for the spin builds of this file (fresh per run): later builds only recompile main and relink. */
function spinEnv(): NodeJS.ProcessEnv {
  return goEnv(path.join(work, 'spin-cache'), { CGO_ENABLED: '0' });
}

/** Extracts a bundle into a temp folder (tar is a judge independent of our reader). */
async function untar(bundle: string): Promise<string> {
  const d = path.join(work, path.basename(bundle) + '.d');
  if (!existsSync(d)) {
    mkdirSync(d);
    execFileSync('tar', ['xzf', bundle, '-C', d]);
  }
  return d;
}

test('a Go 1.26 capture: pprof -list and -disasm print a compiler function; the mapping carries the GNU build-id perf recorded', { skip: (!perfOk || !GO_FOR_PPROF || !existsSync(GO_NEW)) && 'perf, go tool pprof or Go 1.26 absent' }, async () => {
  const mod = path.join(work, 'tm');
  await writeTree(mod, TINY_MODULE);
  const bundle = path.join(work, 'tm.gbp.tgz');
  const r = await gbp(['capture', '-o', bundle, '--perf', 'on', '--', GO_NEW, 'build', '-a', './...'], { cwd: mod, env: goEnv(path.join(work, 'cache')) });
  assert.equal(r.code, 0, r.stderr);
  const out = path.join(work, 'tm-pprof');
  const w = await gbp(['pprof', bundle, '-o', out], { cwd: work, env: process.env });
  assert.equal(w.code, 0, w.stderr);
  const file = path.join(out, 'cpu.pb.gz');

  const compile = path.join(execFileSync(GO_NEW, ['env', 'GOTOOLDIR'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } }).trim(), 'compile');
  const ids = readFileSync(path.join(await untar(bundle), ENTRY.perfBuildIds), 'utf8');
  const recorded = new RegExp(`^([0-9a-f]+) ${compile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm').exec(ids)?.[1];
  assert.ok(recorded, `perf recorded a build-id for ${compile}`);
  const raw = goToolPprof(['-raw', file]);
  assert.match(raw, new RegExp(`^\\d+: 0x400000/0x[0-9a-f]+/0x0 ${compile.replace(/[/.]/g, '\\$&')} ${recorded} \\[FN\\]\\[FL\\]\\[LN\\]\\[IN\\]$`, 'm'));

  // The busiest compiler function, then pprof's own source and assembly views of it.
  // The toolchain is built with -trimpath: its pclntab names GOROOT files relative to GOROOT/src.
  const goroot = execFileSync(GO_NEW, ['env', 'GOROOT'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } }).trim();
  const top = goToolPprof(['-top', '-nodecount=200', '-tagfocus=tool=compile', file]);
  const fnName = /\s(cmd\/compile\/internal\/[^\s]+)$/m.exec(top)?.[1];
  assert.ok(fnName, top);
  const rx = fnName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const list = goToolPprof(['-source_path', path.join(goroot, 'src'), '-list', rx + '$', file]);
  assert.match(list, new RegExp(`ROUTINE =+ ${rx} in \\S+\\.go`));
  assert.ok(list.split('\n').filter((l) => /^\s+\S+\s+\S+\s+\d+:\s/.test(l)).length >= 3, list);
  assert.doesNotMatch(list, /could not find file/);
  // Go 1.19's objfile cannot read a 1.20+ pclntab, so the assembly view needs the new toolchain's pprof.
  const disasm = goToolPprof(['-disasm', rx, file], GO_NEW);
  assert.match(disasm, new RegExp(`ROUTINE =+ ${rx}`));
  const insns = disasm.split('\n').filter((l) => /^\s+\S+\s+\S+\s+([0-9a-f]{6,}):\s+\S+/.test(l));
  assert.ok(insns.length >= 3, disasm);
});

test('a replaced binary (another build-id) is reported and not used; its frames keep address and DSO in cpu.pb.gz', { skip: (!perfOk || !existsSync(GO_NEW)) && 'perf or Go 1.26 absent' }, async () => {
  // A stripped PIE (ET_DYN): perf names none of its frames, the pclntab names all of them.
  const mod = path.join(work, 'spin');
  await writeTree(mod, { 'go.mod': 'module spin\n\ngo 1.22\n', 'main.go': spinSource('spin') });
  const env = spinEnv();
  const prog = path.join(mod, 'spin');
  const build = (id: string) => execFileSync(GO_NEW, ['build', '-buildmode=pie', `-ldflags=-s -w -B 0x${id}`, '-o', prog, '.'], { cwd: mod, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const idA = 'a1'.repeat(20);
  const idB = 'b2'.repeat(20);
  build(idA);
  const dirA = path.join(work, 'copies-a');
  mkdirSync(dirA);
  copyFileSync(prog, path.join(dirA, 'spin'));
  const data = path.join(work, 'spin.data');
  execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-g', '-F', '999', '-o', data, '--', prog], { stdio: 'ignore' });
  const script = execFileSync('perf', ['script', '-i', data, '--ns', '-F', PERF_SCRIPT_FIELDS], { maxBuffer: 256 << 20 });
  const ids = execFileSync('perf', ['buildid-list', '-i', data], { encoding: 'utf8' });
  assert.match(ids, new RegExp(`^${idA} ${prog}$`, 'm'));
  // The same path now holds another build (same code, another build-id), and so does --binaries DIR.
  build(idB);
  const dirB = path.join(work, 'copies-b');
  mkdirSync(dirB);
  copyFileSync(prog, path.join(dirB, 'spin'));
  const bundle = path.join(work, 'spin.gbp.tgz');
  await packBundle(bundle, testManifest(1n), { [ENTRY.perfScript]: { data: gzipSync(script) }, [ENTRY.perfBuildIds]: { data: ids } });

  const text = script.toString('utf8');
  const progFrames = perfSamples(text).flat().filter((f) => f[2] === prog);
  assert.ok(progFrames.length > 50 && progFrames.every((f) => f[1] === '[unknown]'), 'perf named none of the stripped frames');

  const mism = await loadBuild(bundle, { symbols: { binariesDir: dirB } });
  const why = mism.warnings.filter((w) => w.message.includes('build-id mismatch'));
  assert.deepEqual(why.map((w) => w.message.includes(path.join(dirB, 'spin')) || w.message.includes(`${prog} has ${idB}`)), [true, true], JSON.stringify(mism.warnings));
  const left = mism.cpu!.frames.filter((f) => f.dso === prog);
  assert.ok(left.length > 0 && left.every((f) => !f.named && f.name === '[unknown]'), 'nothing named from a mismatched binary');

  const good = await loadBuild(bundle, { symbols: { binariesDir: dirA } });
  assert.ok(good.cpu!.frames.some((f) => f.dso === prog && f.name === 'main.spin'), '--binaries with the recorded build names main.spin');
  assert.equal(execFileSync('readelf', ['-h', prog], { encoding: 'utf8' }).match(/Type:\s+(\S+)/)?.[1], 'DYN');
  // Its pprof locations carry link-time addresses: addr2line on the copy names each one's outermost line.
  const gp = Profile.decode(gunzipSync(await encodeCpuPprof(good.cpu!)));
  const gs = (i: number | bigint) => gp.stringTable.strings[Number(i)];
  const gm = gp.mapping.find((x) => gs(x.filename) === prog)!;
  assert.deepEqual([gs(gm.buildId), gm.hasFunctions, gm.hasInlineFrames], [idA, true, true]);
  const named = gp.location.filter((l) => Number(l.mappingId) === Number(gm.id) && l.line.length);
  const judge = addr2line(path.join(dirA, 'spin'), named.map((l) => Number(l.address)));
  named.forEach((l, i) => assert.equal(gs(gp.function[Number(l.line[l.line.length - 1].functionId) - 1].name), judge[i][0], `0x${Number(l.address).toString(16)}`));

  // cpu.pb.gz of the mismatched load: prog's locations keep perf's offsets (at the
  // placeholder start 0x400000, offset 0), no lines, the recorded build-id, has_functions false.
  const p = Profile.decode(gunzipSync(await encodeCpuPprof(mism.cpu!)));
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const m = p.mapping.find((x) => str(x.filename) === prog)!;
  assert.deepEqual([str(m.buildId), m.hasFunctions, Number(m.memoryStart), Number(m.fileOffset)], [idA, false, 0x400000, 0]);
  const got = new Set(p.location.filter((l) => Number(l.mappingId) === Number(m.id)).map((l) => { assert.equal(l.line.length, 0); return Number(l.address); }));
  assert.deepEqual(got, new Set(progFrames.map((f) => 0x400000 + parseInt(f[0], 16))));
});

test('gbp pprof --perf-script: a local binary that names perf-named frames otherwise is not used for them (warning), perf keeps its names', { skip: (!perfOk || !existsSync(GO_NEW)) && 'perf or Go 1.26 absent' }, async () => {
  const mod = path.join(work, 'named');
  await writeTree(mod, { 'go.mod': 'module named\n\ngo 1.22\n', 'main.go': spinSource('spin') });
  const prog = path.join(mod, 'named');
  const build = () => execFileSync(GO_NEW, ['build', '-buildmode=pie', '-o', prog, '.'], { cwd: mod, env: spinEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  build(); // unstripped: perf names every frame from .symtab
  const data = path.join(work, 'named.data');
  execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-g', '-F', '999', '-o', data, '--', prog], { stdio: 'ignore' });
  const text = path.join(work, 'named.txt');
  writeFileSync(text, execFileSync('perf', ['script', '-i', data, '--ns', '-F', PERF_SCRIPT_FIELDS], { maxBuffer: 256 << 20 }));
  const perfNames = new Set(perfSamples(readFileSync(text, 'utf8')).flat().filter((f) => f[2] === prog).map((f) => f[1].replace(/\.abi(0|internal)$/, '')));
  assert.ok(perfNames.has('main.spin'));

  // Same path, another program: its function sits where main.spin was, under another name.
  await writeTree(mod, { 'main.go': spinSource('twirl') });
  build();
  const out = path.join(work, 'named.pb.gz');
  const r = await gbp(['pprof', '--perf-script', text, '-o', out], { cwd: work, env: process.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /not of the binary perf saw/);
  const p = Profile.decode(gunzipSync(readFileSync(out)));
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const m = p.mapping.find((x) => str(x.filename) === prog)!;
  const ours = new Set(p.location.filter((l) => Number(l.mappingId) === Number(m.id)).flatMap((l) => l.line.map((ln) => str(p.function[Number(ln.functionId) - 1].name).replace(/\.abi(0|internal)$/, ''))));
  assert.ok(ours.has('main.spin') && !ours.has('main.twirl'), [...ours].join(' '));
});

test('--goroot: a toolchain found elsewhere names the frames of the recorded (now missing) one, through the CLI; --no-symbols gives perf\'s names', { skip: (!perfOk || !existsSync(GO_NEW)) && 'perf or Go 1.26 absent' }, async () => {
  // A stripped "compile" in a GOROOT layout, recorded there, then the GOROOT moves away.
  const mod = path.join(work, 'tool');
  await writeTree(mod, { 'go.mod': 'module faketool\n\ngo 1.22\n', 'main.go': spinSource('spin') });
  const recordedRoot = path.join(work, 'goroot-then');
  const tool = path.join(recordedRoot, 'pkg', 'tool', 'linux_amd64', 'compile');
  execFileSync(GO_NEW, ['build', '-buildmode=pie', '-ldflags=-s -w', '-o', tool, '.'], { cwd: mod, env: spinEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  const data = path.join(work, 'tool.data');
  execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-g', '-F', '999', '-o', data, '--', tool], { stdio: 'ignore' });
  const script = execFileSync('perf', ['script', '-i', data, '--ns', '-F', PERF_SCRIPT_FIELDS], { maxBuffer: 256 << 20 });
  const ids = execFileSync('perf', ['buildid-list', '-i', data], { encoding: 'utf8' });
  const movedRoot = path.join(work, 'goroot-now');
  execFileSync('mv', [recordedRoot, movedRoot]);
  const bundle = path.join(work, 'tool.gbp.tgz');
  await packBundle(bundle, testManifest(1n), { [ENTRY.perfScript]: { data: gzipSync(script) }, [ENTRY.perfBuildIds]: { data: ids } });
  const toolFrames = perfSamples(script.toString('utf8')).flat().filter((f) => f[2] === tool).length;
  assert.ok(toolFrames > 50);

  const info = async (...flags: string[]) => {
    const r = await gbp(['info', '--json', ...flags, bundle], { cwd: work, env: process.env });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).symbols as { samples: number; fullyNamed: number; unnamedByDso: { dso: string; samples: number }[] };
  };
  const without = await info();
  const withRoot = await info('--goroot', movedRoot);
  const raw = await info('--goroot', movedRoot, '--no-symbols');
  const unnamedIn = (s: typeof without) => s.unnamedByDso.find((d) => d.dso === tool)?.samples ?? 0;
  // Without it every sample through the tool has an unnamed frame; with it, none (but garbage-free ones).
  assert.ok(unnamedIn(without) >= 0.9 * without.samples, JSON.stringify(without.unnamedByDso));
  assert.equal(unnamedIn(withRoot), 0, JSON.stringify(withRoot.unnamedByDso));
  // --no-symbols ignores --goroot: perf's names, as without any binaries.
  assert.equal(unnamedIn(raw), unnamedIn(without));
});

test('gbp --help of a bundle command teaches the symbol flags', async () => {
  const r = await gbp(['pprof', '--help'], { cwd: work, env: process.env });
  for (const flag of ['--binaries <dir>', '--goroot <dir>', '--no-symbols', '--keep-unwind-garbage']) assert.ok(r.stdout.includes(flag), `${flag} in:\n${r.stdout}`);
  assert.match(r.stdout.replace(/\s+/g, ' '), /build-id differs from the recording is reported and not used/);
});

test('an address perf left unnamed in an ELF binary it named other frames of stays unnamed; alone, the same address is named from the binary', async () => {
  // node itself: an ELF binary on every machine that runs these tests, with thousands of function symbols.
  const bin = process.execPath;
  const { openElf, PT_LOAD } = await import('../src/symbols/elf.ts');
  const elf = openElf(bin);
  const text = elf.segments.filter((s) => s.type === PT_LOAD && s.flags & 1).sort((a, b) => b.filesz - a.filesz)[0]; // the largest PF_X one
  const sym = elf.functionSymbols().find((s) => s.size > 64 && s.addr >= text.vaddr && s.addr + s.size <= text.vaddr + text.filesz)!;
  elf.close();
  const off = (sym.addr + 16 - text.vaddr + text.offset).toString(16);
  const event = (frames: string[]) => `node 7/7 [000] 1.000000:    1000000 cpu-clock: \n${frames.map((f) => `\t${f}\n`).join('')}\n`;
  const convert = async (name: string, body: string) => {
    const f = path.join(work, `${name}.txt`);
    writeFileSync(f, body);
    const out = path.join(work, `${name}.pb.gz`);
    const r = await gbp(['pprof', '--perf-script', f, '-o', out], { cwd: work, env: process.env });
    assert.equal(r.code, 0, r.stderr);
    const p = Profile.decode(gunzipSync(readFileSync(out)));
    const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
    // The leaf location's function names (none when unnamed).
    const leaf = p.location.find((l) => Number(l.id) === Number(p.sample[0].locationId[0]))!;
    return leaf.line.map((l) => str(p.function[Number(l.functionId) - 1].name));
  };
  const unknown = `${off} [unknown] (${bin})`;
  assert.deepEqual(await convert('alone', event([unknown])), [sym.name]);
  const namedByPerf = `${(text.offset + 1).toString(16)} perf_named_it (${bin})`;
  assert.deepEqual(await convert('beside', event([unknown, namedByPerf])), []);
});
