// Writes a `*.gbp.tgz` as a stream: tar-stream → gzip → a temporary file
// beside the output, renamed over the output only once everything is on disk.
// A crash or a full disk therefore never leaves a half-written file under the
// real name. Entries come from files (their size must be known up front, a tar
// header needs it); callers spool anything else to a file first.
import { createReadStream, promises as fsp, type WriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { GbpError } from '../errors.ts';

/** A bundle being written: add entries, then finish (atomic rename) or abort. */
export interface BundleWriter {
  /** The temporary file being written (removed by abort, renamed by finish). */
  readonly tmpPath: string;
  /** Streams a file into the archive under `name`. */
  addFile(name: string, file: string): Promise<void>;
  /** Adds a small in-memory entry (the manifest, short texts). */
  addBuffer(name: string, data: Buffer | string): Promise<void>;
  /** Names written so far, in order. */
  readonly names: string[];
  /** Ends the archive, flushes it to disk and renames it to the output path. */
  finish(): Promise<void>;
  /** Drops the temporary file; safe to call more than once. */
  abort(): Promise<void>;
}

/** Starts a bundle at `out`; fails with a clear GbpError when `out` cannot be written. */
export async function createBundleWriter(out: string): Promise<BundleWriter> {
  const dir = path.dirname(path.resolve(out));
  const tmpPath = path.join(dir, `.gbp-tmp-${process.pid}-${Date.now()}-${path.basename(out)}`);
  let file: WriteStream;
  try {
    const st = await fsp.stat(dir);
    if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
    // Open first, so an unwritable folder fails before any build starts.
    const fh = await fsp.open(tmpPath, 'wx');
    file = fh.createWriteStream();
  } catch (e) {
    throw new GbpError('io', `${out}: cannot write the bundle here (${describe(e)})`, { file: out });
  }
  await removeStaleTemps(dir, path.basename(out));
  const pack = tar.pack();
  // Level 1: the bundle is written after the build, inside the captured wall
  // time; level 6 took twice as long for ~25% smaller output (mostly /proc text).
  const gzip = createGzip({ level: 1 });
  let failure: unknown = null;
  const done = pipeline(pack, gzip, file).catch((e) => {
    failure = e;
  });
  const names: string[] = [];
  let aborted = false;

  const fail = (e: unknown, what: string) => new GbpError('io', `${out}: cannot write the bundle (${what}: ${describe(e)})`, { file: out });
  const check = () => {
    if (failure) throw fail(failure, 'write failed');
  };

  const writer: BundleWriter = {
    tmpPath,
    names,
    async addFile(name, src) {
      check();
      const { size } = await fsp.stat(src);
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date() }, (err) => (err ? reject(err) : resolve()));
        pipeline(createReadStream(src), entry).catch(reject);
      }).catch((e) => {
        throw failure ? fail(failure, 'write failed') : fail(e, `entry ${name}`);
      });
      names.push(name);
    },
    async addBuffer(name, data) {
      check();
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      await new Promise<void>((resolve, reject) => {
        pack.entry({ name, size: buf.length, mode: 0o644, mtime: new Date() }, buf, (err) => (err ? reject(err) : resolve()));
      }).catch((e) => {
        throw failure ? fail(failure, 'write failed') : fail(e, `entry ${name}`);
      });
      names.push(name);
    },
    async finish() {
      check();
      pack.finalize();
      await done;
      if (failure) {
        await writer.abort();
        throw fail(failure, 'write failed');
      }
      try {
        // Make sure the bytes are on disk before the name says it is complete.
        const fh = await fsp.open(tmpPath, 'r+');
        await fh.sync();
        await fh.close();
        await fsp.rename(tmpPath, out);
      } catch (e) {
        await writer.abort();
        throw fail(e, 'finalize');
      }
    },
    async abort() {
      if (aborted) return;
      aborted = true;
      pack.destroy();
      await done.catch(() => {});
      await fsp.rm(tmpPath, { force: true });
    },
  };
  return writer;
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOSPC') return 'no space left on device';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'ENOENT') return 'no such directory';
  if (err?.code === 'EROFS') return 'read-only file system';
  return err?.message ?? String(e);
}

/**
 * Removes temporary files of earlier writers of the same bundle name whose
 * process is gone (a gbp killed with SIGKILL cannot clean up after itself).
 * Names are `.gbp-tmp-<pid>-<ms>-<basename>`; live writers are left alone.
 */
async function removeStaleTemps(dir: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\.gbp-tmp-(\d+)-\d+-(.*)$/s.exec(n);
    if (!m || m[2] !== base || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    await fsp.rm(path.join(dir, n), { force: true }).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // someone else's live process
  }
}
