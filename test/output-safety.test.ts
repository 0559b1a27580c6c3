// Output safety, end to end from a hostile bundle: package names, argv and
// host fields crafted as XSS payloads, spreadsheet formulas and path
// traversals go through the importers into the HTML report, its CSV tables
// and the CSV export. The HTML must show them as text (checked in Chromium
// too), CSV cells must not start a formula, nothing may be written outside
// the output folder, and nothing is overwritten without --force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { loadBuild } from '../src/importers/index.ts';
import { writeReport } from '../src/exporters/report.ts';
import { writeCsvTables } from '../src/exporters/csv.ts';
import { analyzeBuild } from '../src/analyze/summary.ts';
import { prepareOutputDir } from '../src/exporters/output-dir.ts';
import { GbpError } from '../src/errors.ts';
import { packBundle, testManifest } from './pack-bundle.ts';
import { checkReportInChromium } from './fixtures/chromium.ts';

const XSS = '<script>alert(1)</script>';
const HOSTILE_NAMES = [
  XSS,
  '"><img src=x onerror=alert(2)>',
  '</script><script>alert(3)</script>',
  '=HYPERLINK("http://evil.example/","click")',
  "+cmd|' /C calc'!A0",
  '@SUM(1+1)*cmd|\' /C calc\'!A0',
  '-2+3+cmd|\' /C calc\'!A0',
  '\t=1+1',
  '../../../gbp-escaped-by-name',
  'line\u2028separator',
];
const START = 1795675573000000000n;

/** Raw entries of a small build whose every package has a hostile name. */
function rawEntries(): Record<string, { data: string }> {
  const pkgs = ['runtime', ...HOSTILE_NAMES, 'example.com/app'];
  const list = pkgs.map((p, i) => JSON.stringify({ ImportPath: p, Name: 'x', Imports: i ? [pkgs[i - 1]] : [], Deps: pkgs.slice(0, i), Standard: i === 0, GoFiles: ['a.go'] }, null, '\t')).join('\n');
  const iso = (ms: number) => new Date(Number(START / 1000000n) + ms).toISOString();
  const actions = pkgs.map((p, i) => ({
    ID: i, Mode: 'build', Package: p, Deps: i ? [i - 1] : [], Objdir: `/tmp/b${i}/`, Priority: i, NeedBuild: true,
    TimeReady: iso(i * 100), TimeStart: iso(i * 100 + 5), TimeDone: iso(i * 100 + 95), Cmd: ['compile'], CmdReal: 90e6, CmdUser: 80e6, CmdSys: 10e6,
  }));
  actions.push({ ID: pkgs.length, Mode: 'link', Package: 'example.com/app', Deps: [pkgs.length - 1], Objdir: '/tmp/l/', Priority: 99, NeedBuild: true, TimeReady: iso(pkgs.length * 100), TimeStart: iso(pkgs.length * 100 + 5), TimeDone: iso(pkgs.length * 100 + 300), Cmd: ['link'], CmdReal: 295e6, CmdUser: 250e6, CmdSys: 40e6 });
  const tools = pkgs.map((p, i) =>
    JSON.stringify({ seq: i, tool: 'compile', toolPath: '/usr/local/go/pkg/tool/linux_amd64/compile', importPath: p, pid: 5000 + i, shimPid: 4000 + i, startNs: (START + BigInt(i * 100 + 5) * 1000000n).toString(), endNs: (START + BigInt(i * 100 + 95) * 1000000n).toString(), exitCode: 0, userNs: 80e6, sysNs: 10e6, maxRssKb: 50000, probe: false, argv: ['-p', p] }),
  );
  const bench = pkgs.flatMap((p) => [`BenchmarkCompile:${p}:fe:parse\t1\t1000000 ns/op\t10.00 %`, `BenchmarkCompile:${p}:be:compilefuncs\t1\t9000000 ns/op\t90.00 %`, `BenchmarkCompile:${p}:total\t1\t10000000 ns/op\t100.00 %`]);
  return {
    'go/list.json': { data: list },
    'go/actiongraph.json': { data: JSON.stringify(actions) },
    'toolexec/log.jsonl': { data: tools.join('\n') + '\n' },
    'go/compile-bench.txt': { data: 'commit: x\ngoos: linux\ngoarch: amd64\n' + bench.join('\n') + '\n' },
    'build/stderr.txt': { data: `# ${XSS}\nerror: ${HOSTILE_NAMES[1]}\n` },
  };
}

async function tree(dir: string, skip: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    if (p === skip || p.startsWith(skip + path.sep)) continue;
    out.set(path.relative(dir, p), e.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir');
  }
  return out;
}

