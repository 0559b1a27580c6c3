// Reads Go's `.gopclntab` (Go 1.18+ layouts) from an ELF file, so stripped Go
// binaries still name every function, file and line, inlined calls included.
// Layouts follow the Go sources: runtime/symtab.go (pcHeader, moduledata),
// runtime/runtime2.go (_func), runtime/symtabinl.go (inlinedCall, 1.20+),
// runtime/symtab.go of 1.19 (inlinedCall with parent/file/line),
// internal/abi/symtab.go (PCDATA_InlTreeIndex = 2, FUNCDATA_InlTree = 3),
// debug/gosym/pclntab.go (version detection, pc-value decoding).
import { GbpError } from '../errors.ts';
import { cstring, PT_LOAD, SHT_NOBITS, type ElfFile, type ElfSection } from './elf.ts';
import { PclntabCore, type PclnBytes } from './pclntab-core/pclntab-core.ts';

/** pclntab layouts we read: magic 0xfffffff0 (Go 1.18–1.19) and 0xfffffff1 (Go 1.20+). */
export type PclnLayout = 'go1.18' | 'go1.20';

const MAGIC: Record<number, PclnLayout> = { 0xfffffff0: 'go1.18', 0xfffffff1: 'go1.20' };
const OLD_MAGIC: Record<number, string> = { 0xfffffffb: 'Go 1.2–1.15', 0xfffffffa: 'Go 1.16–1.17' };

/** One source position; `inlined` is true for a frame inlined into its caller. `file` is '' and `line` 0 when unknown (alignment padding, assembly). */
export interface SourceFrame {
  name: string;
  file: string;
  line: number;
  inlined: boolean;
}

/** The function table and pc-value tables of one Go binary. */
export interface Pclntab {
  layout: PclnLayout;
  /** Link-time address that function entry offsets are relative to. */
  textStart: number;
  nfunc: number;
  /** Link-time address where function i starts. */
  entry(i: number): number;
  /** Link-time address just past function i (the next function's entry). */
  end(i: number): number;
  name(i: number): string;
  /** Index of the function containing a link-time address, or -1. */
  find(addr: number): number;
  /** Frames at a link-time address, innermost (inlined) first, outermost last; [] when outside every function. */
  frames(addr: number): SourceFrame[];
  /** frames() of many addresses at once, looked up in address order (faster than one call each). */
  framesMany(addrs: Float64Array): SourceRows;
  /** Whether inline trees could be located (needs moduledata.gofunc). */
  hasInlineInfo: boolean;
}

/** The frames of many addresses as columns: address i's are rows [start[i], start[i + 1]). */
export interface SourceRows {
  start: Int32Array;
  name: string[];
  file: string[];
  line: Int32Array;
  inlined: Uint8Array;
}

/** Section holding the pclntab: `.gopclntab`, or `.data.rel.ro.gopclntab` in some PIE/external links. */
export function pclntabSection(elf: ElfFile) {
  return elf.section('.gopclntab') ?? elf.section('.data.rel.ro.gopclntab');
}

