// Every subcommand registers itself here: one file per command.
import type { Command } from 'commander';
import { registerPprof } from './pprof.ts';
import { registerReport } from './report.ts';
import { registerTrace } from './trace.ts';

export function registerCommands(program: Command): void {
  registerPprof(program);
  registerReport(program);
  registerTrace(program);
}
