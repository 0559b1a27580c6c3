// Time to write the HTML report for a bundle (default: the largest in
// samples/), split into load, charts + HTML + CSV, and the headless SVGs,
// with peak RSS. Run: node --import tsx scripts/bench-report.ts [BUNDLE] [--runs N]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBuild } from '../src/importers/index.ts';
import { prepareOutputDir } from '../src/exporters/output-dir.ts';
import { writeReport } from '../src/exporters/report.ts';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
let bundle = args[0];
if (!bundle) {
  const dir = path.join(import.meta.dirname, '../samples');
  const all = readdirSync(dir).filter((f) => f.endsWith('.gbp.tgz')).map((f) => path.join(dir, f));
  bundle = all.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = () => performance.now();
const load: number[] = [];
const noSvg: number[] = [];
const withSvg: number[] = [];
let files = 0;
let facts = '';
for (let i = 0; i < runs; i++) {
  let t0 = t();
  const model = await loadBuild(bundle);
  load.push(t() - t0);
  facts = `${model.invocations.length} tool runs, ${model.packages.size} packages, ${[...model.processes.values()].reduce((a, p) => a + p.points.length, 0)} /proc points, ${model.cpu?.totalSamples ?? 0} CPU samples`;
  for (const [svg, into] of [[false, noSvg], [true, withSvg]] as const) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbp-bench-report-'));
    try {
      t0 = t();
      const res = await writeReport(await prepareOutputDir(tmp, { force: true }), model, undefined, { svg });
      into.push(t() - t0);
      files = res.files.length;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}
const mb = statSync(bundle).size / 1e6;
console.log(`bundle ${path.basename(bundle)} (${mb.toFixed(2)} MB): ${facts}`);
console.log(`median of ${runs} runs:`);
console.log(`  loadBuild                       ${median(load).toFixed(0)} ms`);
console.log(`  report without SVGs (--no-svg)  ${median(noSvg).toFixed(0)} ms`);
console.log(`  report with SVGs (${files} files)   ${median(withSvg).toFixed(0)} ms`);
console.log(`  total (load + full report)      ${(median(load) + median(withSvg)).toFixed(0)} ms`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
