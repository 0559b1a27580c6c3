// Every exporter writes through here, so nothing lands outside `-o DIR` and
// nothing is overwritten unless the user said --force.
import { promises as fsp, existsSync } from 'node:fs';
import path from 'node:path';
import { GbpError } from '../errors.ts';

/** The folder an exporter writes into (from prepareOutputDir). */
export interface OutputDir {
  root: string;
  /** Absolute path of `rel` inside the output folder; refuses anything that escapes it. */
  path(rel: string): string;
  /** Writes a file (creating parent folders), refusing to overwrite without force. */
  write(rel: string, data: string | Uint8Array): Promise<string>;
}

/** Creates (or reuses, with force) the output folder. */
export async function prepareOutputDir(dir: string, opts: { force?: boolean } = {}): Promise<OutputDir> {
  const root = path.resolve(dir);
  try {
    await fsp.mkdir(root, { recursive: true });
  } catch (e) {
    throw new GbpError('io', `${dir}: cannot create output folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: dir });
  }
  const force = !!opts.force;
  const out: OutputDir = {
    root,
    path(rel) {
      const p = path.resolve(root, rel);
      if (p !== root && !p.startsWith(root + path.sep)) {
        throw new GbpError('unsafe-entry', `refusing to write '${rel}': outside the output folder ${dir}`, { file: rel });
      }
      return p;
    },
    async write(rel, data) {
      const p = out.path(rel);
      await fsp.mkdir(path.dirname(p), { recursive: true });
      await writeNew(p, data, force);
      return p;
    },
  };
  return out;
}

/** Writes `p`, refusing to replace an existing file unless `force`. */
export async function writeNew(p: string, data: string | Uint8Array, force: boolean): Promise<void> {
  if (!force && existsSync(p)) {
    throw new GbpError('io', `${p} exists; pass --force to overwrite`, { file: p });
  }
  try {
    await fsp.writeFile(p, data);
  } catch (e) {
    throw new GbpError('io', `${p}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: p });
  }
}
