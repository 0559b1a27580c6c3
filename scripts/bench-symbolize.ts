// Benchmark of symbolization on the machine's real toolchain binaries:
// addresses resolved per second (from the binary, and from a sidecar),
// sidecar build time, and sidecar bytes per binary (function table only, and
// with N sampled addresses), beside the gzip'd size of the whole pclntab that
// a "ship the full line table" sidecar would cost.
//   node --import tsx scripts/bench-symbolize.ts [binary...]
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { openElf } from '../src/symbols/elf.ts';
import { pclntabSection, readPclntab } from '../src/symbols/pclntab.ts';
import { openBinarySymbols } from '../src/symbols/binary.ts';
import { buildSidecar, decodeSidecar, encodeSidecar, sidecarTable } from '../src/symbols/sidecar.ts';

const DEFAULT = [
  '/usr/lib/go-1.19/pkg/tool/linux_amd64/compile',
  '/usr/lib/go-1.19/pkg/tool/linux_amd64/link',
  '/usr/lib/go-1.19/pkg/tool/linux_amd64/asm',
  '/usr/lib/go-1.19/bin/go',
  '/usr/local/go/pkg/tool/linux_amd64/compile',
  '/usr/local/go/pkg/tool/linux_amd64/link',
];
const LOOKUPS = 200_000;
const SAMPLED = 20_000;
const REPEAT = 3;

let peakRss = 0;
const notePeak = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function time(f: () => void): number {
  const runs: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    f();
    runs.push(performance.now() - t0);
    notePeak();
  }
  return median(runs);
}

function randomAddrs(file: string, n: number): { vaddrs: number[]; offsets: number[] } {
  const elf = openElf(file);
  const p = readPclntab(elf)!;
  const text = elf.segments.find((s) => s.type === 1 && s.flags & 1)!;
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const vaddrs: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * p.nfunc);
    vaddrs.push(p.entry(i) + Math.floor(rnd() * (p.end(i) - p.entry(i))));
  }
  elf.close();
  return { vaddrs, offsets: vaddrs.map((v) => v - text.vaddr + text.offset) };
}

const files = (process.argv.length > 2 ? process.argv.slice(2) : DEFAULT).filter((f) => existsSync(f));
console.log(`bench-symbolize: ${LOOKUPS} random lookups, sidecars with ${SAMPLED} sampled addresses, median of ${REPEAT}`);
console.log(['binary', 'MB', 'funcs', 'open ms', 'addr/s bin', 'addr/s side', 'build ms', 'side KB (funcs)', `side KB (+${SAMPLED / 1000}k)`, 'pclntab gz KB'].join('\t'));
for (const file of files) {
  const elf = openElf(file);
  const pcln = readPclntab(elf);
  if (!pcln) continue;
  const sect = pclntabSection(elf)!;
  const pclnGz = gzipSync(elf.sectionData(sect)).length;
  elf.close();
  const { vaddrs, offsets } = randomAddrs(file, LOOKUPS);
  let t = openBinarySymbols(file);
  const openMs = time(() => {
    t.close();
    t = openBinarySymbols(file);
    t.frames(vaddrs[0]);
  });
  let sink = 0;
  const binMs = time(() => {
    for (const v of vaddrs) sink += t.frames(v).length;
  });
  t.close();
  let side = buildSidecar(file, offsets.slice(0, SAMPLED));
  const buildMs = time(() => (side = buildSidecar(file, offsets.slice(0, SAMPLED))));
  const bytes = encodeSidecar(side);
  const funcsOnly = encodeSidecar(buildSidecar(file, []));
  const st = sidecarTable(decodeSidecar(bytes, { file }));
  const sideMs = time(() => {
    for (const v of vaddrs) sink += st.frames(v).length;
  });
  if (sink < 0) console.log(sink);
  const name = file.replace('/usr/lib/go-1.19', 'go1.19').replace('/usr/local/go', 'go-new').replace('/pkg/tool/linux_amd64', '');
  console.log([name, (side.identity.size / 2 ** 20).toFixed(1), pcln.nfunc, openMs.toFixed(1), Math.round(LOOKUPS / (binMs / 1000)), Math.round(LOOKUPS / (sideMs / 1000)), buildMs.toFixed(0), (funcsOnly.length / 1024).toFixed(0), (bytes.length / 1024).toFixed(0), (pclnGz / 1024).toFixed(0)].join('\t'));
}
console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
