// Symbolization end to end on a real capture: Go 1.19's stripped toolchain
// builds `-a fmt` under perf; the bundle's sidecars must name its frames on a
// machine without the binaries. Judges: `go tool buildid`, `go tool addr2line`
// on the real binary, and an independent scan of the perf text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openBundle, type Bundle } from '../src/bundle/reader.ts';
import { ENTRY } from '../src/bundle/format.ts';
import type { SampledBinary } from '../src/capture/symbols.ts';
import { decodeSidecar, sidecarTable } from '../src/symbols/sidecar.ts';
import { gbp, goEnv, perfRecordWorks, tempDir } from './capture-fixture.ts';
import { GO19, TOOLS19, addr2line, prng } from './symbols-helpers.ts';

let work: string;
let bundlePath: string;
let bundle: Bundle;
let scriptText = '';
// Probed at load time: `skip` is decided when the tests are declared.
const perfOk = await perfRecordWorks();

before(async () => {
  work = await tempDir('gbp-symint-');
  if (!perfOk) return;
  bundlePath = path.join(work, 'fmt119.gbp.tgz');
  const r = await gbp(['capture', '-o', bundlePath, '--perf', 'on', '--', GO19, 'build', '-a', 'fmt'], { cwd: work, env: goEnv(path.join(work, 'cache')) });
  assert.equal(r.code, 0, r.stderr);
  bundle = await openBundle(bundlePath);
  scriptText = gunzipSync(readFileSync(bundle.file(ENTRY.perfScript))).toString('utf8');
});

after(async () => {
  await bundle?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Distinct sampled addresses per absolute DSO, by a regex over the whole text (not the capture's line scanner). */
function userFrames(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  //	          4c9d1a [unknown] (/usr/lib/go-1.19/pkg/tool/linux_amd64/compile)
  for (const m of text.matchAll(/^\t\s*([0-9a-f]+) .* \((\/[^\n]*)\)$/gm)) {
    if (!out.has(m[2])) out.set(m[2], new Set());
    out.get(m[2])!.add(m[1]);
  }
  return out;
}

test('capture writes a sidecar per sampled binary; ids, sizes and names agree with go tool buildid and addr2line', { skip: !perfOk && 'perf does not work here' }, () => {
  const perf = bundle.manifest.collectors.perf;
  assert.equal(perf.status, 'ok');
  const binaries = perf.binaries as SampledBinary[];
  const seen = userFrames(scriptText);
  assert.deepEqual(binaries.map((b) => b.path).sort(), [...seen.keys()].sort(), 'one record per sampled DSO');
  for (const b of binaries) assert.equal(b.addresses, seen.get(b.path)!.size, `${b.path}: distinct addresses`);

  const compile = binaries.find((b) => b.path === `${TOOLS19}/compile`);
  assert.ok(compile?.entry, 'compile was sampled and has a sidecar');
  assert.equal(compile.size, readFileSync(compile.path).length);
  // Debian's 1.19 tools carry no GNU build-id: the key is the Go build ID.
  assert.equal(compile.gnuBuildId, null);
  const goId = execFileSync(GO19, ['tool', 'buildid', compile.path], { encoding: 'utf8' }).trim();
  assert.equal(compile.buildId, `go-${goId}`);
  assert.ok(bundle.has(compile.entry), `${compile.entry} is in the bundle`);
  for (const b of binaries) if (b.entry) assert.ok(bundle.has(b.entry), b.entry);

  // Sampled addresses named from the sidecar alone equal addr2line on the binary
  // (non-PIE toolchain: vaddr = file offset + 0x400000, per FACTS.md).
  const side = decodeSidecar(readFileSync(bundle.file(compile.entry)), { entry: compile.entry });
  const table = sidecarTable(side);
  const addrs = [...seen.get(compile.path)!].map((h) => parseInt(h, 16) + 0x400000);
  const rnd = prng(4);
  const pick = Array.from({ length: 200 }, () => addrs[Math.floor(rnd() * addrs.length)]);
  const judge = addr2line(compile.path, pick);
  let named = 0;
  pick.forEach((a, i) => {
    const fr = table.frames(a);
    if (!fr.length) return;
    named++;
    const outer = fr[fr.length - 1]; // addr2line names the outermost (physical) function
    assert.equal(outer.name, judge[i][0], `0x${a.toString(16)}`);
    // addr2line prints the innermost inlined frame's file:line.
    assert.equal(`${fr[0].file}:${fr[0].line}`, judge[i][1], `0x${a.toString(16)} line`);
  });
  assert.ok(named >= 198, `${named}/200 sampled addresses named from the sidecar`);
});
