// Runs the real `go tool pprof` on files our exporters wrote. Go 1.19 ships a
// prebuilt pprof; Go 1.24+ builds it on first use (~25 s here) into the
// user's GOCACHE, so we leave GOCACHE alone: this is not a build under test.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The `go` whose `tool pprof` starts fastest here, or null when there is none. */
export const GO_FOR_PPROF: string | null =
  ['/usr/lib/go-1.19/bin/go', '/usr/local/go/bin/go', '/usr/bin/go'].find((p) => existsSync(p)) ?? null;

/** stdout of `go tool pprof ARGS...` (of `goBin`, by default the fastest here); throws (with stderr) when it fails. */
export function goToolPprof(args: string[], goBin = GO_FOR_PPROF): string {
  if (!goBin) throw new Error('no go toolchain for go tool pprof');
  return execFileSync(goBin, ['tool', 'pprof', ...args], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 << 20,
  });
}
