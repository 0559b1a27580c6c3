// Small C helpers of the collector (the toolexec shim, the /proc sampler) are
// compiled once per source version into the user's cache folder, so a capture
// pays for `cc` only the first time. Without a C compiler the callers fall
// back to their bash / JavaScript versions.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOnPath } from './perf.ts';

/**
 * Path of `name` compiled from `source` (cached per source version under
 * $XDG_CACHE_HOME/go-build-profiler, else in `tmp`), or null when no C
 * compiler works here.
 */
export function compileCached(name: string, source: string, tmp: string, env: NodeJS.ProcessEnv): string | null {
  const cc = findOnPath('cc', env.PATH ?? '') ?? findOnPath('gcc', env.PATH ?? '');
  if (!cc) return null;
  const hash = createHash('sha256').update(`${process.platform} ${process.arch}\n${source}`).digest('hex').slice(0, 12);
  const cacheRoot = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : os.tmpdir());
  const cached = path.join(cacheRoot, 'go-build-profiler', `${name}-${hash}`, name);
  try {
    accessSync(cached, constants.X_OK);
    return cached;
  } catch {
    /* build it */
  }
  const build = (dir: string): string | null => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.c`), source);
    const bin = path.join(dir, name);
    const r = spawnSync(cc, ['-O2', '-o', bin, path.join(dir, `${name}.c`)], { encoding: 'utf8', timeout: 60_000 });
    return r.status === 0 ? bin : null;
  };
  try {
    // Build in a staging folder and rename it into place whole, so a
    // concurrent capture never runs a half-written binary.
    const stage = `${path.dirname(cached)}.tmp-${process.pid}-${Date.now()}`;
    if (!build(stage)) {
      rmSync(stage, { recursive: true, force: true });
      return null;
    }
    try {
      renameSync(stage, path.dirname(cached));
    } catch {
      rmSync(stage, { recursive: true, force: true }); // another capture won the race
    }
    accessSync(cached, constants.X_OK);
    return cached;
  } catch {
    return build(path.join(tmp, `${name}-c`)); // no usable cache folder
  }
}
