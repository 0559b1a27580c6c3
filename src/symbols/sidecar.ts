// The symbol sidecar: what a bundle needs to name a binary's frames on a
// machine that has never seen the binary (as `perf archive` does for perf).
// Stored as `symbols/<key>.json.gz` (see SYMBOLS_* in bundle/format.ts).
//
// It holds the whole function table (entry, size, name) and, for the
// addresses perf actually sampled, the full frames with file, line and inlined
// calls. The full line table is left out: gzip'd it costs ~2 MB for Go 1.19's
// `compile` alone (scripts/bench-symbolize.ts measures both).
import { gunzipSync, gzipSync } from 'node:zlib';
import { GbpError } from '../errors.ts';
import { ENTRY } from '../bundle/format.ts';
import { openElf, PT_LOAD, type ElfSymbol } from './elf.ts';
import { readPclntab } from './pclntab.ts';
import { fileOffsetToVaddr, findSymbol, identityOf, openBinarySymbols, type BinaryIdentity, type LoadSegment, type SourceFrame, type SymbolTable } from './binary.ts';

export const SIDECAR_FORMAT = 'gbp-symbols';
export const SIDECAR_VERSION = 1;
/** Largest inflated sidecar accepted (Go 1.19's `compile`, the biggest seen, is a few MiB). */
const MAX_SIDECAR_JSON_BYTES = 256 * 1024 * 1024;

/** The JSON inside `symbols/<key>.json.gz`. Addresses are link-time vaddrs; lists of addresses are delta-encoded. */
export interface SidecarJson {
  format: typeof SIDECAR_FORMAT;
  version: number;
  identity: BinaryIdentity;
  kind: 'go' | 'elf';
  loads: LoadSegment[];
  /** Interned function names and file names. */
  strings: string[];
  /** Function table sorted by entry: entry deltas, sizes in bytes, name string ids. */
  funcs: { entry: number[]; size: number[]; name: number[] };
  /** Sampled addresses (deltas), each with `count[i]` frames of [name, file, line] in `frames`, innermost first. */
  addrs: { vaddr: number[]; count: number[]; frames: number[] };
}

/** Bundle entry name of a binary's sidecar: build-id with anything outside [A-Za-z0-9._-] turned into '.'. */
export function sidecarEntry(buildId: string): string {
  return `${ENTRY.symbolsDir}${buildId.replace(/[^A-Za-z0-9._-]/g, '.')}.json.gz`;
}

/**
 * Builds the sidecar of the binary at `path`. `sampledOffsets` are file
 * offsets as `perf script` prints them for that DSO; each gets its full frames.
 */
export function buildSidecar(path: string, sampledOffsets: Iterable<number> = []): SidecarJson {
  const elf = openElf(path);
  let table: SymbolTable | null = null;
  try {
    const strings: string[] = [];
    const ids = new Map<string, number>();
    const intern = (s: string) => {
      let id = ids.get(s);
      if (id === undefined) ids.set(s, (id = strings.push(s) - 1));
      return id;
    };
    const funcs = { entry: [] as number[], size: [] as number[], name: [] as number[] };
    let prev = 0;
    const addFunc = (entry: number, size: number, name: string) => {
      funcs.entry.push(entry - prev);
      funcs.size.push(size);
      funcs.name.push(intern(name));
      prev = entry;
    };
    const pcln = readPclntab(elf);
    if (pcln) for (let i = 0; i < pcln.nfunc; i++) addFunc(pcln.entry(i), pcln.end(i) - pcln.entry(i), pcln.name(i));
    else for (const s of elf.functionSymbols()) addFunc(s.addr, s.size, s.name);

    table = openBinarySymbols(path);
    const loads = table.loads;
    const vaddrs = [...new Set([...sampledOffsets].map((o) => fileOffsetToVaddr(loads, o)).filter((v): v is number => v !== null))].sort((a, b) => a - b);
    const addrs = { vaddr: [] as number[], count: [] as number[], frames: [] as number[] };
    prev = 0;
    for (const v of vaddrs) {
      const fr = table.frames(v);
      if (!fr.length) continue;
      addrs.vaddr.push(v - prev);
      prev = v;
      addrs.count.push(fr.length);
      for (const f of fr) addrs.frames.push(intern(f.name), intern(f.file), f.line);
    }
    return { format: SIDECAR_FORMAT, version: SIDECAR_VERSION, identity: identityOf(elf), kind: pcln ? 'go' : 'elf', loads: elf.segments.filter((s) => s.type === PT_LOAD).map((s) => [s.offset, s.vaddr, s.filesz]), strings, funcs, addrs };
  } finally {
    table?.close();
    elf.close();
  }
}