/** Reads the pclntab of `elf`; null when the binary has none (not Go). Throws GbpError for layouts older than Go 1.18. */
export function readPclntab(elf: ElfFile): Pclntab | null {
  const sect = pclntabSection(elf);
  if (!sect || sect.size < 64 || sect.type === SHT_NOBITS) return null;
  const h = elf.read(sect.offset, Math.min(sect.size, 72)); // magic, 4 bytes, 8 words
  if (h.length < 72) throw new GbpError('parse', `${elf.path}: damaged pclntab: a ${sect.size}-byte table is shorter than its header`, { file: elf.path });
  const magic = h.readUInt32LE(0);
  const layout = MAGIC[magic];
  if (!layout) {
    const old = OLD_MAGIC[magic];
    const what = old ? `the ${old} layout (magic 0x${magic.toString(16)}) is unsupported; only Go 1.18 and later are read` : `unknown pclntab magic 0x${magic.toString(16)}`;
    throw new GbpError('parse', `${elf.path}: ${what}`, { file: elf.path });
  }
  if (h[4] !== 0 || h[5] !== 0 || h[7] !== 8) {
    throw new GbpError('parse', `${elf.path}: pclntab header is not a 64-bit Go 1.18+ header (ptrSize ${h[7]})`, { file: elf.path });
  }
  const word = (i: number) => Number(h.readBigUInt64LE(8 + i * 8));
  const nfunc = word(0);
  const funcnameOff = word(3);
  const cuOff = word(4);
  const filetabOff = word(5);
  const pctabOff = word(6);
  const pclnOff = word(7);
  const bad = (what: string) => new GbpError('parse', `${elf.path}: damaged pclntab: ${what}`, { file: elf.path });
  for (const [n, off] of [['funcname', funcnameOff], ['cu', cuOff], ['filetab', filetabOff], ['pctab', pctabOff], ['pcln', pclnOff]] as const) {
    if (off <= 0 || off >= sect.size) throw bad(`${n} offset ${off} outside the ${sect.size}-byte table`);
  }
  if (pclnOff + (nfunc + 1) * 8 > sect.size) throw bad(`${nfunc} functions do not fit`);

  const md = findModuledata(elf, sect.addr, sect.addr + funcnameOff, layout);
  // debug/gosym uses .text's address because the header's copy "may be unrelocated"; 1.26 no longer stores it.
  const textStart = md?.text ?? elf.section('.text')?.addr ?? word(2);
  const gofunc = md?.gofunc ?? null;
  const bytes = pclnBytes(elf, sect, gofunc);
  for (const [off, n] of bytes.ranges) {
    if (off + n > elf.size) throw new GbpError('parse', `${elf.path}: ELF data at offset ${off} (+${n}) lies beyond the end of the ${elf.size}-byte file`, { file: elf.path });
  }
  const core = new PclntabCore({ quantum: h[6], nfunc, cuOff, pctabOff, pclnOff, go120: layout === 'go1.20' }, bytes, elf.readInto);

  // Strings are made here, once per name and per file; the core gives their offsets.
  const cstrAt = (cache: Map<number, string>, off: number): string => {
    let s = cache.get(off);
    if (s === undefined) cache.set(off, (s = cstring(core.tab(), off)));
    return s;
  };
  const names = new Map<number, string>();
  const files = new Map<number, string>();
  const funcName = (nameOff: number) => cstrAt(names, funcnameOff + nameOff);
  const d32 = (off: number) => core.tab().readUInt32LE(off);
  const entryOff = (i: number) => d32(pclnOff + i * 8);
  const rel = (addr: number) => addr - textStart;
  const inText = (r: number) => r >= 0 && r <= 0xffffffff;

  return {
    layout,
    textStart,
    nfunc,
    hasInlineInfo: gofunc !== null,
    entry: (i) => textStart + entryOff(i),
    end: (i) => textStart + entryOff(i + 1),
    name: (i) => funcName(core.tab().readInt32LE(pclnOff + d32(pclnOff + i * 8 + 4) + 4)),
    find: (addr) => (inText(rel(addr)) ? core.find(rel(addr)) : -1),
    frames(addr) {
      const r = rel(addr);
      if (!inText(r)) return [];
      const [f, n] = core.frames(r);
      const out = new Array<SourceFrame>(n); // its exact size: pushes would first make room for 17
      for (let i = 0, k = 0; i < n; i++, k += 4) {
        const file = f[k + 1];
        out[i] = { name: funcName(f[k]), file: file === -1 ? '' : cstrAt(files, filetabOff + (file >>> 0)), line: f[k + 2], inlined: f[k + 3] === 1 };
      }
      return out;
    },
    framesMany(addrs) {
      const n = addrs.length;
      // Addresses outside the text get no frames: only the others go to the core.
      const rels = new Uint32Array(n);
      const inside = new Int32Array(n);
      let m = 0;
      for (let i = 0; i < n; i++) {
        const r = rel(addrs[i]);
        if (inText(r)) {
          rels[m] = r;
          inside[m++] = i;
        }
      }
      const got = core.framesMany(rels.subarray(0, m));
      const start = new Int32Array(n + 1);
      for (let k = 0; k < m; k++) start[inside[k] + 1] = got.count[k];
      for (let i = 0; i < n; i++) start[i + 1] += start[i];
      const total = start[n];
      const out: SourceRows = { start, name: new Array<string>(total), file: new Array<string>(total), line: new Int32Array(total), inlined: new Uint8Array(total) };
      // The core's rows are in lookup order: address inside[k]'s are read from row got.at[k] into their place here.
      const f = got.rows;
      for (let k = 0; k < m; k++) {
        for (let r = start[inside[k]], j = got.at[k] * 4, end = r + got.count[k]; r < end; r++, j += 4) {
          const file = f[j + 1];
          out.name[r] = funcName(f[j]);
          out.file[r] = file === -1 ? '' : cstrAt(files, filetabOff + (file >>> 0));
          out.line[r] = f[j + 2];
          out.inlined[r] = f[j + 3];
        }
      }
      return out;
    },
  };
}

