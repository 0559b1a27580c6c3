// Every subcommand registers itself here: one file per command, one line each.
// Commands load lazily: `gbp capture` must not pay for loading vega and the
// report code before the build starts (it adds to the captured wall time).
import type { Command } from 'commander';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  capture: () => import('./capture.ts').then((m) => m.registerCapture),
  info: () => import('./info.ts').then((m) => m.registerInfo),
  pprof: () => import('./pprof.ts').then((m) => m.registerPprof),
  report: () => import('./report.ts').then((m) => m.registerReport),
  trace: () => import('./trace.ts').then((m) => m.registerTrace),
  analyze: () => import('./analyze.ts').then((m) => m.registerAnalyze),
  simulate: () => import('./simulate.ts').then((m) => m.registerSimulate),
  diff: () => import('./diff.ts').then((m) => m.registerDiff),
  export: () => import('./export.ts').then((m) => m.registerExport),
};

/** Registers the command named in argv (the first word that is not an option), or all of them for help and errors. */
export async function registerCommands(program: Command, argv: string[] = process.argv.slice(2)): Promise<void> {
  const first = argv.find((a) => !a.startsWith('-'));
  if (first === undefined && (argv.includes('--version') || argv.includes('-V'))) return; // the version needs no command
  const names = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]())(program);
}
