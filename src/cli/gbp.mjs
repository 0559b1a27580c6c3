#!/usr/bin/env node
// The `gbp` executable. It runs dist/, the CLI bundled into plain JavaScript
// by scripts/build.mjs (at `npm ci` and before the tests), while dist/ is
// current: every source file it was built from still has the size and mtime
// recorded in dist/inputs.json. Otherwise (a source edited since, no dist/, or
// GBP_FROM_SOURCE=1) it runs the TypeScript sources through tsx, whose loader
// costs ~0.25 s more per run. GBP_TRACE_LAUNCH=1 says which one ran and why.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

/** null when dist/ is current, else why not. */
function staleness() {
  if (process.env.GBP_FROM_SOURCE) return 'GBP_FROM_SOURCE is set';
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(new URL('dist/inputs.json', root), 'utf8'));
  } catch {
    return 'no dist/ (npm run build makes it)';
  }
  for (const [file, [size, mtimeMs]] of Object.entries(inputs)) {
    let s;
    try {
      s = statSync(new URL(file, root));
    } catch {
      return `${file} is gone since the build`;
    }
    if (s.size !== size || s.mtimeMs !== mtimeMs) return `${file} changed since the build`;
  }
  return null;
}

const why = staleness();
if (process.env.GBP_TRACE_LAUNCH) process.stderr.write(why === null ? 'gbp: running dist/ (bundled)\n' : `gbp: running src/ through tsx: ${why}\n`);
if (why === null) {
  await import(new URL('dist/main.mjs', root).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
