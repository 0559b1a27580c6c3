// Reads a `*.gbp.tgz` safely: entries stream through gunzip and tar into a
// private temporary folder, after their names are checked. Nothing is ever
// written outside that folder; links, devices and odd names are refused.
// tar-stream itself sanitizes nothing, so every check lives here.
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import tar from 'tar-stream';
import { GbpError } from '../errors.ts';
import { ENTRY, type Manifest } from './format.ts';
import { checkManifest } from './manifest-check.ts';

/** Caps and leniency for reading a bundle; defaults in DEFAULT_READ_OPTIONS. */
export interface ReadOptions {
  /** Total uncompressed bytes the bundle may expand to. */
  maxTotalBytes: number;
  /** Entries (files and folders) the archive may hold. */
  maxEntries: number;
  /** Uncompressed bytes one entry may hold. */
  maxEntryBytes: number;
  /** Keep what was read when the archive is damaged, instead of failing. */
  partial: boolean;
}

/** Default caps: 8 GiB total, 4 GiB per entry, 100,000 entries; damaged archives fail. */
export const DEFAULT_READ_OPTIONS: ReadOptions = {
  maxTotalBytes: 8 * 1024 ** 3,
  maxEntries: 100_000,
  maxEntryBytes: 4 * 1024 ** 3,
  partial: false,
};

/** Longest entry name and name component accepted (Linux PATH_MAX / NAME_MAX). */
const MAX_NAME = 4096;
const MAX_COMPONENT = 255;
/** Tar framing (headers, padding, pax records) allowed on top of maxTotalBytes. */
const FRAMING_ALLOWANCE = 16 * 1024 * 1024;
const FRAMING_PER_ENTRY = 3 * 512;

/** An opened bundle: its manifest and extracted entries. Call close() to remove the extracted files. */
export interface Bundle {
  path: string;
  /** Private folder holding the extracted entries; removed by close(). */
  dir: string;
  manifest: Manifest;
  /** Entry name → size in bytes, for every entry read completely. */
  entries: Map<string, number>;
  /** Set when the archive was damaged and `partial` kept what was read. */
  damage: string | null;
  /** Entries the manifest's collectors list that the archive did not deliver. */
  missing: string[];
  has(entry: string): boolean;
  /** Absolute path of an extracted entry. */
  file(entry: string): string;
  stream(entry: string): Readable;
  text(entry: string): Promise<string>;
  close(): Promise<void>;
}

/** Why an entry is unsafe, or null when it is fine. Directories pass the same name checks as files. */
export function unsafeEntryReason(name: string, type: string): string | null {
  if (type !== 'file' && type !== 'directory') return `entry type '${type}' is not allowed (only regular files)`;
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'name contains NUL';
  if (name.includes('\\')) return 'name contains a backslash';
  if (name.startsWith('/')) return 'absolute path';
  if (name.length > MAX_NAME) return `name longer than ${MAX_NAME} bytes`;
  const parts = (type === 'directory' ? name.replace(/\/$/, '') : name).split('/');
  if (parts.some((p) => p === '..')) return "path contains '..'";
  if (parts.some((p) => p === '.')) return "path contains '.'";
  if (parts.some((p) => p === '')) return 'path has an empty component';
  if (parts.some((p) => Buffer.byteLength(p) > MAX_COMPONENT)) return `a path component is longer than ${MAX_COMPONENT} bytes`;
  return null;
}

/** Opens a bundle: checks and extracts every entry, parses the manifest. */
export async function openBundle(file: string, opts: Partial<ReadOptions> = {}): Promise<Bundle> {
  const o = { ...DEFAULT_READ_OPTIONS, ...opts };
  await checkReadable(file);
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'gbp-bundle-'));
  const entries = new Map<string, number>();
  const pos: Position = { current: '', last: '' };
  let damage: string | null = null;
  try {
    await extract(file, dir, o, entries, pos);
  } catch (e) {
    const err = e instanceof GbpError ? e : damaged(file, pos, entries.size, e);
    if (!(o.partial && err.code === 'damaged')) {
      await fsp.rm(dir, { recursive: true, force: true });
      throw err;
    }
    damage = err.message;
  }
  const bundle = makeBundle(file, dir, entries, damage);
  try {
    bundle.manifest = await readManifest(bundle);
  } catch (e) {
    await bundle.close();
    throw e;
  }
  bundle.missing = missingEntries(bundle.manifest, entries);
  return bundle;
}

