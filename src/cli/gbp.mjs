#!/usr/bin/env node
// The `gbp` executable: runs the TypeScript CLI through tsx, no build step.
import { spawn } from 'node:child_process';
import { register } from 'tsx/esm/api';

// `gbp pprof` holds a whole profile in typed arrays while V8's young
// generation sits beside it: with 2 MiB semi-spaces (default 16) peak RSS on
// a 167 MB perf text drops from ~220 to ~195 MiB at the same speed
// (scripts/bench-import.ts). V8 takes the size only at start-up, so the
// command re-runs itself once with the flag (~40 ms, before tsx loads).
const LEAN_HEAP = ['--max-semi-space-size=2'];
if (process.argv[2] === 'pprof' && !process.env.GBP_LEAN_HEAP) {
  const child = spawn(process.execPath, [...LEAN_HEAP, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GBP_LEAN_HEAP: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`gbp: cannot start node: ${e.message}\n`);
    process.exit(1);
  });
  child.on('close', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  register();
  await import('./main.ts');
}
