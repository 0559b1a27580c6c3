// toolexec/log.jsonl: one ToolexecRecord (src/bundle/format.ts) per line,
// written by the capture shim for every tool run. Epoch times are decimal
// strings; we turn them into ns relative to the build start.
//   {"seq":3,"tool":"compile","toolPath":"/usr/local/go/pkg/tool/linux_amd64/compile","importPath":"fmt","pid":4242,"shimPid":4241,"startNs":"1795675573439697570","endNs":"1795675573730547306","exitCode":0,"userNs":401000000,"sysNs":52000000,"maxRssKb":81234,"probe":false,"argv":["-o","..."]}
import type { ToolInvocation, Warning } from '../model/types.ts';
import { ENTRY } from '../bundle/format.ts';
import { lines, type Input } from './input.ts';
import { epochNs, rel } from './time.ts';
import { DEFAULT_MAX_WARNINGS, WarningSink } from './warnings.ts';

/** Options of parseToolexecLog; defaults in DEFAULT_TOOLEXEC_LOG_OPTIONS. */
export interface ToolexecLogOptions {
  /** Entry name used in warnings. */
  entry: string;
  /** Epoch ns that relative times count from; null: the earliest start seen. */
  originNs: bigint | null;
  /** Warnings kept beyond which they are only counted. */
  maxWarnings: number;
}

/** Warnings name `toolexec/log.jsonl`; times count from the earliest start; 1000 warnings kept. */
export const DEFAULT_TOOLEXEC_LOG_OPTIONS: ToolexecLogOptions = { entry: ENTRY.toolexec, originNs: null, maxWarnings: DEFAULT_MAX_WARNINGS };

export interface ToolexecLogResult {
  invocations: ToolInvocation[];
  originNs: bigint | null;
  warnings: Warning[];
}

/** Cheap sniff: JSON lines carrying `seq`, `tool` and `pid`. */
export function detectToolexecLog(head: string): boolean {
  const first = head.split('\n', 1)[0];
  return /^\{/.test(first) && /"seq"\s*:/.test(first) && /"tool"\s*:/.test(first) && /"pid"\s*:/.test(first);
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1).replace(/\.exe$/, '');

/** Reads every tool run; lines that are not valid records become warnings. */
export async function parseToolexecLog(input: Input, opts: Partial<ToolexecLogOptions> = {}): Promise<ToolexecLogResult> {
  const o = { ...DEFAULT_TOOLEXEC_LOG_OPTIONS, ...opts };
  const sink = new WarningSink(o.entry, o.maxWarnings);
  const rows: { inv: ToolInvocation; start: bigint; end: bigint | null }[] = [];
  for await (const { text, line } of lines(input)) {
    if (!text.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(text);
    } catch (e) {
      sink.at(line, `not a JSON record: ${(e as Error).message}`);
      continue;
    }
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      sink.at(line, 'not a JSON object');
      continue;
    }
    const start = epochNs(r.startNs);
    const end = r.endNs === null || r.endNs === undefined ? null : epochNs(r.endNs);
    const toolPath = typeof r.toolPath === 'string' ? r.toolPath : '';
    const tool = typeof r.tool === 'string' && r.tool ? r.tool : baseName(toolPath);
    if (start === undefined || end === undefined || !Number.isInteger(r.pid) || !tool) {
      sink.at(line, 'record lacks a valid startNs, endNs, pid or tool; skipped');
      continue;
    }
    const maxRssKb = numOrNull(r.maxRssKb);
    rows.push({
      start,
      end,
      inv: {
        seq: Number.isInteger(r.seq) ? (r.seq as number) : rows.length,
        tool,
        toolPath,
        importPath: typeof r.importPath === 'string' ? r.importPath : '',
        pid: r.pid as number,
        start: 0,
        end: null,
        exitCode: numOrNull(r.exitCode),
        userNs: numOrNull(r.userNs),
        sysNs: numOrNull(r.sysNs),
        maxRssBytes: maxRssKb === null ? null : maxRssKb * 1024,
        probe: r.probe === true,
        argv: Array.isArray(r.argv) ? r.argv.filter((a): a is string => typeof a === 'string') : [],
      },
    });
  }
  let origin = o.originNs;
  if (origin === null) for (const r of rows) if (origin === null || r.start < origin) origin = r.start;
  for (const r of rows) {
    r.inv.start = rel(r.start, origin!);
    r.inv.end = r.end === null ? null : rel(r.end, origin!);
  }
  const invocations = rows.map((r) => r.inv).sort((a, b) => a.start - b.start || a.seq - b.seq);
  return { invocations, originNs: origin, warnings: sink.done() };
}
