// Checks that a parsed manifest.json has the shape format.ts promises, so
// that importers can trust it. Each refusal names the field.
import { GbpError } from '../errors.ts';
import { ENTRY, FORMAT_NAME, FORMAT_VERSION, type Manifest } from './format.ts';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'decimal' | 'string[]' | 'number|null' | 'string|null';

// Required fields; the rest of the manifest is free-form and read defensively.
const REQUIRED: [string, Kind][] = [
  ['startNs', 'decimal'],
  ['endNs', 'decimal'],
  ['complete', 'boolean'],
  ['host', 'object'],
  ['build', 'object'],
  ['collectors', 'object'],
];
// Checked only when present: a capture that could not learn them leaves them out.
const OPTIONAL: [string, Kind][] = [
  ['incompleteReason', 'string'],
  ['toolkit', 'object'],
  ['go', 'object'],
  ['perf', 'object'],
  ['host.hostname', 'string'],
  ['host.kernel', 'string'],
  ['host.arch', 'string'],
  ['host.cores', 'number'],
  ['host.memoryBytes', 'number'],
  ['host.clkTck', 'number'],
  ['host.pageSize', 'number'],
  ['host.bootNs', 'decimal'],
  ['host.monoToEpochNs', 'decimal'],
  ['go.version', 'string'],
  ['go.env', 'object'],
  ['build.argv', 'string[]'],
  ['build.effectiveArgv', 'string[]'],
  ['build.cwd', 'string'],
  ['build.exitCode', 'number|null'],
  ['build.signal', 'string|null'],
  ['build.wallNs', 'number'],
  ['build.env', 'object'],
  ['perf.event', 'string|null'],
  ['perf.frequency', 'number|null'],
];

function get(o: unknown, dotted: string): unknown {
  let v: unknown = o;
  for (const k of dotted.split('.')) {
    if (!v || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function is(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'decimal':
      // epoch ns as a decimal string, e.g. "1764140812345678901"; negative for a mono offset
      return typeof v === 'string' && /^-?\d{1,30}$/.test(v);
    case 'object':
      return !!v && typeof v === 'object' && !Array.isArray(v);
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'number|null':
      return v === null || (typeof v === 'number' && Number.isFinite(v));
    case 'string|null':
      return v === null || typeof v === 'string';
    default:
      return typeof v === kind;
  }
}

/** Returns `m` typed as a Manifest, or throws a GbpError naming the bad field. */
export function checkManifest(m: unknown, file: string): Manifest {
  const where = { file, entry: ENTRY.manifest };
  const fmt = get(m, 'format');
  if (!is(m, 'object') || !is(fmt, 'object') || get(m, 'format.name') !== FORMAT_NAME) {
    throw new GbpError('not-a-bundle', `${file}: ${ENTRY.manifest} does not describe a ${FORMAT_NAME}`, where);
  }
  const version = get(m, 'format.version');
  if (!Number.isInteger(version) || (version as number) < 1) {
    throw new GbpError('parse', `${file}: ${ENTRY.manifest}: format.version must be a positive integer, not ${JSON.stringify(version)}`, where);
  }
  if ((version as number) > FORMAT_VERSION) {
    throw new GbpError('version', `${file}: bundle format version ${version} is newer than this gbp understands (${FORMAT_VERSION}); upgrade go-build-profiler`, where);
  }
  for (const [field, kind] of REQUIRED) {
    const v = get(m, field);
    if (v === undefined) throw new GbpError('parse', `${file}: ${ENTRY.manifest}: missing field '${field}'`, where);
    if (!is(v, kind)) throw new GbpError('parse', `${file}: ${ENTRY.manifest}: field '${field}' must be ${kind}, not ${JSON.stringify(v)?.slice(0, 80)}`, where);
  }
  for (const [field, kind] of OPTIONAL) {
    const v = get(m, field);
    if (v !== undefined && !is(v, kind)) throw new GbpError('parse', `${file}: ${ENTRY.manifest}: field '${field}' must be ${kind}, not ${JSON.stringify(v)?.slice(0, 80)}`, where);
  }
  for (const [name, c] of Object.entries(get(m, 'collectors') as object)) {
    if (!is(c, 'object') || !['ok', 'skipped', 'failed'].includes(get(c, 'status') as string)) {
      throw new GbpError('parse', `${file}: ${ENTRY.manifest}: collectors.${name}.status must be ok, skipped or failed`, where);
    }
    const entries = get(c, 'entries');
    if (entries !== undefined && !is(entries, 'string[]')) {
      throw new GbpError('parse', `${file}: ${ENTRY.manifest}: collectors.${name}.entries must be a list of entry names`, where);
    }
  }
  return m as Manifest;
}
