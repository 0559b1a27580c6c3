// Names raw perf frames: finds the symbols of a DSO in this order: the bundle's
// sidecar, the binary at its recorded path when its build-id matches, then
// `--binaries DIR` and `--goroot DIR`. A binary whose build-id differs from the
// recorded one is reported as a warning and never used.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BinaryInfo, Frame, Warning } from '../model/types.ts';
import { isGbpError } from '../errors.ts';
import { fileOffsetToVaddr, openBinarySymbols, type SourceFrame, type SymbolTable } from './binary.ts';
import { decodeSidecar, sidecarTable, type SidecarJson } from './sidecar.ts';
import { ENTRY } from '../bundle/format.ts';
import type { Bundle } from '../bundle/reader.ts';

export interface ResolverOptions {
  /** Try the binary at the path perf recorded (default true). */
  localBinaries: boolean;
  /** Folder of copies of the binaries, looked up by base name and by full path under it. */
  binariesDir: string | null;
  /** A GOROOT whose `bin/` and `pkg/tool/<os_arch>/` stand in for the recorded toolchain. */
  goroot: string | null;
}

export const DEFAULT_RESOLVER_OPTIONS: ResolverOptions = { localBinaries: true, binariesDir: null, goroot: null };

/** A frame as perf printed it: `addr` is hex (file offset for user DSOs, as `perf script` prints it). */
export interface RawFrameLike {
  addr: string;
  dso: string;
}

export class SymbolResolver {
  readonly warnings: Warning[] = [];
  /**
   * Binaries used with no build-id recorded to check them against (perf lists
   * none for Debian's Go tools): a note, not a warning, since nothing disagreed.
   */
  readonly unverified: string[] = [];
  private readonly tables = new Map<string, SymbolTable | null>();
  private readonly sidecars = new Map<string, SidecarJson>();
  private readonly disagreeing = new Set<string>();
  private readonly opts: ResolverOptions;

  /**
   * `sidecars` come from the bundle; `buildIds` maps a DSO path to its recorded
   * build-id (from `perf/buildids.txt`), used to verify binaries on disk.
   */
  constructor(sidecars: SidecarJson[] = [], private readonly buildIds = new Map<string, string>(), opts: Partial<ResolverOptions> = {}) {
    this.opts = { ...DEFAULT_RESOLVER_OPTIONS, ...opts };
    for (const s of sidecars) {
      this.sidecars.set(s.identity.path, s);
      if (!this.buildIds.has(s.identity.path)) this.buildIds.set(s.identity.path, s.identity.buildId);
    }
  }

  /** Frames for a file offset in `dso`, innermost first; null when the DSO has no symbols here. */
  resolveOffset(dso: string, fileOffset: number): SourceFrame[] | null {
    const t = this.table(dso);
    if (!t) return null;
    const vaddr = fileOffsetToVaddr(t.loads, fileOffset);
    if (vaddr === null) return null;
    const f = t.frames(vaddr);
    return f.length ? f : null;
  }

  /** Whether resolve() can look `raw` up at all: an absolute DSO path and a hex offset below 2^52. */
  resolvable(raw: RawFrameLike): boolean {
    return raw.dso.startsWith('/') && HEX_OFFSET.test(raw.addr);
  }

  /** Model frames for a raw perf frame (innermost first), or null to keep it as it is (address and DSO). */
  resolve(raw: RawFrameLike): Frame[] | null {
    if (!this.resolvable(raw)) return null;
    const f = this.resolveOffset(raw.dso, parseInt(raw.addr, 16));
    return f ? modelFrames(f, raw) : null;
  }

  /**
   * Frames (with inlined calls, file, line) for a frame perf already named,
   * only when our outermost function is perf's (ABI suffix aside): a binary
   * that names it otherwise is not the one perf saw, so perf's name stays and
   * the first such frame of each DSO becomes a warning.
   */
  resolveNamed(raw: RawFrameLike & { symbol: string }): Frame[] | null {
    const f = this.resolve(raw);
    return f ? this.namedAsPerf(f, raw) : null;
  }

