#!/usr/bin/env node
// The `gbp` executable: runs the TypeScript CLI through tsx, no build step.
import { spawn } from 'node:child_process';

// `gbp pprof` holds a whole profile in typed arrays while V8's young
// generation sits beside it: with 2 MiB semi-spaces (V8 sizes them larger
// from the heap limit) peak RSS on a 167 MB perf text drops from ~220 to
// ~195 MiB at the same speed (scripts/bench-import.ts). V8 takes the size only
// at start-up, so the command re-runs itself once with the flag (~0.1 s: a
// bare node; tsx is loaded only in the process that runs the CLI).
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
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
