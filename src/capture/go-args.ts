// Rewrites the user's `go build|install|test ...` command line so the build
// also writes what we collect, without dropping anything the user asked for:
//   - `-toolexec` runs our shim, chained in front of the user's own toolexec;
//   - `-gcflags` stay the user's own: the compiler's `-bench=FILE` is added by
//     the shim to each compile run instead, because go hashes -gcflags into
//     its cache keys (a captured build would rebuild everything the user has
//     cached), while a pass-through toolexec leaves them unchanged;
//   - `-debug-actiongraph` / `-debug-trace`: reused when the user passes them.
// It also derives the matching `go list -e -json -deps` command.
import path from 'node:path';
import { GbpError } from '../errors.ts';

export const SUPPORTED_SUBCOMMANDS = ['build', 'install', 'test'] as const;

/** Flags of go build/test that take a separate value (`-o file`), so a scan can skip it. */
const VALUE_FLAGS = new Set([
  'C', 'o', 'p', 'asmflags', 'buildmode', 'compiler', 'gccgoflags', 'gcflags', 'installsuffix', 'ldflags', 'mod', 'modfile',
  'overlay', 'pgo', 'pkgdir', 'tags', 'toolexec', 'covermode', 'coverpkg', 'debug-actiongraph', 'debug-deprecated-importcfg',
  'debug-runtime-trace', 'debug-trace', 'exec', 'run', 'bench', 'count', 'cpu', 'timeout', 'parallel', 'coverprofile',
  'cpuprofile', 'memprofile', 'blockprofile', 'mutexprofile', 'outputdir', 'trace', 'list', 'skip', 'shuffle', 'fuzz',
  'fuzztime', 'fuzzminimizetime', 'benchtime', 'memprofilerate', 'blockprofilerate', 'mutexprofilefraction', 'vet', 'json',
]);
/** Build flags `go list` understands; everything else (-o, -x, test flags) stays out of the list command. */
const LIST_VALUE_FLAGS = new Set(['C', 'p', 'asmflags', 'buildmode', 'compiler', 'gccgoflags', 'gcflags', 'installsuffix', 'ldflags', 'mod', 'modfile', 'overlay', 'pgo', 'pkgdir', 'tags']);
const LIST_BOOL_FLAGS = new Set(['race', 'msan', 'asan', 'trimpath', 'linkshared', 'modcacherw', 'buildvcs', 'cover']);

/**
 * Fields we ask `go list` for (`-json=FIELDS`, Go 1.19+). Leaving out Stale and
 * StaleReason matters: computing them hashes every source file and runs the
 * tools' `-V=full` probes, ~0.4 s of CPU for std taken from the build it runs beside.
 */
export const LIST_FIELDS = [
  'ImportPath', 'Name', 'Dir', 'Goroot', 'Standard', 'DepOnly', 'ForTest', 'Module', 'Match',
  'GoFiles', 'CgoFiles', 'SFiles', 'CFiles', 'CXXFiles', 'HFiles', 'SysoFiles', 'EmbedFiles',
  'TestGoFiles', 'XTestGoFiles', 'Imports', 'ImportMap', 'Deps', 'Incomplete', 'Error', 'DepsErrors',
].join(',');

/** Splits like Go's cmd/internal/quoted.Split: whitespace-separated fields, each optionally '…' or "…" quoted. */
export function splitQuoted(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  const space = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < s.length) {
    while (i < s.length && space(s[i])) i++;
    if (i >= s.length) break;
    const q = s[i];
    if (q === '"' || q === "'") {
      const j = s.indexOf(q, i + 1);
      if (j < 0) throw new GbpError('usage', `unterminated ${q} string in ${JSON.stringify(s)}`);
      out.push(s.slice(i + 1, j));
      i = j + 1;
      continue;
    }
    const start = i;
    while (i < s.length && !space(s[i])) i++;
    out.push(s.slice(start, i));
  }
  return out;
}