  /**
   * resolveNamed() of each of `frames` whose `named` flag is 1, resolve() of
   * the others: the same results and warnings, but a table that can
   * (framesMany: a pclntab) looks all its addresses up at once, in address
   * order, while a function's decoded tables and bytes are at hand. On the
   * bench text's 40k Go frames the pclntab work is ~10 ms that way, against
   * ~50-65 ms in the order perf printed them, and no object per lookup.
   */
  resolveAll(frames: readonly (RawFrameLike & { name: string })[], named: Uint8Array): (Frame[] | null)[] {
    const n = frames.length;
    const out = new Array<Frame[] | null>(n).fill(null);
    // Each frame's table (index into `tables`, -1: none) and link-time address; tables open in input order.
    const tables: SymbolTable[] = [];
    const tableIndex = new Map<SymbolTable, number>();
    const which = new Int32Array(n).fill(-1);
    const vaddr = new Float64Array(n);
    let lastDso: string | null = null;
    let t: SymbolTable | null = null;
    let k = -1;
    for (let j = 0; j < n; j++) {
      const raw = frames[j];
      if (!this.resolvable(raw)) continue;
      if (raw.dso !== lastDso) {
        lastDso = raw.dso;
        t = this.table(raw.dso);
        k = t ? (tableIndex.get(t) ?? -1) : -1;
        if (t && k < 0) tableIndex.set(t, (k = tables.push(t) - 1));
      }
      const v = t ? fileOffsetToVaddr(t.loads, parseInt(raw.addr, 16)) : null;
      if (v === null) continue;
      which[j] = k;
      vaddr[j] = v;
    }
    // The frames of each table's group (in input order within it).
    const start = new Int32Array(tables.length + 1);
    for (let j = 0; j < n; j++) if (which[j] >= 0) start[which[j] + 1]++;
    for (let g = 0; g < tables.length; g++) start[g + 1] += start[g];
    const group = new Int32Array(start[tables.length]);
    const fill = start.slice(0, tables.length);
    for (let j = 0; j < n; j++) if (which[j] >= 0) group[fill[which[j]]++] = j;
    for (let g = 0; g < tables.length; g++) {
      const js = group.subarray(start[g], start[g + 1]);
      const table = tables[g];
      if (!table.framesMany) {
        for (let i = 0; i < js.length; i++) {
          const f = table.frames(vaddr[js[i]]);
          if (f.length) out[js[i]] = modelFrames(f, frames[js[i]]);
        }
        continue;
      }
      const vs = new Float64Array(js.length);
      for (let i = 0; i < js.length; i++) vs[i] = vaddr[js[i]];
      const rows = table.framesMany(vs);
      for (let i = 0; i < js.length; i++) {
        const r0 = rows.start[i];
        const r1 = rows.start[i + 1];
        if (r0 === r1) continue;
        const raw = frames[js[i]];
        const f = new Array<Frame>(r1 - r0);
        for (let r = r0; r < r1; r++) f[r - r0] = modelFrameOf(rows.name[r], rows.file[r], rows.line[r], rows.inlined[r] === 1, raw.dso, raw.addr);
        out[js[i]] = f;
      }
    }
    // The name check in input order: the first disagreement of each DSO is the one reported.
    for (let j = 0; j < n; j++) {
      const f = out[j];
      if (f && named[j]) out[j] = this.namedAsPerf(f, { addr: frames[j].addr, dso: frames[j].dso, symbol: frames[j].name });
    }
    return out;
  }

  /** `f` when its outermost function is the one perf named, else null (the first of each DSO warns). */
  private namedAsPerf(f: Frame[], raw: RawFrameLike & { symbol: string }): Frame[] | null {
    const ours = f[f.length - 1].name;
    if (ours === raw.symbol || ours === raw.symbol.replace(/\.abi(0|internal)$/, '')) return f;
    if (!this.disagreeing.has(raw.dso)) {
      this.disagreeing.add(raw.dso);
      this.warn(raw.dso, `perf named 0x${raw.addr} ${raw.symbol}, the symbols used name it ${ours}: they are not of the binary perf saw; perf's names kept where they differ`);
    }
    return null;
  }

  /**
   * What is known of `dso` for a pprof mapping: its load segments and kind when
   * a sidecar or a verified binary serves it, and its GNU build-id. A DSO that
   * was never looked up (perf named all its frames) is looked up quietly: a
   * missing or replaced binary there costs only the mapping's geometry.
   */
  binaryInfo(dso: string): BinaryInfo {
    let t: SymbolTable | null = null;
    if (this.tables.has(dso)) t = this.tables.get(dso)!;
    else if (dso.startsWith('/')) {
      t = this.lookup(dso, true);
      this.tables.set(dso, t);
    }
    const recorded = this.buildIds.get(dso);
    const gnu = t ? t.identity.gnuBuildId : recorded && /^[0-9a-f]{2,128}$/i.test(recorded) ? recorded : null;
    return { gnuBuildId: gnu ?? null, loads: t ? t.loads.map(([o, v, n]) => [o, v, n]) : null, kind: t ? t.kind : null };
  }

  /** true when `dso` is served by a Go pclntab (absolute paths only). */
  isGoBinary(dso: string): boolean {
    return dso.startsWith('/') && this.table(dso)?.kind === 'go';
  }

