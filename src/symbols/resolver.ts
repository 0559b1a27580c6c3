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

  /** Model frames for a raw perf frame (innermost first), or null to keep it as it is (address and DSO). */
  resolve(raw: RawFrameLike): Frame[] | null {
    if (!raw.dso.startsWith('/') || !/^(0x)?[0-9a-f]{1,13}$/i.test(raw.addr)) return null;
    const f = this.resolveOffset(raw.dso, parseInt(raw.addr, 16));
    if (!f) return null;
    const out = new Array<Frame>(f.length);
    for (let i = 0; i < f.length; i++) out[i] = modelFrame(f[i], raw.dso, raw.addr);
    return out;
  }

  /**
   * Frames (with inlined calls, file, line) for a frame perf already named,
   * only when our outermost function is perf's (ABI suffix aside): a binary
   * that names it otherwise is not the one perf saw, so perf's name stays and
   * the first such frame of each DSO becomes a warning.
   */
  resolveNamed(raw: RawFrameLike & { symbol: string }): Frame[] | null {
    const f = this.resolve(raw);
    if (!f) return null;
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

/**
 * A resolved frame as the model keeps it: no file, line or inlined flag
 * when there is none. Each common shape is one literal, made whole at once
 * (properties added later would take an object of their own): ~60k frames
 * on a big profile.
 */
function modelFrame(s: SourceFrame, dso: string, addr: string): Frame {
  if (s.file && s.line) {
    return s.inlined ? { name: s.name, dso, addr, named: true, file: s.file, line: s.line, inlined: true } : { name: s.name, dso, addr, named: true, file: s.file, line: s.line };
  }
  const out: Frame = { name: s.name, dso, addr, named: true };
  if (s.file) out.file = s.file;
  if (s.line) out.line = s.line;
  if (s.inlined) out.inlined = true;
  return out;
}
