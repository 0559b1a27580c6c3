// The library API (src/index.ts): every export carries TSDoc, nothing of the
// CLI comes along, and the README's example runs as plain JavaScript (ESM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { denoBinary, REPO } from '../scripts/run-notebooks.ts';
import { openBundle } from '../src/index.ts';

const INDEX = path.join(REPO, 'src/index.ts');

function program(): ts.Program {
  const cfg = ts.getParsedCommandLineOfConfigFile(path.join(REPO, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  return ts.createProgram([INDEX], cfg.options);
}

test('every export of src/index.ts has a TSDoc comment', () => {
  const p = program();
  const checker = p.getTypeChecker();
  const mod = checker.getSymbolAtLocation(p.getSourceFile(INDEX)!)!;
  const exports = checker.getExportsOfModule(mod);
  assert.ok(exports.length > 20, `only ${exports.length} exports`);
  const missing = exports.flatMap((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    if (ts.displayPartsToString(target.getDocumentationComment(checker)).trim()) return [];
    const file = target.declarations?.[0]?.getSourceFile().fileName ?? '?';
    return [`${s.name} (${path.relative(REPO, file)})`];
  });
  assert.deepEqual(missing, [], 'exports without a /** TSDoc */ line saying what it is or returns, with units');
});

test('src/index.ts pulls in no CLI code', () => {
  const files = program().getSourceFiles().map((f) => path.relative(REPO, f.fileName)).filter((f) => !f.startsWith('..') && !f.includes('node_modules'));
  assert.ok(files.includes('src/index.ts'));
  assert.deepEqual(files.filter((f) => f.startsWith('src/cli/')), []);
  assert.ok(!program().getSourceFiles().some((f) => /node_modules\/commander\//.test(f.fileName)), 'commander is reachable from src/index.ts');
});

/** The first ```js block of the README's "Library API" section. */
function readmeExample(): string {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Library API'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README has no ```js block under "## Library API"');
  return m[1];
}

/** Checks the example's output against the bundle's own manifest and the bounds a schedule must obey. */
async function checkExampleOutput(out: string) {
  const lines = out.trim().split('\n');
  const head = /^wall ([\d.]+) s, critical path ([\d.]+) s$/.exec(lines[0]);
  assert.ok(head, `first line: ${lines[0]}`);
  const bundle = await openBundle(path.join(REPO, 'samples/nethttp.gbp.tgz'));
  const manifestWall = bundle.manifest.build.wallNs / 1e9;
  await bundle.close();
  assert.equal(Number(head[1]), Number(manifestWall.toFixed(2)), 'wall is the manifest\'s');
  const cp = Number(head[2]);
  assert.ok(cp > 0 && cp <= Number(head[1]), 'the critical path fits in the wall');
  assert.equal(lines.length, 5);
  for (const l of lines.slice(1, 4)) assert.match(l, /^\S+ ← \S+( → \S+)*$/);
  const sim = /^-p 1: ([\d.]+) s, -p 64: ([\d.]+) s$/.exec(lines[4]);
  assert.ok(sim, `last line: ${lines[4]}`);
  assert.ok(Number(sim[1]) >= Number(sim[2]) && Number(sim[2]) >= cp, 'one worker ≥ 64 workers ≥ critical path');
}

test('the README example runs as plain JavaScript (ESM) under Node, with the documented output', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-readme-'));
  try {
    const file = path.join(dir, 'example.mjs');
    writeFileSync(file, readmeExample().replace(`from 'go-build-profiler'`, `from '${pathToFileURL(path.join(REPO, 'src/index.ts')).href}'`));
    await checkExampleOutput(execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: REPO, encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the README example runs under Deno too, resolving the repo\'s npm packages from node_modules', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-readme-deno-'));
  try {
    // From stdin with the repo as cwd: Deno finds package.json there and uses node_modules.
    const code = readmeExample().replace(`from 'go-build-profiler'`, `from './src/index.ts'`);
    const out = execFileSync(denoBinary(), ['run', '-A', '-'], { cwd: REPO, input: code, encoding: 'utf8', env: { ...process.env, DENO_DIR: dir, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } });
    await checkExampleOutput(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
