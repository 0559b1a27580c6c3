// Reads a `*.gbp.tgz` safely: entries stream through gunzip and our strict
// tar parser (./tar-parse.ts) into a private temporary folder, after their
// names are checked. Nothing is ever written outside that folder; links,
// devices and odd names are refused; caps stop decompression bombs.
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { makeTempDir } from '../temp-dir.ts';
import { GbpError } from '../errors.ts';
import { ENTRY, type Manifest } from './format.ts';
import { checkManifest } from './manifest-check.ts';
import { readTar, TarFormatError } from './tar-parse.ts';

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
  // An explicit `undefined` (an unset flag) must not switch a cap off.
  const o: ReadOptions = { ...DEFAULT_READ_OPTIONS };
  for (const k of Object.keys(o) as (keyof ReadOptions)[]) if (opts[k] !== undefined) (o as unknown as Record<string, unknown>)[k] = opts[k];
  for (const k of ['maxTotalBytes', 'maxEntries', 'maxEntryBytes'] as const) {
    if (!(o[k] > 0)) throw new GbpError('usage', `${k} must be a positive number, not ${o[k]}`);
  }
  await checkReadable(file);
  const dir = await makeTempDir('gbp-bundle-');
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
  // Nothing read yet: gunzip's "incorrect header check" means not gzip at all;
  // a tar format error means the gzip holds something else.
  if (!pos.current && !pos.last && count === 0) {
    if (/incorrect header check|not in gzip format|unknown compression method/i.test(why)) {
      return new GbpError('not-a-bundle', `${file}: not a gzip'd tar bundle (not gzip data): ${why}`, { file });
    }
    if (e instanceof TarFormatError) return new GbpError('not-a-bundle', `${file}: not a gzip'd tar bundle (gzip holds no tar archive): ${why}`, { file });
  }
  const where = pos.current
    ? `while reading entry '${printable(pos.current)}'`
    : pos.last
      ? `after entry '${printable(pos.last)}' (${count} entries read)`
      : 'before the first entry';
  return new GbpError('damaged', `${file}: damaged archive ${where}: ${why}`, { file, entry: pos.current || pos.last || undefined });
}

async function extract(file: string, dir: string, o: ReadOptions, entries: Map<string, number>, pos: Position) {
  const dirs = new Set<string>();
  let total = 0;
  let seen = 0;
  const refuse = (code: 'unsafe-entry' | 'limit', msg: string, entry: string) => new GbpError(code, `${file}: ${msg}`, { file, entry });

  // The raw tar stream is capped too: padding, extended headers and the
  // blocks after the end marker carry no entry but still expand.
  const rawCap = o.maxTotalBytes + FRAMING_ALLOWANCE;
  async function* inflated(): AsyncGenerator<Buffer> {
    const src = createReadStream(file);
    const gunzip = createGunzip();
    src.on('error', (e) => gunzip.destroy(e));
    src.pipe(gunzip);
    let raw = 0;
    try {
      for await (const chunk of gunzip) {
        raw += (chunk as Buffer).length;
        if (raw > rawCap + FRAMING_PER_ENTRY * seen) {
          throw new GbpError('limit', `${file}: bundle expands to more than ${o.maxTotalBytes} bytes (raise with --max-total-bytes)`, { file, entry: pos.current || undefined });
        }
        yield chunk as Buffer;
      }
    } finally {
      src.destroy();
      gunzip.destroy();
    }
  }

  await readTar(inflated(), async (h, body) => {
    const name = h.type === 'directory' ? h.name : h.name.replace(/^\.\//, '');
    pos.current = name;
    seen++;
    if (name === './' || name === '.') return done(pos);
    const bad = unsafeEntryReason(name, h.type);
    if (bad) throw refuse('unsafe-entry', `refusing entry '${printable(name)}': ${bad}`, name);
    if (seen > o.maxEntries) throw refuse('limit', `more than ${o.maxEntries} entries (raise with --max-entries)`, name);
    const bare = name.replace(/\/$/, '');
    const conflict = conflictReason(bare, h.type, entries, dirs);
    if (conflict) throw refuse('unsafe-entry', `refusing entry '${printable(name)}': ${conflict}`, name);
    if (h.type === 'directory') {
      dirs.add(bare);
      return done(pos);
    }
    if (h.size > o.maxEntryBytes) throw refuse('limit', `entry '${printable(name)}' is ${h.size} bytes, more than ${o.maxEntryBytes} (raise with --max-entry-bytes)`, name);
    if (total + h.size > o.maxTotalBytes) throw refuse('limit', `bundle expands to more than ${o.maxTotalBytes} bytes at entry '${printable(name)}' (raise with --max-total-bytes)`, name);
    total += h.size;
    const dest = path.join(dir, name);
    if (!dest.startsWith(dir + path.sep)) throw refuse('unsafe-entry', `refusing entry '${printable(name)}': escapes the folder`, name);
    for (let d = path.posix.dirname(name); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
    // A full or unwritable TMPDIR is the local disk's fault, not the bundle's.
    const local = (e: unknown) => new GbpError('io', `${file}: cannot extract entry '${printable(name)}' into ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (set TMPDIR to a folder with room)`, { file, entry: name });
    // 'wx': never follow or replace anything already there.
    let out: fsp.FileHandle;
    try {
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      out = await fsp.open(dest, 'wx');
    } catch (e) {
      throw local(e);
    }
    try {
      for await (const piece of body()) await out.write(piece).catch((e: unknown) => Promise.reject(local(e)));
    } finally {
      await out.close();
    }
    entries.set(name, h.size);
    done(pos);
  });
}

function done(pos: Position) {
  pos.last = pos.current;
  pos.current = '';
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