  /** The symbol table serving `dso`, or null (cached, so each DSO is looked up once). */
  table(dso: string): SymbolTable | null {
    if (this.tables.has(dso)) return this.tables.get(dso)!;
    const t = this.lookup(dso);
    this.tables.set(dso, t);
    return t;
  }

  close(): void {
    for (const t of this.tables.values()) t?.close();
    this.tables.clear();
  }

  private lookup(dso: string, quiet = false): SymbolTable | null {
    const side = this.sidecars.get(dso);
    if (side) return sidecarTable(side);
    const want = this.buildIds.get(dso) ?? null;
    const candidates: string[] = [];
    if (this.opts.localBinaries) candidates.push(dso);
    if (this.opts.binariesDir) candidates.push(path.join(this.opts.binariesDir, path.basename(dso)), path.join(this.opts.binariesDir, dso));
    if (this.opts.goroot) {
      // /usr/lib/go-1.19/pkg/tool/linux_amd64/compile -> GOROOT/pkg/tool/linux_amd64/compile
      const tool = /\/pkg\/tool\/([^/]+)\/([^/]+)$/.exec(dso);
      const bin = /\/bin\/(go|gofmt)$/.exec(dso);
      if (tool) candidates.push(path.join(this.opts.goroot, 'pkg', 'tool', tool[1], tool[2]));
      if (bin) candidates.push(path.join(this.opts.goroot, 'bin', bin[1]));
    }
    for (const file of [...new Set(candidates)]) {
      if (!existsSync(file)) continue;
      let t: SymbolTable;
      try {
        t = openBinarySymbols(file);
      } catch (e) {
        if (!isGbpError(e)) throw e;
        if (!quiet) this.warn(dso, `cannot read symbols of ${file}: ${e.message}`);
        continue;
      }
      const got = t.identity.buildId;
      if (want && got !== want) {
        if (!quiet) this.warn(dso, `build-id mismatch: ${file} has ${got}, the recording has ${want}; not used`);
        t.close();
        continue;
      }
      if (!want && !quiet) this.unverified.push(file);
      return t;
    }
    return null;
  }

  private warn(dso: string, message: string) {
    this.warnings.push({ entry: dso, message });
  }
}

/** Parses `perf buildid-list` output: `<hex build-id> <path>` per line. */
export function parseBuildIds(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    // 4a5a9b0affb66c437abcd455d2738af879985fa9 [kernel.kallsyms]
    const m = /^([0-9a-f]{2,128})\s+(.+)$/.exec(line.trim());
    if (m) out.set(m[2], m[1]);
  }
  return out;
}

/** A resolver over a bundle's `symbols/` sidecars and `perf/buildids.txt`. */
export async function resolverForBundle(bundle: Bundle, opts: Partial<ResolverOptions> = {}): Promise<SymbolResolver> {
  const sidecars: SidecarJson[] = [];
  for (const entry of bundle.entries.keys()) {
    if (entry.startsWith(ENTRY.symbolsDir) && entry.endsWith('.json.gz')) sidecars.push(decodeSidecar(await readFile(bundle.file(entry)), { file: bundle.path, entry }));
  }
  const ids = bundle.has(ENTRY.perfBuildIds) ? parseBuildIds(await bundle.text(ENTRY.perfBuildIds)) : new Map<string, string>();
  return new SymbolResolver(sidecars, ids, opts);
}

/** perf prints user-space addresses as hex file offsets; beyond 13 digits (2^52) it is no offset we read. */
const HEX_OFFSET = /^(0x)?[0-9a-f]{1,13}$/i;

/** The model frames of one raw frame's source frames (innermost first). */
function modelFrames(f: SourceFrame[], raw: RawFrameLike): Frame[] {
  const out = new Array<Frame>(f.length);
  for (let i = 0; i < f.length; i++) out[i] = modelFrame(f[i], raw.dso, raw.addr);
  return out;
}

/**
 * A resolved frame as the model keeps it: no file, line or inlined flag
 * when there is none. Each common shape is one literal, made whole at once
 * (properties added later would take an object of their own): ~60k frames
 * on a big profile.
 */
function modelFrame(s: SourceFrame, dso: string, addr: string): Frame {
  return modelFrameOf(s.name, s.file, s.line, s.inlined, dso, addr);
}

function modelFrameOf(name: string, file: string, line: number, inlined: boolean, dso: string, addr: string): Frame {
  if (file && line) {
    return inlined ? { name, dso, addr, named: true, file, line, inlined: true } : { name, dso, addr, named: true, file, line };
  }
  const out: Frame = { name, dso, addr, named: true };
  if (file) out.file = file;
  if (line) out.line = line;
  if (inlined) out.inlined = true;
  return out;
}
