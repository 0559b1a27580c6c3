// Private scratch folders (bundle extraction, capture spools) under the
// system's temporary folder, with a clear error when it is unusable.
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GbpError } from './errors.ts';

/** A new folder `<tmpdir>/<prefix>XXXXXX`; a GbpError naming the folder (and TMPDIR) when it cannot be made. */
export async function makeTempDir(prefix: string): Promise<string> {
  const base = tmpdir();
  try {
    return await fsp.mkdtemp(path.join(base, prefix));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new GbpError('io', `cannot make a temporary folder in ${base} (${code}); set TMPDIR to a writable folder`, { file: base });
  }
}
