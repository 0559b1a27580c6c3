// The toolexec shim: go runs every tool as `SHIM [USER_TOOLEXEC...] /abs/tool ARGS`.
// It is a small bash script because bash gives us, without forking anything
// extra: $EPOCHREALTIME (µs), $BASHPID (the pid a subshell keeps after exec,
// so the tool's pid is known before it runs), and `times` (the children's
// user/sys CPU). The tool runs in the foreground, in the same process group,
// so signals reach it as they would without us.
//
// Per run it writes one file `$GBP_RUNDIR/<shimpid>-<µs>` (NUL-separated, so
// any argv survives) and appends two short lines to `$GBP_RUNDIR/events`,
// which the collector tails to find tool pids while they run:
//   S <shimpid> <toolpid> <tool> <importpath>
//   E <shimpid> <exitcode>
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ToolexecRecord } from '../bundle/format.ts';

export const EVENTS_FILE = 'events';

export const SHIM_SCRIPT = `#!/bin/bash -p
# gbp toolexec shim (written by \`gbp capture\`; -p: no BASH_ENV, no imported functions)
d=$GBP_RUNDIR
n=\${GBP_CHAIN_N:-0}
r=$d/$$-\${EPOCHREALTIME/./}
# Outlive an interrupt long enough to write the end record; the tool still gets it.
trap : INT TERM HUP
# The tool gets the real stderr (fd 9); bash's own notice about a killed job
# ("line 12: 391 Killed ...") goes to /dev/null, so the build output is go's.
exec 9>&2
{ (
  exec 2>&9 9>&-
  printf '%s\\0' S "$BASHPID" "$EPOCHREALTIME" "$TOOLEXEC_IMPORTPATH" "$n" "$@" > "$r"
  printf 'S %s %s %s %s\\n' "$$" "$BASHPID" "\${@:n+1:1}" "$TOOLEXEC_IMPORTPATH" >> "$d/events"
  # A real compile run gets the phase timings flag (not via -gcflags: go hashes those into cache keys).
  if [[ -n $GBP_BENCH && \${@:n+1:1} == */compile && $# -gt $((n+1)) ]] &&
     ! [[ $# -eq $((n+2)) && ( \${@:n+2:1} == -V || \${@:n+2:1} == -V=full ) ]]; then
    set -- "\${@:1:n+1}" "-bench=$GBP_BENCH" "\${@:n+2}"
  fi
  exec "$@"
) } 2>/dev/null
rc=$?
exec 9>&-
t=$EPOCHREALTIME
{ printf '\\0E\\0%s\\0%s\\0' "$rc" "$t"; times; } >> "$r"
printf 'E %s %s\\n' "$$" "$rc" >> "$d/events"
# A tool killed by a signal: die of the same signal, so go reports it as usual.
case $rc in 129|130|131|134|137|141|143) trap - INT TERM HUP; kill -$((rc - 128)) $$ ;; esac
exit $rc
`;

/** Writes the shim into `dir` and returns its path. */
export async function writeShim(dir: string): Promise<string> {
  const p = path.join(dir, 'gbp-toolexec');
  await fsp.writeFile(p, SHIM_SCRIPT, { mode: 0o755 });
  return p;
}

/** "1732603590.123456" (seconds.micros, $EPOCHREALTIME) → epoch ns as a decimal string. */
export function epochRealtimeToNs(s: string): string | null {
  const m = /^(\d+)[.,](\d{1,9})$/.exec(s);
  if (!m) return null;
  return (BigInt(m[1]) * 1_000_000_000n + BigInt(m[2].padEnd(9, '0'))).toString();
}

/**
 * CPU (and max RSS) at the end of a run file. The C shim writes
 * "R <user_ns> <sys_ns> <maxrss_kb>" (from wait4); bash `times` prints
 * "0m0.002s 0m0.001s\n0m1.234s 0m0.120s\n": self, then children. Returns ns.
 */
function parseTimes(s: string): { user: number; sys: number; maxRssKb?: number } | null {
  const r = /^R (\d+) (\d+) (\d+)$/.exec(s.trim());
  if (r) return { user: Number(r[1]), sys: Number(r[2]), maxRssKb: Number(r[3]) };
  const lines = s.trim().split('\n');
  const m = /^(\d+)m(\d+)[.,](\d+)s (\d+)m(\d+)[.,](\d+)s$/.exec(lines[lines.length - 1]?.trim() ?? '');
  if (!m) return null;
  const ns = (min: string, sec: string, frac: string) => (Number(min) * 60 + Number(sec)) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
  return { user: ns(m[1], m[2], m[3]), sys: ns(m[4], m[5], m[6]) };
}

/** True for `compile -V=full` and friends: go asking a tool for its version, not real work. */
export function isVersionProbe(toolArgs: string[]): boolean {
  return toolArgs.length === 1 && /^-V(=full)?$/.test(toolArgs[0]);
}

/**
 * Parses one run file into a record (seq is filled later); null when the file
 * is not a run file at all (a shim killed before it wrote anything).
 */
export function parseRunFile(buf: Buffer, shimPid: number): Omit<ToolexecRecord, 'seq'> | null {
  const parts = buf.toString('utf8').split('\0');
  if (parts[0] !== 'S' || parts.length < 6) return null;
  const pid = Number(parts[1]);
  const startNs = epochRealtimeToNs(parts[2]);
  const importPath = parts[3];
  const chain = Number(parts[4]);
  if (!Number.isInteger(pid) || startNs === null || !Number.isInteger(chain)) return null;
  // The end record, when present, is the tail: ...argN \0 \0 E \0 rc \0 time \0 <times text>.
  const n = parts.length;
  const e = n >= 10 && parts[n - 4] === 'E' && parts[n - 5] === '' ? n - 4 : -1;
  const argv = parts.slice(5, e > 0 ? e - 1 : n - 1);
  const toolPath = argv[chain] ?? '';
  let endNs: string | null = null;
  let exitCode: number | null = null;
  let cpu: ReturnType<typeof parseTimes> = null;
  if (e > 0) {
    exitCode = Number(parts[e + 1]);
    if (!Number.isInteger(exitCode)) exitCode = null;
    endNs = epochRealtimeToNs(parts[e + 2] ?? '');
    cpu = parseTimes(parts.slice(e + 3).join(''));
  }
  return {
    tool: path.basename(toolPath).replace(/\.exe$/, ''),
    toolPath,
    importPath,
    pid,
    shimPid,
    startNs,
    endNs,
    exitCode,
    userNs: cpu?.user ?? null,
    sysNs: cpu?.sys ?? null,
    maxRssKb: cpu?.maxRssKb ?? null,
    probe: isVersionProbe(argv.slice(chain + 1)),
    argv: argv.slice(chain),
  };
}

/** Reads every run file in `dir`, ordered by start time, with seq numbers from 0. */
export async function collectRuns(dir: string): Promise<ToolexecRecord[]> {
  const out: Omit<ToolexecRecord, 'seq'>[] = [];
  for (const name of await fsp.readdir(dir)) {
    const m = /^(\d+)-\d+$/.exec(name);
    if (!m) continue;
    const rec = parseRunFile(await fsp.readFile(path.join(dir, name)), Number(m[1]));
    if (rec) out.push(rec);
  }
  out.sort((a, b) => (BigInt(a.startNs) < BigInt(b.startNs) ? -1 : BigInt(a.startNs) > BigInt(b.startNs) ? 1 : a.pid - b.pid));
  return out.map((r, seq) => ({ seq, ...r }));
}
