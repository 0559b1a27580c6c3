// Executes notebooks/*.ipynb headless with `jupyter nbconvert --execute` and
// the Deno kernel from our own node_modules, writing executed copies to a
// folder. Any cell error fails the run (nbconvert's default), and so does an
// error output that slipped through.
//
//   node --import tsx scripts/run-notebooks.ts [--out DIR] [NOTEBOOK...]
//   node --import tsx scripts/run-notebooks.ts --strip   # clear outputs in place
//
// The kernelspec is written to a private JUPYTER_PATH, so the run neither
// depends on nor changes the user's installed kernels; DENO_DIR and the Jupyter
// runtime dir are private too, so nothing is written outside the temp folder.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const NOTEBOOK_DIR = path.join(REPO, 'notebooks');

/** The committed notebooks, sorted by name (absolute paths). */
export function listNotebooks(dir = NOTEBOOK_DIR): string[] {
  // git keeps no empty folders: before the first notebook lands there is none.
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb') && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Path of the Deno binary shipped by the `deno` npm package (its optional dependency). */
export function denoBinary(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('deno/package.json'));
  const linked = path.join(pkgDir, process.platform === 'win32' ? 'deno.exe' : 'deno');
  if (existsSync(linked)) return linked;
  // The postinstall step did not run (install scripts disabled): resolve the
  // platform package the same way deno's own bin.cjs does.
  return require(path.join(pkgDir, 'install_api.cjs')).runInstall();
}

export interface NotebookRun {
  notebook: string;
  /** The executed copy. */
  executed: string;
  ok: boolean;
  ms: number;
  /** nbconvert's stderr when it failed, or error outputs found in the copy. */
  problem: string | null;
  /** Lines nbconvert wrote to stderr beyond its usual progress lines. */
  warnings: string[];
  /** Earlier attempts that lost a display output (see runNotebooks); empty when none. */
  retries: string[];
}