async function checkReadable(file: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(file);
    await fsp.access(file);
  } catch {
    throw new GbpError('io', `${file}: cannot read bundle (no such file or not readable)`, { file });
  }
  if (!st.isFile()) throw new GbpError('io', `${file}: not a regular file`, { file });
  if (st.size === 0) throw new GbpError('not-a-bundle', `${file}: empty file, not a gzip'd tar bundle`, { file });
}

/** Which entry the extraction is in (`current`) and the last one it finished. */
interface Position {
  current: string;
  last: string;
}

function damaged(file: string, pos: Position, count: number, e: unknown): GbpError {
  const why = (e as Error)?.message ?? String(e);
  // At byte 0: "incorrect header check" from gunzip, "Invalid tar header" or
  // (under 512 bytes) "Unexpected end of data" from tar-stream.
  if (!pos.current && count === 0 && /incorrect header check|not in gzip format|invalid tar header|^Unexpected end of data$/i.test(why)) {
    const what = /incorrect header|gzip format/i.test(why) ? 'not gzip data' : 'gzip holds no tar archive';
    return new GbpError('not-a-bundle', `${file}: not a gzip'd tar bundle (${what}): ${why}`, { file });
  }
  const where = pos.current
    ? `while reading entry '${printable(pos.current)}'`
    : pos.last
      ? `after entry '${printable(pos.last)}' (${count} entries read)`
      : 'before the first entry';
  return new GbpError('damaged', `${file}: damaged archive ${where}: ${why}`, { file, entry: pos.current || pos.last || undefined });
}

async function extract(file: string, dir: string, o: ReadOptions, entries: Map<string, number>, pos: Position) {
  const ex = tar.extract();
  const dirs = new Set<string>();
  let total = 0;
  let seen = 0;
  const fail = (code: 'unsafe-entry' | 'limit', msg: string, entry: string) =>
    ex.destroy(new GbpError(code, `${file}: ${msg}`, { file, entry }));

  ex.on('entry', (header, body, next) => {
    // When extraction stops, tar-stream destroys the current entry's body with
    // the error; the error is reported once, through `ex`, so swallow it here
    // (unhandled, it would crash the process).
    body.on('error', () => {});
    const name = header.type === 'directory' ? header.name : header.name.replace(/^\.\//, '');
    const type = header.type ?? 'unknown';
    pos.current = name;
    seen++;
    if (name === './' || name === '.') return skip(body, next, pos);
    const bad = unsafeEntryReason(name, type);
    if (bad) return fail('unsafe-entry', `refusing entry '${printable(name)}': ${bad}`, name);
    if (seen > o.maxEntries) return fail('limit', `more than ${o.maxEntries} entries (raise with --max-entries)`, name);
    const conflict = conflictReason(name.replace(/\/$/, ''), type, entries, dirs);
    if (conflict) return fail('unsafe-entry', `refusing entry '${printable(name)}': ${conflict}`, name);
    if (type === 'directory') {
      dirs.add(name.replace(/\/$/, ''));
      return skip(body, next, pos);
    }
    const declared = header.size ?? 0;
    if (declared > o.maxEntryBytes) return fail('limit', `entry '${printable(name)}' is ${declared} bytes, more than ${o.maxEntryBytes} (raise with --max-entry-bytes)`, name);
    if (total + declared > o.maxTotalBytes) return fail('limit', `bundle expands to more than ${o.maxTotalBytes} bytes at entry '${printable(name)}' (raise with --max-total-bytes)`, name);
    total += declared;
    const dest = path.join(dir, name);
    if (!dest.startsWith(dir + path.sep)) return fail('unsafe-entry', `refusing entry '${printable(name)}': escapes the folder`, name);
    for (let d = path.posix.dirname(name); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
    fsp
      .mkdir(path.dirname(dest), { recursive: true })
      .then(() => pipeline(body, createWriteStream(dest, { flags: 'wx' })))
      .then(() => {
        entries.set(name, declared);
        pos.last = name;
        pos.current = '';
        next();
      })
      .catch((e) => ex.destroy(e));
  });

  // Counts the raw tar stream, so that padding and empty blocks (which carry
  // no entry) cannot expand without bound either.
  let raw = 0;
  const rawCap = o.maxTotalBytes + FRAMING_ALLOWANCE;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      raw += chunk.length;
      if (raw > rawCap + FRAMING_PER_ENTRY * seen) {
        cb(new GbpError('limit', `${file}: bundle expands to more than ${o.maxTotalBytes} bytes (raise with --max-total-bytes)`, { file, entry: pos.current || undefined }));
      } else cb(null, chunk);
    },
  });
  // A gzip error (truncation, bad CRC) must not overtake the tar parser: let
  // it consume everything inflated so far, then report where it stood.
  const gunzip = createGunzip();
  const src = createReadStream(file);
  src.on('error', (e) => gunzip.destroy(e));
  src.pipe(gunzip);
  let gzErr: Error | null = null;
  async function* inflated() {
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (e) {
      gzErr = e as Error;
    }
  }
  try {
    await pipeline(inflated(), counter, ex);
  } catch (e) {
    if (gzErr && !(e instanceof GbpError)) throw gzErr;
    throw e;
  } finally {
    src.destroy();
  }
  if (gzErr) throw gzErr;
}

