// The library API (src/index.ts): every export carries TSDoc, nothing of the
// CLI comes along, and the README's example runs as plain JavaScript (ESM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ts from 'typescript';
import { REPO } from '../scripts/run-notebooks.ts';

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