/**
 * The file ranges the core needs: the pclntab section, and go:func.* (the
 * base of FUNCDATA offsets: inline trees) up to the end of its PT_LOAD
 * segment's file bytes. One range when both lie in one segment (Go 1.26
 * keeps go:func.* inside .gopclntab, 1.19 in .rodata just before it).
 */
function pclnBytes(elf: ElfFile, sect: ElfSection, gofunc: number | null): PclnBytes {
  const tab: [number, number] = [sect.offset, sect.size];
  const seg = gofunc === null ? undefined : elf.segments.find((s) => s.type === PT_LOAD && gofunc >= s.vaddr && gofunc < s.vaddr + s.filesz);
  if (!seg || gofunc === null) return { ranges: [tab], tab: [0, 0, sect.size], funcdata: null };
  const fdAt = seg.offset + (gofunc - seg.vaddr);
  const fdEnd = seg.offset + seg.filesz;
  if (sect.offset >= seg.offset && sect.offset + sect.size <= fdEnd) {
    const start = Math.min(sect.offset, fdAt);
    return { ranges: [[start, fdEnd - start]], tab: [0, sect.offset - start, sect.size], funcdata: [0, fdAt - start, fdEnd - fdAt] };
  }
  return { ranges: [tab, [fdAt, fdEnd - fdAt]], tab: [0, 0, sect.size], funcdata: [1, 0, fdEnd - fdAt] };
}

interface Moduledata {
  text: number;
  gofunc: number | null;
}

/**
 * Finds runtime.firstmoduledata: the word that points at the pclntab, followed
 * by the funcnametab slice. It gives `text` and `gofunc` (the base of FUNCDATA
 * offsets), which stripped binaries keep nowhere else.
 */
function findModuledata(elf: ElfFile, pcHeader: number, funcnametab: number, layout: PclnLayout): Moduledata | null {
  const want = Buffer.alloc(16);
  want.writeBigUInt64LE(BigInt(pcHeader), 0);
  want.writeBigUInt64LE(BigInt(funcnametab), 8);
  for (const name of ['.go.module', '.noptrdata', '.data', '.data.rel.ro']) {
    const s = elf.section(name);
    if (!s || s.size === 0) continue;
    const b = elf.sectionData(s);
    for (let at = b.indexOf(want); at >= 0; at = b.indexOf(want, at + 8)) {
      if (at % 8 !== 0 || at + 42 * 8 > b.length) continue;
      const w = (i: number) => Number(b.readBigUInt64LE(at + i * 8));
      // minpc (word 20) == text (word 22) in every layout since 1.18.
      if (w(20) !== w(22)) continue;
      // Word index of gofunc: 1.20+ adds covctrs/ecovctrs; 1.19 has rodata before gofunc.
      const gofunc = w(layout === 'go1.20' ? 40 : 38);
      const inFile = elf.readVaddr(gofunc, 1) !== null;
      return { text: w(22), gofunc: inFile ? gofunc : null };
    }
  }
  return null;
}
