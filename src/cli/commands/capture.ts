// gbp capture -o OUT [--perf auto|on|off] [--interval MS] -- go build ...
import { Command, Option } from 'commander';
import { DEFAULT_CAPTURE_OPTIONS, startCapture, type CaptureProgress } from '../../capture/capture.ts';
import type { PerfMode } from '../../capture/perf.ts';
import { GbpError } from '../../errors.ts';

export function registerCapture(program: Command): void {
  program
    .command('capture')
    .description('run a go build/install/test under the collectors and write one bundle')
    .requiredOption('-o, --output <file>', 'bundle to write (*.gbp.tgz)')
    .addOption(new Option('--perf <mode>', 'record CPU samples with perf').choices(['auto', 'on', 'off']).default(DEFAULT_CAPTURE_OPTIONS.perf))
    .option('--perf-freq <hz>', 'perf sampling frequency', String(DEFAULT_CAPTURE_OPTIONS.perfFrequency))
    .option('--interval <ms>', '/proc sampling interval', String(DEFAULT_CAPTURE_OPTIONS.intervalMs))
    .option('--no-progress', 'no progress line, even on a terminal')
    .argument('<command...>', 'the go command, after --')
    .usage('-o build.gbp.tgz [options] -- go build ./...')
    .action(async (command: string[], opts: { output: string; perf: PerfMode; perfFreq: string; interval: string; progress: boolean }) => {
      const interval = Number(opts.interval);
      const freq = Number(opts.perfFreq);
      if (!Number.isInteger(interval) || interval < 1) throw new GbpError('usage', `--interval: expected a positive number of ms, got '${opts.interval}'`);
      if (!Number.isInteger(freq) || freq < 1) throw new GbpError('usage', `--perf-freq: expected a positive number of Hz, got '${opts.perfFreq}'`);
      const tty = opts.progress && process.stderr.isTTY === true;
      let shown = false;
      const clear = () => {
        if (shown) process.stderr.write('\r\x1b[K');
        shown = false;
      };
      const handle = startCapture(
        { ...DEFAULT_CAPTURE_OPTIONS, out: opts.output, argv: command, perf: opts.perf, perfFrequency: freq, intervalMs: interval, cwd: process.cwd(), env: process.env },
        {
          stdout: (b) => {
            clear();
            process.stdout.write(b);
          },
          stderr: (b) => {
            clear();
            process.stderr.write(b);
          },
          progress: tty
            ? (p: CaptureProgress) => {
                process.stderr.write(`\r\x1b[Kgbp: ${p.toolsDone} tools done, ${p.packagesDone}${p.packagesTotal !== null ? `/${p.packagesTotal}` : ''} packages compiled`);
                shown = true;
              }
            : undefined,
        },
      );
      const onSignal = (sig: NodeJS.Signals) => handle.interrupt(sig);
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
      try {
        const r = await handle.result;
        clear();
        if (!r.manifest.complete) process.stderr.write(`gbp: ${r.manifest.incompleteReason}; wrote an incomplete bundle to ${r.out}\n`);
        process.exitCode = r.exitCode;
      } finally {
        clear();
        for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
      }
    });
}
