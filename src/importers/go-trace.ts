// `go build -debug-trace=FILE`: Chrome trace-event JSON, an array of events
// with `ts` in epoch microseconds. Spans come from B/E pairs (matched per
// thread and name) and X events; flow events (s/f) are ignored.
//   {"name":"Executing action (build fmt)","ph":"B","ts":1795675573439697.5,"pid":0,"tid":2}
//   {"name":"Executing action (build fmt)","ph":"E","ts":1795675573730547.2,"pid":0,"tid":2}
// Format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
import type { TraceSpan, Warning } from '../model/types.ts';
import { ENTRY } from '../bundle/format.ts';
import type { Input } from './input.ts';
import { jsonObjectBatches } from './json-stream.ts';
import { relFromMicros } from './time.ts';
import { DEFAULT_MAX_WARNINGS, WarningSink } from './warnings.ts';

/** Options of parseGoTrace; defaults in DEFAULT_GO_TRACE_OPTIONS. */
export interface GoTraceOptions {
  /** Entry name used in warnings. */
  entry: string;
  /** Epoch ns that relative times count from; null: the first event's time. */
  originNs: bigint | null;
  /** Warnings kept beyond which they are only counted. */
  maxWarnings: number;
}

/** Warnings name `go/trace.json`; times count from the first event; 1000 warnings kept. */
export const DEFAULT_GO_TRACE_OPTIONS: GoTraceOptions = { entry: ENTRY.trace, originNs: null, maxWarnings: DEFAULT_MAX_WARNINGS };

export interface GoTraceResult {
  spans: TraceSpan[];
  originNs: bigint | null;
  warnings: Warning[];
}

/** Cheap sniff: an array of objects with `ph` and `ts`. */
export function detectGoTrace(head: string): boolean {
  return /^\s*\[/.test(head) && /"ph"\s*:/.test(head) && /"ts"\s*:/.test(head);
}

/** Reads the spans, sorted by start; unmatched B/E events become warnings. */
export async function parseGoTrace(input: Input, opts: Partial<GoTraceOptions> = {}): Promise<GoTraceResult> {
  const o = { ...DEFAULT_GO_TRACE_OPTIONS, ...opts };
  const sink = new WarningSink(o.entry, o.maxWarnings);
  const warn = sink.push;
  const spans: TraceSpan[] = [];
  const open = new Map<number, { name: string; ts: number; line: number }[]>();
  let origin = o.originNs;
  const relT = (ts: number) => relFromMicros(ts, origin!);
  for await (const batch of jsonObjectBatches(input, o.entry, warn)) for (const { value: e, line } of batch) {
    const ph = e.ph;
    if (ph !== 'B' && ph !== 'E' && ph !== 'X') continue;
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) {
      warn({ entry: o.entry, line, message: `event without a numeric ts` });
      continue;
    }
    if (origin === null) origin = BigInt(Math.floor(e.ts)) * 1000n;
    const tid = typeof e.tid === 'number' ? e.tid : 0;
    const name = typeof e.name === 'string' ? e.name : '';
    if (ph === 'X') {
      const dur = typeof e.dur === 'number' && e.dur >= 0 ? e.dur : 0;
      spans.push({ name, tid, start: relT(e.ts), end: relT(e.ts + dur) });
      continue;
    }
    let stack = open.get(tid);
    if (!stack) open.set(tid, (stack = []));
    if (ph === 'B') {
      stack.push({ name, ts: e.ts, line });
      continue;
    }
    // Concurrent goroutines share a tid, so spans interleave: close the
    // innermost open span of the same name, not simply the innermost one.
    let k = stack.length - 1;
    while (k >= 0 && stack[k].name !== name) k--;
    const b = k >= 0 ? stack.splice(k, 1)[0] : undefined;
    if (!b) {
      warn({ entry: o.entry, line, message: `end of '${name}' on thread ${tid} without a begin` });
      continue;
    }
    spans.push({ name: b.name, tid, start: relT(b.ts), end: relT(e.ts) });
  }
  for (const [tid, stack] of open) {
    for (const b of stack) warn({ entry: o.entry, line: b.line, message: `'${b.name}' on thread ${tid} never ends` });
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  return { spans, originNs: origin, warnings: sink.done() };
}