function skip(body: { resume(): unknown; on(ev: "end", f: () => void): unknown }, next: () => void, pos: Position) {
  body.resume();
  body.on('end', () => {
    pos.current = '';
    next();
  });
}

/** A file where a folder is (or the reverse), or a name seen twice. */
function conflictReason(name: string, type: string, entries: Map<string, number>, dirs: Set<string>): string | null {
  if (entries.has(name)) return 'appears twice';
  if (type === 'file' && dirs.has(name)) return 'a folder of that name exists';
  for (let d = path.posix.dirname(name); d !== '.'; d = path.posix.dirname(d)) {
    if (entries.has(d)) return `'${printable(d)}' is a file, not a folder`;
  }
  return null;
}

function printable(s: string): string {
  const shown = s.length > 200 ? s.slice(0, 200) + '…' : s;
  return JSON.stringify(shown).slice(1, -1);
}

function makeBundle(file: string, dir: string, entries: Map<string, number>, damage: string | null): Bundle {
  const at = (e: string) => {
    if (!entries.has(e)) throw new GbpError('not-a-bundle', `${file}: has no entry '${printable(e)}'`, { file, entry: e });
    return path.join(dir, e);
  };
  return {
    path: file,
    dir,
    manifest: undefined as unknown as Manifest,
    entries,
    damage,
    missing: [],
    has: (e) => entries.has(e),
    file: at,
    stream: (e) => createReadStream(at(e)),
    text: (e) => fsp.readFile(at(e), 'utf8'),
    close: () => fsp.rm(dir, { recursive: true, force: true }),
  };
}

async function readManifest(b: Bundle): Promise<Manifest> {
  if (!b.has(ENTRY.manifest)) {
    const what = b.damage ? `damaged before its manifest was read (${b.damage})` : `has no ${ENTRY.manifest}`;
    throw new GbpError(b.damage ? 'damaged' : 'not-a-bundle', `${b.path}: ${what}`, { file: b.path, entry: ENTRY.manifest });
  }
  const size = b.entries.get(ENTRY.manifest)!;
  if (size > 16 * 1024 * 1024) {
    throw new GbpError('limit', `${b.path}: ${ENTRY.manifest} is ${size} bytes, too large for a manifest`, { file: b.path, entry: ENTRY.manifest });
  }
  let m: unknown;
  try {
    m = JSON.parse(await b.text(ENTRY.manifest));
  } catch (e) {
    throw new GbpError('parse', `${b.path}: ${ENTRY.manifest} is not valid JSON: ${(e as Error).message}`, { file: b.path, entry: ENTRY.manifest });
  }
  return checkManifest(m, b.path);
}

/** Entries listed by collectors in the manifest but absent from the archive. */
function missingEntries(m: Manifest, entries: Map<string, number>): string[] {
  const want = new Set<string>();
  for (const c of Object.values(m.collectors)) {
    for (const e of Array.isArray(c?.entries) ? c.entries : []) if (typeof e === 'string') want.add(e);
  }
  return [...want].filter((e) => !entries.has(e) && !(e.endsWith('/') && [...entries.keys()].some((k) => k.startsWith(e)))).sort();
}
