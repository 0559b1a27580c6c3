// The share of CPU samples whose frames are all named: perf's own names
// (baseline: `perf script` text as is) against gbp's (symbolized from
// pclntab/ELF symbols, unwind garbage dropped), over all samples and over the
// samples of Go binaries, and what stays unnamed.
//   node --import tsx scripts/named-share.ts BUNDLE [--binaries DIR] [--goroot DIR]
import { loadBuild } from '../src/importers/index.ts';
import { percent, symbolCoverage, type SymbolCoverage } from '../src/analyze/symbol-coverage.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : null;
};
const binariesDir = flag('--binaries');
const goroot = flag('--goroot');
const file = args[0];
if (!file) {
  process.stderr.write('usage: node --import tsx scripts/named-share.ts BUNDLE [--binaries DIR] [--goroot DIR]\n');
  process.exit(2);
}

const ours = await loadBuild(file, { symbols: { binariesDir, goroot } });
const base = await loadBuild(file, { symbols: null, dropUnwindGarbage: false });
if (!ours.cpu || !base.cpu) {
  process.stderr.write(`${file}: no perf samples\n`);
  process.exit(1);
}
const o = symbolCoverage(ours.cpu);
// Same Go binaries for both: the baseline knows no pclntab.
const b = symbolCoverage(base.cpu, new Set([...(ours.cpu.binaries ?? [])].filter(([, x]) => x.kind === 'go').map(([d]) => d)));

const row = (label: string, f: (c: SymbolCoverage) => string) => `${label.padEnd(44)} ${f(b).padStart(16)} ${f(o).padStart(16)}`;
const lines = [
  `${file}: ${o.samples} CPU samples (${o.goSamples} in Go binaries)`,
  `${''.padEnd(44)} ${'perf script'.padStart(16)} ${'gbp'.padStart(16)}`,
  row('samples fully named', (c) => `${percent(c.fullyNamed, c.samples)} (${c.fullyNamed})`),
  row('Go samples fully named', (c) => `${percent(c.goFullyNamed, c.goSamples)} (${c.goFullyNamed})`),
  row('Go samples fully named down to runtime entry', (c) => `${percent(c.goWhole, c.goSamples)} (${c.goWhole})`),
  row('user-space frames named', (c) => percent(c.namedUserFrames, c.userFrames)),
  `unwind garbage dropped by gbp: ${o.unwindGarbage ? `${o.unwindGarbage.frames} frames from ${o.unwindGarbage.samples} samples` : 'not looked for'}`,
  'still unnamed (samples with an unnamed frame, by DSO):',
  ...o.unnamedByDso.slice(0, 8).map((d) => `  ${String(d.samples).padStart(6)}  ${d.dso}`),
];
process.stdout.write(lines.join('\n') + '\n');
