// Bundles the CLI into dist/ (plain ESM, one file per lazily loaded part), so
// `gbp` starts without compiling TypeScript on the fly: tsx's loader costs
// ~0.25 s per process, more than a whole `gbp info`. Runs at `npm ci` (the
// `prepare` script) and before the tests; takes ~0.1 s.
//
//   node scripts/build.mjs [--quiet]
//
// dist/inputs.json records every source file in the bundle with its size and
// mtime: src/cli/gbp.mjs runs dist/ only while they all still match, and falls
// back to tsx on src/ as soon as one is edited, so dist/ is never stale.
import { build } from 'esbuild';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'dist');
const ENTRIES = { main: 'src/cli/main.ts' };

/** An esbuild plugin: bare imports (packages) stay external, except those named. */
function externalPackagesBut(bundled) {
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('node:') || bundled.some((p) => a.path === p || a.path.startsWith(p + '/')) ? undefined : { path: a.path, external: true }));
    },
  };
}

const t0 = performance.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const r = await build({
  absWorkingDir: root,
  entryPoints: ENTRIES,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // node_modules stay where npm put them, except commander: every command
  // loads it, and importing it as CommonJS from ESM cost ~9 ms of start-up
  // (Node scans its source for exports); bundled, it is plain ESM.
  plugins: [externalPackagesBut(['commander'])],
  // commander's CommonJS requires node:events and friends: give each file a require().
  banner: { js: "import { createRequire as __gbpRequire } from 'node:module';\nconst require = __gbpRequire(import.meta.url);" },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const inputs = {};
for (const file of Object.keys(r.metafile.inputs)) {
  if (file.startsWith('node_modules/')) continue;
  const s = statSync(path.join(root, file));
  inputs[file] = [s.size, s.mtimeMs];
}
writeFileSync(path.join(out, 'inputs.json'), JSON.stringify(inputs));
if (!process.argv.includes('--quiet')) {
  console.error(`build: dist/ from ${Object.keys(inputs).length} source files in ${(performance.now() - t0).toFixed(0)} ms`);
}
