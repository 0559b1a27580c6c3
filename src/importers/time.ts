// Exact time conversions. Epoch nanoseconds exceed 2^53, so they travel as
// bigint (or decimal strings) and become small relative numbers only after
// the build start is subtracted.

/** Go's zero time.Time, which the action graph writes for actions that never ran. */
const GO_ZERO_TIME = /^0001-01-01T/;

// RFC 3339 with optional fraction and a zone, as Go's time.Time marshals it:
//   2026-11-26T06:46:33.74570851Z
//   2023-05-02T14:01:09.123456789+02:00
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Epoch ns of an RFC 3339 time; null for Go's zero time; undefined when not a time. */
export function rfc3339ToEpochNs(s: unknown): bigint | null | undefined {
  if (typeof s !== 'string') return undefined;
  if (GO_ZERO_TIME.test(s)) return null;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  // Thousands of actions share a second: parse each second (and zone) once.
  const key = m[1] + m[3];
  let base = secondCache.get(key);
  if (base === undefined) {
    const ms = Date.parse(key);
    if (Number.isNaN(ms)) return undefined;
    if (secondCache.size > 10_000) secondCache.clear();
    secondCache.set(key, (base = BigInt(ms) * 1_000_000n));
  }
  return m[2] ? base + BigInt(m[2].padEnd(9, '0')) : base;
}

const secondCache = new Map<string, bigint>();

/** Parses a decimal epoch-ns string; undefined when it is not one. */
export function epochNs(s: unknown): bigint | undefined {
  // Numbers are refused: epoch ns do not fit a double exactly.
  return typeof s === 'string' && /^\d{1,20}$/.test(s) ? BigInt(s) : undefined;
}

/** Nanoseconds from `origin` to `t` as a plain number (exact for ~104 days). */
export function rel(t: bigint, origin: bigint): number {
  return Number(t - origin);
}

/** Relative ns of a Chrome-trace `ts` (epoch µs as a float) to an epoch-ns origin. */
export function relFromMicros(tsUs: number, origin: bigint): number {
  // Split the origin so the subtraction happens on small, exact numbers.
  const originUs = Number(origin / 1000n);
  const originFracNs = Number(origin % 1000n);
  return Math.round((tsUs - originUs) * 1000) - originFracNs;
}