/** gzip'd JSON bytes of a sidecar. */
export function encodeSidecar(s: SidecarJson): Buffer {
  return gzipSync(JSON.stringify(s), { level: 9 });
}

/** Parses sidecar bytes (gzip'd JSON); `where` names the file or entry in errors. */
export function decodeSidecar(bytes: Buffer, where: { file?: string; entry?: string }): SidecarJson {
  const name = [where.file, where.entry].filter(Boolean).join(': ');
  let j: SidecarJson;
  try {
    // Capped: a bundle's sidecar is untrusted, and a gzip bomb would otherwise inflate in memory.
    j = JSON.parse(gunzipSync(bytes, { maxOutputLength: MAX_SIDECAR_JSON_BYTES }).toString('utf8'));
  } catch (e) {
    throw new GbpError('damaged', `${name}: symbol sidecar is not gzip'd JSON: ${(e as Error).message}`, where);
  }
  if (j?.format !== SIDECAR_FORMAT) throw new GbpError('parse', `${name}: not a symbol sidecar (format '${String(j?.format)}')`, where);
  if (j.version > SIDECAR_VERSION) throw new GbpError('version', `${name}: symbol sidecar version ${j.version} is newer than this gbp reads (${SIDECAR_VERSION})`, where);
  const numbers = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  const ok =
    Array.isArray(j.strings) && j.strings.every((x) => typeof x === 'string') &&
    Array.isArray(j.loads) && j.loads.every(numbers) &&
    j.funcs && [j.funcs.entry, j.funcs.size, j.funcs.name].every(numbers) && j.funcs.entry.length === j.funcs.size.length && j.funcs.entry.length === j.funcs.name.length &&
    j.addrs && [j.addrs.vaddr, j.addrs.count, j.addrs.frames].every(numbers) && j.addrs.vaddr.length === j.addrs.count.length &&
    j.addrs.count.every((c) => Number.isInteger(c) && c >= 0) && j.addrs.frames.length === 3 * j.addrs.count.reduce((a, c) => a + c, 0) &&
    j.identity && typeof j.identity.buildId === 'string';
  if (!ok) throw new GbpError('damaged', `${name}: symbol sidecar lacks or mangles its function table`, where);
  return j;
}

/** A SymbolTable over a decoded sidecar: sampled addresses get full frames, others the function name only. */
export function sidecarTable(j: SidecarJson): SymbolTable {
  const str = (i: number) => j.strings[i] ?? '';
  const funcs: ElfSymbol[] = [];
  let at = 0;
  for (let i = 0; i < j.funcs.entry.length; i++) {
    at += j.funcs.entry[i];
    funcs.push({ addr: at, size: j.funcs.size[i], name: str(j.funcs.name[i]) });
  }
  const exact = new Map<number, [start: number, count: number]>(); // vaddr -> its slice of addrs.frames
  at = 0;
  for (let i = 0, start = 0; i < j.addrs.vaddr.length; start += j.addrs.count[i] * 3, i++) exact.set((at += j.addrs.vaddr[i]), [start, j.addrs.count[i]]);
  return {
    identity: j.identity,
    kind: j.kind,
    loads: j.loads,
    frames(vaddr) {
      const hit = exact.get(vaddr);
      if (hit) {
        const [start, n] = hit;
        const out: SourceFrame[] = [];
        for (let k = 0; k < n; k++) {
          const o = start + k * 3;
          out.push({ name: str(j.addrs.frames[o]), file: str(j.addrs.frames[o + 1]), line: j.addrs.frames[o + 2], inlined: k < n - 1 });
        }
        return out;
      }
      const s = findSymbol(funcs, vaddr);
      return s ? [{ name: s.name, file: '', line: 0, inlined: false }] : [];
    },
    close() {},
  };
}
