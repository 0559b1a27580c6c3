// Symbol sidecars at capture time: one streaming pass over the gzip'd
// `perf script` text collects the file offsets perf sampled in each DSO, then
// each sampled binary that still exists gets a sidecar (src/symbols/sidecar.ts),
// so the bundle can be symbolized where the binaries are absent.
import { createReadStream, existsSync, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { isGbpError } from '../errors.ts';
import { buildSidecar, encodeSidecar, sidecarEntry } from '../symbols/sidecar.ts';

/** What the manifest records per sampled binary (collectors.perf.binaries). */
export interface SampledBinary {
  path: string;
  /** Bytes of the file at capture time; null when it was gone. */
  size: number | null;
  /** The key sidecars and pprof mappings match on (see BinaryIdentity.buildId). */
  buildId: string | null;
  gnuBuildId: string | null;
  goBuildId: string | null;
  /** Distinct sampled addresses in this binary. */
  addresses: number;
  /** The sidecar entry, or null with `reason` when none was written. */
  entry: string | null;
  bytes?: number;
  reason?: string;
}

/**
 * Distinct sampled file offsets per user DSO path, read from gzip'd
 * `perf script` text in one pass. Kernel, vdso and `[unknown]` DSOs are left out.
 */
export async function sampledOffsets(scriptGz: string): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  let rest = '';
  const take = (line: string) => {
    // A frame line (tab-indented, innermost first):
    //	          4c9d1a [unknown] (/usr/lib/go-1.19/pkg/tool/linux_amd64/compile)
    //	          d1b6f2 cmd/compile/internal/ssa.(*Func).newValue+0x32 (/usr/local/go/pkg/tool/linux_amd64/compile)
    // Event lines can start with spaces (a right-aligned comm), so only a tab counts.
    if (line.charCodeAt(0) !== 9) return;
    const t = line.trim();
    if (!t.endsWith(')')) return;
    const sp = t.indexOf(' ');
    const open = t.lastIndexOf(' (');
    if (sp <= 0 || open < sp) return;
    const dso = t.slice(open + 2, -1);
    if (!dso.startsWith('/')) return; // [kernel.kallsyms], [vdso], [unknown]
    const addr = t.slice(0, sp);
    if (!/^[0-9a-f]{1,13}$/i.test(addr)) return; // kernel-range or garbage addresses
    let s = out.get(dso);
    if (!s) out.set(dso, (s = new Set()));
    s.add(parseInt(addr, 16));
  };
  const src = createReadStream(scriptGz).pipe(createGunzip());
  src.setEncoding('latin1');
  for await (const chunk of src as AsyncIterable<string>) {
    const text = rest + chunk;
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      take(text.slice(at, nl));
      at = nl + 1;
    }
    rest = text.slice(at);
  }
  if (rest) take(rest);
  // Paths were read as latin1 to keep byte offsets exact; turn them back into UTF-8.
  return new Map([...out].map(([k, v]) => [Buffer.from(k, 'latin1').toString('utf8'), v]));
}

/**
 * Builds a sidecar for every sampled binary that exists, into `dir`.
 * `recordedIds` (from `perf buildid-list`) guards against a binary replaced
 * since perf sampled it. Returns one record per DSO and the files to add.
 */
export async function writeSidecars(offsets: Map<string, Set<number>>, dir: string, recordedIds: Map<string, string>): Promise<{ binaries: SampledBinary[]; files: [entry: string, file: string][] }> {
  const binaries: SampledBinary[] = [];
  const files: [string, string][] = [];
  const written = new Set<string>();
  for (const [dso, offs] of [...offsets].sort(([a], [b]) => a.localeCompare(b))) {
    const rec: SampledBinary = { path: dso, size: null, buildId: null, gnuBuildId: null, goBuildId: null, addresses: offs.size, entry: null };
    binaries.push(rec);
    if (!existsSync(dso) || !statSync(dso).isFile()) {
      rec.reason = 'binary no longer exists';
      continue;
    }
    rec.size = statSync(dso).size;
    let side;
    try {
      side = buildSidecar(dso, offs);
    } catch (e) {
      if (!isGbpError(e)) throw e;
      rec.reason = `cannot read symbols: ${e.message}`;
      continue;
    }
    const id = side.identity;
    Object.assign(rec, { buildId: id.buildId, gnuBuildId: id.gnuBuildId, goBuildId: id.goBuildId });
    const want = recordedIds.get(dso);
    if (want && id.gnuBuildId && want !== id.gnuBuildId) {
      rec.reason = `build-id changed since perf sampled it (${want} recorded, ${id.gnuBuildId} now); no sidecar`;
      continue;
    }
    const entry = sidecarEntry(id.buildId);
    rec.entry = entry;
    if (written.has(entry)) continue; // the same binary under two paths (a hard link)
    written.add(entry);
    const bytes = encodeSidecar(side);
    rec.bytes = bytes.length;
    const file = path.join(dir, path.basename(entry));
    await fsp.writeFile(file, bytes);
    files.push([entry, file]);
  }
  return { binaries, files };
}
