// Shared by the symbols tests: the two toolchains, real builds in temp dirs,
// and `go tool addr2line` as the independent judge of our names.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const GO19 = '/usr/lib/go-1.19/bin/go';
export const GO_NEW = '/usr/local/go/bin/go';
export const TOOLS19 = '/usr/lib/go-1.19/pkg/tool/linux_amd64';
export const TOOLS_NEW = '/usr/local/go/pkg/tool/linux_amd64';

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(tmpdir(), `gbp-${tag}-`));
}

/** Runs a real `go build` with GOTOOLCHAIN=local and GOCACHE=`cache` (a folder in the test's temp dir). */
export function goBuild(goBin: string, cache: string, args: string[], cwd: string): void {
  execFileSync(goBin, ['build', ...args], { cwd, env: { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: cache, GOFLAGS: '', CGO_ENABLED: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes a one-package module into dir/name and returns its folder. */
export function writeModule(dir: string, name: string, mainGo: string): string {
  const m = path.join(dir, name);
  mkdirSync(m, { recursive: true });
  writeFileSync(path.join(m, 'go.mod'), `module ${name}\n\ngo 1.19\n`);
  writeFileSync(path.join(m, 'main.go'), mainGo);
  return m;
}

/**
 * `go tool addr2line` of the newer Go (the 1.19 one refuses stripped
 * binaries): [function, "file:line"] per address. It is built on first use into
 * the user's GOCACHE: a tool we run, not a build under test.
 */
export function addr2line(binary: string, addrs: number[]): [string, string][] {
  const out = execFileSync(GO_NEW, ['tool', 'addr2line', binary], {
    input: addrs.map((a) => '0x' + a.toString(16)).join('\n') + '\n',
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
    maxBuffer: 64 << 20,
  });
  const lines = out.trimEnd().split('\n');
  const res: [string, string][] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) res.push([lines[i], lines[i + 1]]);
  return res;
}

/** A small seeded PRNG (LCG), so a failing address set can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
