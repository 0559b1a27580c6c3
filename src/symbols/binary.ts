// One binary's symbols behind one interface, whether they come from the ELF
// file itself (pclntab for Go, .symtab/.dynsym otherwise) or from a sidecar.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { openElf, PT_LOAD, symbolAt, type ElfFile, type ElfSymbol, type SymbolIndex } from './elf.ts';
import { readPclntab, type SourceFrame, type SourceRows } from './pclntab.ts';

export type { SourceFrame, SourceRows } from './pclntab.ts';

/** Who a binary is: the ids we match on, where it was, how big. */
export interface BinaryIdentity {
  path: string;
  size: number;
  /** The key we match on: GNU build-id hex, else `go-<Go build ID>`, else `sha1-<hex of the file>`. */
  buildId: string;
  gnuBuildId: string | null;
  goBuildId: string | null;
}

/** [file offset, link-time vaddr, file size] of each PT_LOAD segment. */
export type LoadSegment = [offset: number, vaddr: number, filesz: number];

/** Resolves link-time addresses of one binary to source frames. */
export interface SymbolTable {
  identity: BinaryIdentity;
  /** `go` when names come from a pclntab, `elf` from .symtab/.dynsym. */
  kind: 'go' | 'elf';
  loads: LoadSegment[];
  /** Frames at a link-time address, innermost first; [] when unknown. */
  frames(vaddr: number): SourceFrame[];
  /** frames() of many addresses at once, when the table does that faster (a pclntab: in address order). */
  framesMany?(vaddrs: Float64Array): SourceRows;
  close(): void;
}

/** Link-time vaddr of a file offset (what `perf script` prints for user DSOs: ip - map start + map pgoff). */
export function fileOffsetToVaddr(loads: LoadSegment[], offset: number): number | null {
  // Indexes, not destructuring: called per frame, and destructuring makes an iterator per segment.
  for (let i = 0; i < loads.length; i++) {
    const s = loads[i];
    if (offset >= s[0] && offset < s[0] + s[2]) return s[1] + (offset - s[0]);
  }
  return null;
}

/**
 * node:crypto, loaded on first use: few binaries lack both build-ids, and
 * loading it costs the converter ~5 ms of start-up.
 */
function sha1(bytes: Buffer): string {
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha1').update(bytes).digest('hex');
}

/** The match key of a binary; falls back to a content hash when it carries no build-id note. */
export function identityOf(elf: ElfFile): BinaryIdentity {
  const buildId = elf.gnuBuildId ?? (elf.goBuildId ? `go-${elf.goBuildId}` : `sha1-${sha1(readFileSync(elf.path))}`);
  return { path: elf.path, size: elf.size, buildId, gnuBuildId: elf.gnuBuildId, goBuildId: elf.goBuildId };
}

/** Opens a binary and reads its symbols (pclntab when present, else ELF function symbols). */
export function openBinarySymbols(path: string): SymbolTable {
  const elf = openElf(path);
  try {
    const identity = identityOf(elf);
    const loads: LoadSegment[] = elf.segments.filter((s) => s.type === PT_LOAD).map((s) => [s.offset, s.vaddr, s.filesz]);
    const pcln = readPclntab(elf);
    const syms = pcln ? null : elf.symbolIndex();
    // A cgo binary holds C functions outside the pclntab: fall back to its symbols there.
    let cSyms: SymbolIndex | null = null;
    const elfFrames = (index: SymbolIndex, vaddr: number): SourceFrame[] => {
      const s = index.find(vaddr);
      return s ? [{ name: s.name, file: '', line: 0, inlined: false }] : [];
    };
    return {
      identity,
      kind: pcln ? 'go' : 'elf',
      loads,
      frames(vaddr) {
        if (!pcln) return elfFrames(syms!, vaddr);
        const f = pcln.frames(vaddr);
        if (f.length) return f;
        cSyms ??= elf.symbolIndex();
        return elfFrames(cSyms, vaddr);
      },
      framesMany: pcln
        ? (vaddrs) => {
            const rows = pcln.framesMany(vaddrs);
            const s = rows.start;
            for (let i = 0; i < vaddrs.length; i++) if (s[i] === s[i + 1]) return withElfFrames(rows, vaddrs, (v) => elfFrames((cSyms ??= elf.symbolIndex()), v));
            return rows;
          }
        : undefined,
      close: () => elf.close(),
    };
  } catch (e) {
    elf.close();
    throw e;
  }
}

/** `rows` with each address that has none given frames(vaddr) instead (a cgo binary's C functions lie outside its pclntab). */
function withElfFrames(rows: SourceRows, vaddrs: Float64Array, frames: (vaddr: number) => SourceFrame[]): SourceRows {
  const n = vaddrs.length;
  const out: SourceRows = { start: new Int32Array(n + 1), name: [], file: [], line: new Int32Array(0), inlined: new Uint8Array(0) };
  const line: number[] = [];
  const inlined: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rows.start[i] === rows.start[i + 1]) {
      for (const f of frames(vaddrs[i])) {
        out.name.push(f.name);
        out.file.push(f.file);
        line.push(f.line);
        inlined.push(f.inlined ? 1 : 0);
      }
    } else {
      for (let r = rows.start[i]; r < rows.start[i + 1]; r++) {
        out.name.push(rows.name[r]);
        out.file.push(rows.file[r]);
        line.push(rows.line[r]);
        inlined.push(rows.inlined[r]);
      }
    }
    out.start[i + 1] = out.name.length;
  }
  out.line = Int32Array.from(line);
  out.inlined = Uint8Array.from(inlined);
  return out;
}

/** The symbol containing vaddr; a zero-size symbol covers up to the next one. */
export function findSymbol(list: ElfSymbol[], vaddr: number): ElfSymbol | null {
  const i = symbolAt(list.length, (j) => list[j].addr, (j) => list[j].size, vaddr);
  return i < 0 ? null : list[i];
}
