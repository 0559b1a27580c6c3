// Reads a `*.gbp.tgz` safely: entries stream through gunzip and tar into a
// private temporary folder, after their names are checked. Nothing is ever
// written outside that folder; links, devices and odd names are refused.
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { GbpError } from '../errors.ts';
import { ENTRY, FORMAT_NAME, FORMAT_VERSION, type Manifest } from './format.ts';

/** Caps and leniency for reading a bundle; defaults in DEFAULT_READ_OPTIONS. */
export interface ReadOptions {
  /** Total uncompressed bytes the bundle may expand to. */
  maxTotalBytes: number;
  maxEntries: number;
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

/** An opened bundle: its manifest and extracted entries. Call close() to remove the extracted files. */
export interface Bundle {
  path: string;
  /** Private folder holding the extracted entries; removed by close(). */
  dir: string;
  manifest: Manifest;
  entries: Map<string, number>;
  /** Set when the archive was damaged and `partial` kept what was read. */
  damage: string | null;
  has(entry: string): boolean;
  /** Absolute path of an extracted entry. */
  file(entry: string): string;
  stream(entry: string): Readable;
  text(entry: string): Promise<string>;
  close(): Promise<void>;
}

/** Why an entry name is unsafe, or null when it is fine. */
export function unsafeEntryReason(name: string, type: string): string | null {
  if (type !== 'file') return `entry type '${type}' is not allowed (only regular files)`;
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'name contains NUL';
  if (name.includes('\\')) return 'name contains a backslash';
  if (name.startsWith('/')) return 'absolute path';
  if (name.split('/').some((p) => p === '..')) return "path contains '..'";
  if (name.split('/').some((p) => p === '')) return 'path has an empty component';
  return null;
}

/** Opens a bundle: checks and extracts every entry, parses the manifest. */
export async function openBundle(file: string, opts: Partial<ReadOptions> = {}): Promise<Bundle> {
  const o = { ...DEFAULT_READ_OPTIONS, ...opts };
  try {
    await fsp.access(file);
  } catch {
    throw new GbpError('io', `${file}: cannot read bundle (no such file or not readable)`, { file });
  }
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'gbp-bundle-'));
  const entries = new Map<string, number>();
  let damage: string | null = null;
  let current = '';
  try {
    await extract(file, dir, o, entries, (e) => (current = e));
  } catch (e) {
    const err = e instanceof GbpError ? e : damaged(file, current, e);
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
  return bundle;
}

function damaged(file: string, entry: string, e: unknown): GbpError {
  const why = (e as Error)?.message ?? String(e);
  const where = entry ? `while reading entry '${entry}'` : 'before the first entry';
  const code = /incorrect header check|not in gzip format|invalid tar header/i.test(why) && !entry ? 'not-a-bundle' : 'damaged';
  return new GbpError(code, `${file}: ${code === 'not-a-bundle' ? 'not a gzip\'d tar bundle' : 'damaged archive'} ${where}: ${why}`, { file, entry: entry || undefined });
}

async function extract(file: string, dir: string, o: ReadOptions, entries: Map<string, number>, onEntry: (e: string) => void) {
  const ex = tar.extract();
  let total = 0;
  ex.on('entry', (header, body, next) => {
    const name = header.name;
    onEntry(name);
    const type = header.type ?? 'file';
    if (type === 'directory') {
      body.resume();
      body.on('end', next);
      return;
    }
    const bad = unsafeEntryReason(name, type);
    if (bad) return ex.destroy(new GbpError('unsafe-entry', `${file}: refusing entry '${printable(name)}': ${bad}`, { file, entry: name }));
    if (entries.size + 1 > o.maxEntries) return ex.destroy(new GbpError('limit', `${file}: more than ${o.maxEntries} entries (raise with --max-entries)`, { file, entry: name }));
    if (entries.has(name)) return ex.destroy(new GbpError('unsafe-entry', `${file}: entry '${printable(name)}' appears twice`, { file, entry: name }));
    const dest = path.join(dir, name);
    if (!dest.startsWith(dir + path.sep)) return ex.destroy(new GbpError('unsafe-entry', `${file}: refusing entry '${printable(name)}': escapes the folder`, { file, entry: name }));
    let size = 0;
    body.on('data', (chunk: unknown) => {
      const n = (chunk as Buffer).length;
      size += n;
      total += n;
      if (size > o.maxEntryBytes) ex.destroy(new GbpError('limit', `${file}: entry '${name}' is larger than ${o.maxEntryBytes} bytes (raise with --max-entry-bytes)`, { file, entry: name }));
      else if (total > o.maxTotalBytes) ex.destroy(new GbpError('limit', `${file}: bundle expands to more than ${o.maxTotalBytes} bytes (raise with --max-total-bytes)`, { file, entry: name }));
    });
    fsp
      .mkdir(path.dirname(dest), { recursive: true })
      .then(() => pipeline(body, createWriteStream(dest, { flags: 'wx' })))
      .then(() => {
        entries.set(name, size);
        onEntry('');
        next();
      })
      .catch((e) => ex.destroy(e));
  });
  await pipeline(createReadStream(file), createGunzip(), ex);
}

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

function makeBundle(file: string, dir: string, entries: Map<string, number>, damage: string | null): Bundle {
  return {
    path: file,
    dir,
    manifest: undefined as unknown as Manifest,
    entries,
    damage,
    has: (e) => entries.has(e),
    file: (e) => path.join(dir, e),
    stream: (e) => createReadStream(path.join(dir, e)),
    text: (e) => fsp.readFile(path.join(dir, e), 'utf8'),
    close: () => fsp.rm(dir, { recursive: true, force: true }),
  };
}

async function readManifest(b: Bundle): Promise<Manifest> {
  if (!b.has(ENTRY.manifest)) {
    const what = b.damage ? `damaged before its manifest was read (${b.damage})` : `has no ${ENTRY.manifest}`;
    throw new GbpError(b.damage ? 'damaged' : 'not-a-bundle', `${b.path}: ${what}`, { file: b.path, entry: ENTRY.manifest });
  }
  let m: Manifest;
  try {
    m = JSON.parse(await b.text(ENTRY.manifest));
  } catch (e) {
    throw new GbpError('parse', `${b.path}: ${ENTRY.manifest} is not valid JSON: ${(e as Error).message}`, { file: b.path, entry: ENTRY.manifest });
  }
  if (!m || typeof m !== 'object' || m.format?.name !== FORMAT_NAME) {
    throw new GbpError('not-a-bundle', `${b.path}: ${ENTRY.manifest} does not describe a ${FORMAT_NAME}`, { file: b.path, entry: ENTRY.manifest });
  }
  if (typeof m.format.version !== 'number' || m.format.version > FORMAT_VERSION) {
    throw new GbpError('version', `${b.path}: bundle format version ${m.format.version} is newer than this gbp understands (${FORMAT_VERSION}); upgrade go-build-profiler`, { file: b.path, entry: ENTRY.manifest });
  }
  return m;
}
