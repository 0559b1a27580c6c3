// The command line. Only this folder knows about flags, terminals and exit codes.
import { Command, CommanderError } from 'commander';
import { isGbpError } from '../errors.ts';
import { TOOLKIT_VERSION } from '../version.ts';
import { registerCommands } from './commands/index.ts';

// A reader that stops early (`gbp analyze … | head`) closes the pipe: stop
// quietly, as a Unix tool ended by SIGPIPE does, not with an EPIPE stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

const program = new Command('gbp')
  .description('go-build-profiler: capture a Go build once, then find out offline why it is slow or fat.')
  .version(TOOLKIT_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

await registerCommands(program);

program.addHelpText(
  'after',
  `
Typical session:
  gbp capture -o build.gbp.tgz -- go build ./...   record a build (exit code is the build's)
  gbp info build.gbp.tgz                           what the bundle holds
  gbp pprof build.gbp.tgz -o prof/                 pprof files for \`go tool pprof\`
`,
);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else if (isGbpError(e)) {
    process.stderr.write(`gbp: ${e.message}\n`);
    process.exitCode = e.code === 'usage' ? 2 : 1;
  } else {
    process.stderr.write(`gbp: internal error: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 70;
  }
}
