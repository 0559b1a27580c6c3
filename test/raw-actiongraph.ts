// Figures taken straight from a raw -debug-actiongraph JSON, independently
// of the importers, for the analysis tests to check against.

export interface RawAction { ID: number; Mode: string; Package?: string; Deps?: number[]; Priority?: number; Cmd?: string[] | null; TimeReady?: string; TimeStart?: string; TimeDone?: string }

/** RFC 3339 with nanoseconds → epoch ns, by hand: `2026-11-26T06:47:09.940081446Z`. */
export function ns(s: string | undefined): bigint | null {
  const m = s && /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m || m[1].startsWith('0001')) return null;
  return BigInt(Date.parse(m[1] + 'Z')) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Durations (done − start, ns), their sum and maximum, the first-ready → last-done span, and the start order. */
export function rawFigures(json: string) {
  const acts = JSON.parse(json) as RawAction[];
  const durs = acts.map((a) => {
    const s = ns(a.TimeStart);
    const d = ns(a.TimeDone);
    return s != null && d != null ? Number(d - s) : 0;
  });
  const readies = acts.map((a) => ns(a.TimeReady)).filter((x): x is bigint => x != null);
  const dones = acts.map((a) => ns(a.TimeDone)).filter((x): x is bigint => x != null);
  const min = readies.reduce((a, b) => (a < b ? a : b));
  const max = dones.reduce((a, b) => (a > b ? a : b));
  const startOrder = acts.filter((a) => ns(a.TimeStart) != null).sort((a, b) => (ns(a.TimeStart)! < ns(b.TimeStart)! ? -1 : 1)).map((a) => a.ID);
  return { acts, count: acts.length, sum: durs.reduce((a, b) => a + b, 0), longest: Math.max(...durs), spanNs: Number(max - min), startOrder };
}