export interface RunOptions {
  /** Where executed copies go; a fresh temp folder when omitted. */
  outDir?: string;
  /** Seconds one cell may run. */
  cellTimeoutS: number;
  /** Extra environment for the kernel (e.g. GBP_BUNDLE to point notebooks elsewhere). */
  env: Record<string, string>;
  /** Runs again when a display output went missing (a kernel race, not a cell error). */
  retries: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { cellTimeoutS: 300, env: {}, retries: 2 };

/** Executes each notebook into `outDir`; never throws for a failing notebook, reports it. */
export function runNotebooks(notebooks: string[], opts: Partial<RunOptions> = {}): { outDir: string; runs: NotebookRun[] } {
  const o = { ...DEFAULT_RUN_OPTIONS, ...opts };
  const outDir = o.outDir ?? mkdtempSync(path.join(tmpdir(), 'gbp-notebooks-'));
  mkdirSync(outDir, { recursive: true });
  const scratch = mkdtempSync(path.join(tmpdir(), 'gbp-jupyter-'));
  try {
    const kernelDir = path.join(scratch, 'jupyter', 'kernels', 'deno');
    mkdirSync(kernelDir, { recursive: true });
    writeFileSync(
      path.join(kernelDir, 'kernel.json'),
      JSON.stringify({ argv: [denoBinary(), 'jupyter', '--kernel', '--conn', '{connection_file}'], display_name: 'Deno', language: 'typescript' }),
    );
    const env = {
      ...process.env,
      JUPYTER_PATH: path.join(scratch, 'jupyter'),
      JUPYTER_RUNTIME_DIR: path.join(scratch, 'runtime'),
      JUPYTER_DATA_DIR: path.join(scratch, 'data'),
      DENO_DIR: path.join(scratch, 'deno'),
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
      ...o.env,
    };
    const runs: NotebookRun[] = [];
    for (const nb of notebooks) {
      let run = executeOne(nb, outDir, o, env);
      // Deno's kernel (2.9) now and then loses a display on a loaded machine:
      // nbconvert records no output for the cell and reports no error. Run such
      // a notebook again, and say so; a cell that never displays still fails.
      const retries: string[] = [];
      for (let attempt = 1; attempt <= o.retries && run.ok && lostDisplays(run.executed).length; attempt++) {
        retries.push(`attempt ${attempt}: no output from code cell(s) ${lostDisplays(run.executed).join(', ')}`);
        run = executeOne(nb, outDir, o, env);
      }
      const lost = run.ok ? lostDisplays(run.executed) : [];
      if (lost.length) run = { ...run, ok: false, problem: `code cell(s) ${lost.join(', ')} displayed nothing, ${retries.length + 1} times` };
      runs.push({ ...run, retries });
    }
    return { outDir, runs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// What every successful run prints: nbconvert's progress and Deno's banner.
const USUAL_STDERR = /^\[NbConvertApp\] (Converting|Writing|Executing)|"deno jupyter" is unstable/;

function executeOne(nb: string, outDir: string, o: RunOptions, env: NodeJS.ProcessEnv): NotebookRun {
  const name = path.basename(nb, '.ipynb');
  const executed = path.join(outDir, `${name}.ipynb`);
  const t0 = Date.now();
  const r = spawnSync(
    'jupyter',
    [
      'nbconvert', '--to', 'notebook', '--execute', `--ExecutePreprocessor.timeout=${o.cellTimeoutS}`,
      // nbclient waits this long for a cell's last outputs after its reply, then drops them with a
      // mere warning (default 4 s: short on a loaded CI machine); make it long, and an error.
      `--ExecutePreprocessor.iopub_timeout=${o.cellTimeoutS}`, '--ExecutePreprocessor.raise_on_iopub_timeout=True',
      '--output-dir', outDir, '--output', name, nb,
    ],
    { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const ms = Date.now() - t0;
  let problem: string | null = null;
  if (r.error) problem = `cannot run jupyter: ${r.error.message} (install jupyter-nbconvert and python3-ipykernel)`;
  else if (r.status !== 0) problem = lastLines(r.stderr, 40);
  else problem = errorOutputs(executed);
  const warnings = (r.stderr ?? '').split('\n').filter((l) => l.trim() && !USUAL_STDERR.test(l));
  return { notebook: nb, executed, ok: problem === null, ms, problem, warnings, retries: [] };
}

/** Cells (0-based, among all cells) with a top-level `await show(` or `await Deno.jupyter.display(` but no output. */
export function lostDisplays(file: string): number[] {
  const displays = /^await (show|Deno\.jupyter\.display)\(/m;
  return readNotebook(file).cells.flatMap((c, i) => (c.cell_type === 'code' && displays.test(cellSource(c)) && !(c.outputs ?? []).length ? [i] : []));
}

/** The error outputs of an executed notebook, as text, or null when there are none. */
export function errorOutputs(file: string): string | null {
  const nb = readNotebook(file);
  const errs = nb.cells.flatMap((c, i) => (c.outputs ?? []).filter((o) => o.output_type === 'error').map((o) => `cell ${i}: ${o.ename}: ${o.evalue}`));
  return errs.length ? errs.join('\n') : null;
}

export interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  text?: string | string[];
}
export interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: NotebookOutput[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}
export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, any>;
  nbformat: number;
  nbformat_minor: number;
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(readFileSync(file, 'utf8')) as Notebook;
}

export function cellSource(c: NotebookCell): string {
  return Array.isArray(c.source) ? c.source.join('') : c.source;
}

/** Clears outputs and execution counts in place, so committed diffs stay readable. */
export function stripNotebook(file: string): boolean {
  const before = readFileSync(file, 'utf8');
  const nb = JSON.parse(before) as Notebook;
  for (const c of nb.cells) {
    if (c.cell_type !== 'code') continue;
    c.outputs = [];
    c.execution_count = null;
  }
  const after = JSON.stringify(nb, null, 1) + '\n';
  if (after !== before) writeFileSync(file, after);
  return after !== before;
}

function lastLines(s: string, n: number): string {
  return s.trimEnd().split('\n').slice(-n).join('\n');
}

async function main(argv: string[]) {
  let outDir: string | undefined;
  let strip = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') outDir = path.resolve(argv[++i]);
    else if (argv[i] === '--strip') strip = true;
    else files.push(path.resolve(argv[i]));
  }
  const notebooks = files.length ? files : listNotebooks();
  if (strip) {
    for (const nb of notebooks) if (stripNotebook(nb)) console.log(`stripped ${path.relative(REPO, nb)}`);
    return;
  }
  const { outDir: out, runs } = runNotebooks(notebooks, { outDir });
  for (const r of runs) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${path.relative(REPO, r.notebook)} (${(r.ms / 1000).toFixed(1)} s)`);
    if (r.problem) console.log(r.problem.replace(/^/gm, '     '));
    for (const w of r.warnings) console.log(`     stderr: ${w}`);
    for (const w of r.retries) console.log(`     retried, ${w}`);
  }
  console.log(`executed copies in ${out}`);
  if (runs.some((r) => !r.ok)) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main(process.argv.slice(2));