/** Quotes one field so splitQuoted gives it back unchanged. */
export function quoteField(s: string): string {
  if (s !== '' && !/[\s'"]/.test(s)) return s;
  if (!s.includes("'")) return `'${s}'`;
  if (!s.includes('"')) return `"${s}"`;
  throw new GbpError('usage', `cannot quote ${JSON.stringify(s)} for the go command (it holds both quote kinds)`);
}

interface ParsedFlag {
  name: string;
  value: string | null;
  /** Index of the value in args when it was given separately. */
  valueIndex: number | null;
}

function parseFlag(args: string[], i: number): ParsedFlag | null {
  const a = args[i];
  const m = /^--?([^=\-][^=]*)(?:=([\s\S]*))?$/.exec(a);
  if (!m) return null;
  const name = m[1];
  if (m[2] !== undefined) return { name, value: m[2], valueIndex: null };
  if (VALUE_FLAGS.has(name) && i + 1 < args.length) return { name, value: args[i + 1], valueIndex: i + 1 };
  return { name, value: null, valueIndex: null };
}

export interface GoPlan {
  subcommand: string;
  /** The command actually run. */
  effectiveArgv: string[];
  /** `go list -e -json=LIST_FIELDS -deps ...` for the same packages and build flags. */
  listArgv: string[];
  /** Working directory of the go command (after `-C`). */
  dir: string;
  /** The user's own -toolexec, split into words; [] when none. */
  userToolexec: string[];
  actionGraphFile: string;
  traceFile: string;
  benchFile: string;
  packages: string[];
}

export interface PlanInputs {
  argv: string[];
  cwd: string;
  goflags: string;
  shimPath: string;
  /** Folder for the files the go command writes for us. */
  outDir: string;
}

/** Throws a usage GbpError unless argv is `go build|install|test ...`. */
export function checkGoCommand(argv: string[]): void {
  if (argv.length < 2 || !(SUPPORTED_SUBCOMMANDS as readonly string[]).includes(argv[1])) {
    const got = argv.length ? argv.slice(0, 2).join(' ') : '(nothing)';
    throw new GbpError('usage', `capture needs a go build, go install or go test command after '--', got: ${got}`);
  }
}

/** Builds the effective go command line; throws a usage GbpError for commands we cannot profile. */
export function planGoCommand(inp: PlanInputs): GoPlan {
  const { argv, cwd } = inp;
  checkGoCommand(argv);
  const [goCmd, sub, ...rest] = argv;
  const benchFile = path.join(inp.outDir, 'compile-bench.txt');
  let actionGraphFile = path.join(inp.outDir, 'actiongraph.json');
  let traceFile = path.join(inp.outDir, 'trace.json');
  let dir = cwd;
  let userToolexec: string[] = [];
  let userToolexecRaw: string | null = null;
  let userActionGraph = false;
  let userTrace = false;

  // A -toolexec in GOFLAGS is the user's too: ours replaces it on the command line, chained.
  for (const f of splitQuoted(inp.goflags)) {
    const m = /^--?([^=]+)(?:=([\s\S]*))?$/.exec(f);
    if (m && m[1] === 'toolexec' && m[2] !== undefined) userToolexecRaw = m[2];
  }

  const kept: string[] = [];
  const list: string[] = [];
  const packages: string[] = [];
  const isTest = sub === 'test';
  let cDir: string | null = null;
  let i = 0;
  for (; i < rest.length; i++) {
    const a = rest[i];
    if (a === '-args' || a === '--args') break;
    const f = a.startsWith('-') && a !== '-' ? parseFlag(rest, i) : null;
    if (!f) {
      packages.push(a);
      kept.push(a);
      if (!isTest) {
        i++;
        break; // go build stops parsing flags at the first package
      }
      continue;
    }
    const next = f.valueIndex !== null ? rest[f.valueIndex] : null;
    const take = () => {
      if (f.valueIndex !== null) i = f.valueIndex;
    };
    switch (f.name) {
      case 'C':
        cDir = f.value;
        take();
        continue; // re-added first below: -C must lead
      case 'toolexec':
        userToolexecRaw = f.value ?? '';
        take();
        continue; // replaced by ours, chained
      case 'debug-actiongraph':
        userActionGraph = true;
        actionGraphFile = path.resolve(cDir ? path.resolve(cwd, cDir) : cwd, f.value ?? '');
        break;
      case 'debug-trace':
        userTrace = true;
        traceFile = path.resolve(cDir ? path.resolve(cwd, cDir) : cwd, f.value ?? '');
        break;
    }
    kept.push(a);
    if (next !== null) kept.push(next);
    if (LIST_VALUE_FLAGS.has(f.name)) list.push(a, ...(next !== null ? [next] : []));
    else if (LIST_BOOL_FLAGS.has(f.name) && next === null) list.push(a);
    take();
  }
  kept.push(...rest.slice(i));
  if (cDir !== null) dir = path.resolve(cwd, cDir);
  if (userToolexecRaw !== null) userToolexec = splitQuoted(userToolexecRaw);

  const toolexec = [quoteField(inp.shimPath), userToolexecRaw ?? ''].join(' ').trim();
  const ours = [`-toolexec=${toolexec}`];
  if (!userActionGraph) ours.push(`-debug-actiongraph=${actionGraphFile}`);
  if (!userTrace) ours.push(`-debug-trace=${traceFile}`);
  const lead = cDir !== null ? [`-C=${cDir}`] : [];
  const listPkgs = packages.length ? packages : [];
  return {
    subcommand: sub,
    effectiveArgv: [goCmd, sub, ...lead, ...ours, ...kept],
    listArgv: [goCmd, 'list', ...lead, '-e', `-json=${LIST_FIELDS}`, '-deps', ...(isTest ? ['-test'] : []), ...list, ...listPkgs],
    dir,
    userToolexec,
    actionGraphFile,
    traceFile,
    benchFile,
    packages,
  };
}
