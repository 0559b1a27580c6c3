// `go build -debug-actiongraph=FILE`: one JSON array of actions. Times are
// RFC 3339 (Go's zero time when an action never ran); CmdReal/CmdUser/CmdSys
// are ns summed over the action's commands and left out when zero.
//   {
//   	"ID": 4,
//   	"Mode": "build",
//   	"Package": "fmt",
//   	"Deps": [7, 8, 68],
//   	"TimeReady": "2026-11-26T06:46:33.439675808Z",
//   	"TimeStart": "2026-11-26T06:46:33.43969757Z",
//   	"TimeDone": "2026-11-26T06:46:33.730547306Z",
//   	"Cmd": ["/usr/local/go/pkg/tool/linux_amd64/compile -o ..."],
//   	"CmdReal": 290123456, "CmdUser": 401000000, "CmdSys": 52000000
//   }
// Source: cmd/go/internal/work/action.go (actionJSON).
import type { Action, Warning } from '../model/types.ts';
import { ENTRY } from '../bundle/format.ts';
import type { Input } from './input.ts';
import { jsonObjectBatches } from './json-stream.ts';
import { rel, rfc3339ToEpochNs } from './time.ts';
import { DEFAULT_MAX_WARNINGS, WarningSink } from './warnings.ts';

/** Options of parseActionGraph; defaults in DEFAULT_ACTION_GRAPH_OPTIONS. */
export interface ActionGraphOptions {
  /** Entry name used in warnings. */
  entry: string;
  /** Epoch ns that relative times count from; null: the earliest TimeReady/TimeStart seen. */
  originNs: bigint | null;
  /** Warnings kept beyond which they are only counted. */
  maxWarnings: number;
}

/** Warnings name `go/actiongraph.json`; times count from the earliest action time; 1000 warnings kept. */
export const DEFAULT_ACTION_GRAPH_OPTIONS: ActionGraphOptions = { entry: ENTRY.actionGraph, originNs: null, maxWarnings: DEFAULT_MAX_WARNINGS };

export interface ActionGraphResult {
  actions: Action[];
  /** The origin actually used (epoch ns). */
  originNs: bigint | null;
  warnings: Warning[];
}

/** Cheap sniff: a JSON array whose objects carry `Mode` and `TimeReady`-style fields. */
export function detectActionGraph(head: string): boolean {
  return /^\s*\[/.test(head) && /"ID"\s*:/.test(head) && /"Mode"\s*:/.test(head);
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Reads the actions, ordered by ID; bad actions and times become warnings. */
export async function parseActionGraph(input: Input, opts: Partial<ActionGraphOptions> = {}): Promise<ActionGraphResult> {
  const o = { ...DEFAULT_ACTION_GRAPH_OPTIONS, ...opts };
  const sink = new WarningSink(o.entry, o.maxWarnings);
  const warn = sink.push;
  const raw: { a: Action; t: (bigint | null)[] }[] = [];
  const seen = new Set<number>();
  for await (const batch of jsonObjectBatches(input, o.entry, warn)) for (const { value: j, line } of batch) {
    if (!Number.isInteger(j.ID) || typeof j.Mode !== 'string') {
      warn({ entry: o.entry, line, message: 'action without an integer ID or a Mode; skipped' });
      continue;
    }
    const id = j.ID as number;
    if (seen.has(id)) {
      warn({ entry: o.entry, line, message: `action ${id} appears twice; skipped` });
      continue;
    }
    seen.add(id);
    const times = (['TimeReady', 'TimeStart', 'TimeDone'] as const).map((k) => {
      const t = rfc3339ToEpochNs(j[k] ?? '0001-01-01T00:00:00Z');
      if (t === undefined) {
        warn({ entry: o.entry, line, message: `action ${id}: ${k} is not an RFC 3339 time: ${JSON.stringify(j[k])}` });
        return null;
      }
      return t;
    });
    const a: Action = {
      id,
      mode: j.Mode,
      package: typeof j.Package === 'string' ? j.Package : '',
      deps: Array.isArray(j.Deps) ? j.Deps.filter((d): d is number => Number.isInteger(d)) : [],
      priority: num(j.Priority),
      needBuild: j.NeedBuild === true,
      ready: null,
      start: null,
      done: null,
      cmdRealNs: num(j.CmdReal),
      cmdUserNs: num(j.CmdUser),
      cmdSysNs: num(j.CmdSys),
      cmdCount: Array.isArray(j.Cmd) ? j.Cmd.length : 0,
    };
    raw.push({ a, t: times });
  }
  let origin = o.originNs;
  if (origin === null) {
    for (const { t } of raw) for (const x of t) if (x !== null && (origin === null || x < origin)) origin = x;
  }
  for (const { a, t } of raw) {
    if (origin === null) break;
    a.ready = t[0] === null ? null : rel(t[0], origin);
    a.start = t[1] === null ? null : rel(t[1], origin);
    a.done = t[2] === null ? null : rel(t[2], origin);
  }
  for (const { a } of raw) {
    const missing = a.deps.filter((d) => !seen.has(d));
    if (missing.length) warn({ entry: o.entry, message: `action ${a.id} depends on unknown action(s) ${missing.join(', ')}` });
  }
  const actions = raw.map((r) => r.a).sort((x, y) => x.id - y.id);
  return { actions, originNs: origin, warnings: sink.done() };
}
