// Packs files into a `*.gbp.tgz` for tests that need a bundle made from raw
// inputs produced in the test itself (a real build's debug files).
import { createWriteStream, readFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FORMAT_NAME, FORMAT_VERSION, type Manifest } from '../src/bundle/format.ts';

/** A manifest with the given start and whatever else the test overrides. */
export function testManifest(startNs: bigint, over: Partial<Manifest> = {}): Manifest {
  return {
    format: { name: FORMAT_NAME, version: FORMAT_VERSION },
    toolkit: { name: 'go-build-profiler', version: 'test' },
    startNs: startNs.toString(),
    endNs: (startNs + 10_000_000_000n).toString(),
    complete: true,
    host: { hostname: 'test', kernel: 'linux', arch: 'amd64', cores: 2, memoryBytes: 0, clkTck: 100, pageSize: 4096, bootNs: '0', monoToEpochNs: '0' },
    go: { version: 'go', env: {} },
    build: { argv: ['go', 'build', './...'], effectiveArgv: [], cwd: '/', exitCode: 0, wallNs: 10_000_000_000, env: {} },
    perf: { event: null, frequency: null },
    collectors: {},
    ...over,
  };
}

/** Writes `out` holding manifest.json and each entry (from a file path or inline data). */
export async function packBundle(out: string, manifest: Manifest, entries: Record<string, { file: string } | { data: string | Buffer }>): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(out));
  const add = (name: string, data: Buffer) => new Promise<void>((ok, fail) => pack.entry({ name, size: data.length }, data, (e) => (e ? fail(e) : ok())));
  await add('manifest.json', Buffer.from(JSON.stringify(manifest)));
  for (const [name, src] of Object.entries(entries)) await add(name, 'file' in src ? readFileSync(src.file) : Buffer.from(src.data));
  pack.finalize();
  await done;
}