/** Every CSV cell that a spreadsheet would run as a formula (plain numbers are fine). */
function formulaCells(csv: string): string[] {
  const rows = Papa.parse<string[]>(csv, { skipEmptyLines: true }).data;
  return rows.flat().filter((c) => /^[=+\-@\t\r]/.test(c) && !/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(c));
}

test('a bundle of hostile names: report HTML and CSV stay inert, files stay in -o, no overwrite without --force', async (t) => {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'gbp-output-safety-'));
  t.after(() => fsp.rm(root, { recursive: true, force: true }));
  const oldTmp = process.env.TMPDIR;
  process.env.TMPDIR = path.join(root, 'tmp');
  t.after(() => (oldTmp === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = oldTmp)));
  await fsp.mkdir(path.join(root, 'tmp'));
  await fsp.mkdir(path.join(root, 'sentinel'));
  await fsp.writeFile(path.join(root, 'sentinel', 'keep.txt'), 'x');
  const bundle = path.join(root, 'hostile-names.gbp.tgz');
  const manifest = testManifest(START, {
    build: { argv: ['go', 'build', `-ldflags=${XSS}`, './...'], effectiveArgv: [], cwd: '/', exitCode: 0, wallNs: 2e9, env: {} },
    host: { hostname: HOSTILE_NAMES[1], kernel: XSS, arch: 'amd64', cores: 2, memoryBytes: 1, clkTck: 100, pageSize: 4096, bootNs: '0', monoToEpochNs: '0' },
    go: { version: HOSTILE_NAMES[2], env: {} },
  });
  await packBundle(bundle, manifest, rawEntries());
  const outDir = path.join(root, 'out');
  const before = await tree(root, outDir);

  const model = await loadBuild(bundle);
  for (const n of HOSTILE_NAMES) assert.ok(model.packages.has(n), `importer lost package ${JSON.stringify(n)}`);
  const out = await prepareOutputDir(outDir);
  const res = await writeReport(out, model, undefined, { svg: false });
  const csvFiles = await writeCsvTables(model, analyzeBuild(model), await prepareOutputDir(path.join(outDir, 'csv')));

  // Nothing outside -o changed (the bundle reader's temp folder is gone too).
  assert.deepEqual(await tree(root, outDir), before);
  for (const f of [...res.files.map((f) => path.join(out.root, f)), ...csvFiles]) assert.ok(f.startsWith(out.root + path.sep), f);

  // HTML: no payload survives as markup; the only <script> elements are the report's own.
  const html = readFileSync(path.join(out.root, 'index.html'), 'utf8');
  for (const bad of ['<script>alert', '<img src=x', '</script><script>alert']) assert.ok(!html.includes(bad), `index.html holds raw ${bad}`);
  const scriptTags = html.match(/<script\b/gi)?.length ?? 0;

  // CSV: every hostile name that is a formula shows up neutralized, none raw.
  const csvs = [...res.files.filter((f) => f.endsWith('.csv')).map((f) => path.join(out.root, f)), ...csvFiles];
  assert.ok(csvs.length > 5);
  let neutralized = 0;
  for (const f of csvs) {
    const text = readFileSync(f, 'utf8');
    assert.deepEqual(formulaCells(text), [], `${path.relative(out.root, f)} has a formula cell`);
    if (text.includes(`'=HYPERLINK`)) neutralized++;
  }
  assert.ok(neutralized > 0, 'the =HYPERLINK package never reached a CSV file, so the check above proved nothing');

  // In a real browser: the payloads are text, no extra script ran or was added.
  const page = await checkReportInChromium(path.join(out.root, 'index.html'), path.join(root, 'shot.png'));
  assert.deepEqual(page.consoleErrors, []);
  assert.equal(page.scriptElements, scriptTags);
  assert.ok(page.bodyText.includes(XSS) || page.html.includes('&lt;script&gt;alert(1)'), 'the XSS package name is not shown as text');
  assert.ok(!/<img src="?x"? onerror/i.test(page.html), 'an <img onerror> element was created');

  // No overwrite without --force; with it, the same report is written again.
  await assert.rejects(writeReport(await prepareOutputDir(outDir), model, undefined, { svg: false }), (e) => e instanceof GbpError && e.code === 'io' && /index\.html exists; pass --force to overwrite/.test(e.message));
  const again = await writeReport(await prepareOutputDir(outDir, { force: true }), model, undefined, { svg: false });
  assert.deepEqual(again.files, res.files);
  // And no name, however crafted, leaves the folder.
  assert.throws(() => out.path('../../../gbp-escaped-by-name'), (e) => e instanceof GbpError && e.code === 'unsafe-entry');
  assert.throws(() => out.path('/etc/passwd'), (e) => e instanceof GbpError && e.code === 'unsafe-entry');
});
