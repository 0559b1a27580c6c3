// Every subcommand registers itself here: one file per command.
import type { Command } from 'commander';
import { registerCapture } from './capture.ts';
import { registerInfo } from './info.ts';
import { registerPprof } from './pprof.ts';
import { registerReport } from './report.ts';
import { registerTrace } from './trace.ts';

export function registerCommands(program: Command): void {
  registerCapture(program);
  registerInfo(program);
  registerPprof(program);
  registerReport(program);
  registerTrace(program);
}
