// Every subcommand registers itself here: one file per command.
import type { Command } from 'commander';
import { registerPprof } from './pprof.ts';

export function registerCommands(program: Command): void {
  registerPprof(program);
}
