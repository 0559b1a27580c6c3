// Reads Go's `.gopclntab` (Go 1.18+ layouts) from an ELF file, so stripped Go
// binaries still name every function, file and line, inlined calls included.
// Layouts follow the Go sources: runtime/symtab.go (pcHeader, moduledata),
// runtime/runtime2.go (_func), runtime/symtabinl.go (inlinedCall, 1.20+),
// runtime/symtab.go of 1.19 (inlinedCall with parent/file/line),
// internal/abi/symtab.go (PCDATA_InlTreeIndex = 2, FUNCDATA_InlTree = 3),
// debug/gosym/pclntab.go (version detection, pc-value decoding).
import { GbpError } from '../errors.ts';
import { cstring, type ElfFile } from './elf.ts';

/** pclntab layouts we read: magic 0xfffffff0 (Go 1.18–1.19) and 0xfffffff1 (Go 1.20+). */
export type PclnLayout = 'go1.18' | 'go1.20';

const MAGIC: Record<number, PclnLayout> = { 0xfffffff0: 'go1.18', 0xfffffff1: 'go1.20' };
const OLD_MAGIC: Record<number, string> = { 0xfffffffb: 'Go 1.2–1.15', 0xfffffffa: 'Go 1.16–1.17' };
const PCDATA_InlTreeIndex = 2;
const FUNCDATA_InlTree = 3;

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
  /** Whether inline trees could be located (needs moduledata.gofunc). */
  hasInlineInfo: boolean;
}

/** Section holding the pclntab: `.gopclntab`, or `.data.rel.ro.gopclntab` in some PIE/external links. */
export function pclntabSection(elf: ElfFile) {
  return elf.section('.gopclntab') ?? elf.section('.data.rel.ro.gopclntab');
}

/** Reads the pclntab of `elf`; null when the binary has none (not Go). Throws GbpError for layouts older than Go 1.18. */
export function readPclntab(elf: ElfFile): Pclntab | null {
  const sect = pclntabSection(elf);
  if (!sect || sect.size < 64) return null;
  const d = elf.sectionData(sect);
  const magic = d.readUInt32LE(0);
  const layout = MAGIC[magic];
  if (!layout) {
    const old = OLD_MAGIC[magic];
    const what = old ? `the ${old} layout (magic 0x${magic.toString(16)}) is unsupported; only Go 1.18 and later are read` : `unknown pclntab magic 0x${magic.toString(16)}`;
    throw new GbpError('parse', `${elf.path}: ${what}`, { file: elf.path });
  }
  if (d[4] !== 0 || d[5] !== 0 || d[7] !== 8) {
    throw new GbpError('parse', `${elf.path}: pclntab header is not a 64-bit Go 1.18+ header (ptrSize ${d[7]})`, { file: elf.path });
  }
  const quantum = d[6];
  const word = (i: number) => Number(d.readBigUInt64LE(8 + i * 8));
  const nfunc = word(0);
  const funcnameOff = word(3);
  const cuOff = word(4);
  const filetabOff = word(5);
  const pctabOff = word(6);
  const pclnOff = word(7);
  const bad = (what: string) => new GbpError('parse', `${elf.path}: damaged pclntab: ${what}`, { file: elf.path });
  for (const [n, off] of [['funcname', funcnameOff], ['cu', cuOff], ['filetab', filetabOff], ['pctab', pctabOff], ['pcln', pclnOff]] as const) {
    if (off <= 0 || off >= d.length) throw bad(`${n} offset ${off} outside the ${d.length}-byte table`);
  }
  if (pclnOff + (nfunc + 1) * 8 > d.length) throw bad(`${nfunc} functions do not fit`);

  const md = findModuledata(elf, sect.addr, sect.addr + funcnameOff, layout);
  // debug/gosym uses .text's address because the header's copy "may be unrelocated"; 1.26 no longer stores it.
  const textStart = md?.text ?? elf.section('.text')?.addr ?? word(2);
  const gofunc = md?.gofunc ?? null;

  const ftab = pclnOff;
  const entryOff = (i: number) => d.readUInt32LE(ftab + i * 8);
  const funcOff = (i: number) => pclnOff + d.readUInt32LE(ftab + i * 8 + 4);
  const pcdataStart = layout === 'go1.20' ? 44 : 40;
  const nfuncdataAt = pcdataStart - 1;
  const cstr = (off: number) => cstring(d, off);
  const names = new Map<number, string>();
  const funcName = (nameOff: number) => {
    let s = names.get(nameOff);
    if (s === undefined) names.set(nameOff, (s = cstr(funcnameOff + nameOff)));
    return s;
  };

  // pc-value table walk (runtime.pcvalue / gosym step): zig-zag value deltas, pc deltas × quantum.
  // Each table is decoded once into [pc end - entry, value] pairs (tables are
  // shared between functions, so pcs stay relative to the entry), then looked
  // up by binary search: a hot function's many sampled addresses no longer
  // walk its table from the start each time. The pairs of all tables share
  // one arena of 8 MiB (a count, then the pairs), emptied when half full: an
  // array per table made symbolizing a 167 MB perf text run 38 scavenges
  // instead of 18. (A table longer than the free half grows the arena.)
  const decodedAt = new Map<number, number>(); // table offset -> its count's index in `pairs`
  let pairs = new Int32Array(1 << 21);
  let used = 0;
  const decode = (tableOff: number): number => {
    const base = used;
    let w = base + 1;
    let p = pctabOff + tableOff;
    let val = -1;
    let pc = 0;
    let first = true;
    while (p < d.length) {
      // Varints are uint32 (runtime.readvarint): 5 bytes at most.
      let b = d[p++];
      let uv = b & 0x7f;
      for (let shift = 7; b & 0x80 && shift < 35; shift += 7) {
        b = d[p++];
        uv |= (b & 0x7f) << shift;
      }
      uv >>>= 0;
      if (uv === 0 && !first) break;
      first = false;
      val += uv & 1 ? ~(uv >>> 1) : uv >>> 1;
      b = d[p++];
      let pcd = b & 0x7f;
      for (let shift = 7; b & 0x80 && shift < 35; shift += 7) {
        b = d[p++];
        pcd |= (b & 0x7f) << shift;
      }
      pc += (pcd >>> 0) * quantum;
      if (w + 2 > pairs.length) {
        const bigger = new Int32Array(pairs.length * 2);
        bigger.set(pairs.subarray(0, w));
        pairs = bigger;
      }
      pairs[w++] = pc;
      pairs[w++] = val;
    }
    pairs[base] = (w - base - 1) >> 1;
    used = w;
    return base;
  };
  const pcvalue = (tableOff: number, entry: number, target: number): number => {
    if (tableOff === 0) return -1;
    let at = decodedAt.get(tableOff);
    if (at === undefined) {
      if (used > pairs.length >> 1) {
        decodedAt.clear();
        used = 0;
      }
      decodedAt.set(tableOff, (at = decode(tableOff)));
    }
    const t = pairs;
    const n = t[at];
    const rel = target - entry;
    // First pair whose pc end lies beyond the target.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rel < t[at + 1 + mid * 2]) hi = mid;
      else lo = mid + 1;
    }
    return lo < n ? t[at + 2 + lo * 2] : -1;
  };

  const files = new Map<number, string>();
  const fileName = (fo: number, fileno: number): string => {
    if (fileno < 0) return '';
    const cu = d.readUInt32LE(fo + 32);
    const at = cuOff + (cu + fileno) * 4;
    if (at + 4 > d.length) return '';
    const off = d.readUInt32LE(at);
    if (off === 0xffffffff) return '';
    // One string per file, shared by its frames.
    let f = files.get(off);
    if (f === undefined) files.set(off, (f = cstr(filetabOff + off)));
    return f;
  };
  const frameAt = (name: string, fo: number, entry: number, pc: number, inlined: boolean): SourceFrame => ({
    name,
    file: fileName(fo, pcvalue(d.readUInt32LE(fo + 20), entry, pc)),
    line: Math.max(0, pcvalue(d.readUInt32LE(fo + 24), entry, pc)),
    inlined,
  });

  const inlSize = layout === 'go1.20' ? 16 : 20;
  const inlNameAt = layout === 'go1.20' ? 4 : 12;
  const inlParentPcAt = layout === 'go1.20' ? 8 : 16;
  const inlTree = (fo: number): number | null => {
    if (gofunc === null) return null;
    const npcdata = d.readUInt32LE(fo + 28);
    const nfuncdata = d[fo + nfuncdataAt];
    if (nfuncdata <= FUNCDATA_InlTree) return null;
    const off = d.readUInt32LE(fo + pcdataStart + npcdata * 4 + FUNCDATA_InlTree * 4);
    return off === 0xffffffff ? null : gofunc + off;
  };

  // Inline-tree records (16-20 bytes each) are read through 64 KiB blocks of
  // the file: one read per block instead of one system call per record.
  const blocks = new Map<number, Buffer | null>();
  const readRecord = (vaddr: number, length: number): Buffer | null => {
    const bi = Math.floor(vaddr / RECORD_BLOCK);
    const off = vaddr - bi * RECORD_BLOCK;
    if (off + length <= RECORD_BLOCK) {
      let b = blocks.get(bi);
      if (b === undefined) blocks.set(bi, (b = elf.readVaddr(bi * RECORD_BLOCK, RECORD_BLOCK)));
      if (b) return b.subarray(off, off + length);
    }
    return elf.readVaddr(vaddr, length); // a block that crosses a segment's end
  };

  const find = (addr: number): number => {
    const rel = addr - textStart;
    if (rel < entryOff(0) || rel >= entryOff(nfunc)) return -1;
    let lo = 0;
    let hi = nfunc; // invariant: entryOff(lo) <= rel < entryOff(hi)
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (entryOff(mid) <= rel) lo = mid;
      else hi = mid;
    }
    return lo;
  };

  return {
    layout,
    textStart,
    nfunc,
    hasInlineInfo: gofunc !== null,
    entry: (i) => textStart + entryOff(i),
    end: (i) => textStart + entryOff(i + 1),
    name: (i) => funcName(d.readInt32LE(funcOff(i) + 4)),
    find,
    frames(addr) {
      const i = find(addr);
      if (i < 0) return [];
      const fo = funcOff(i);
      const entry = textStart + d.readUInt32LE(fo);
      const out: SourceFrame[] = [];
      let pc = addr;
      const tree = inlTree(fo);
      if (tree !== null) {
        const npcdata = d.readUInt32LE(fo + 28);
        const inlTab = npcdata > PCDATA_InlTreeIndex ? d.readUInt32LE(fo + pcdataStart + PCDATA_InlTreeIndex * 4) : 0;
        // As runtime's inlineUnwinder: the index at pc names the innermost inlined
        // function; its parentPc is an instruction positioned at the call site.
        for (let guard = 0; guard < 1000; guard++) {
          const ix = pcvalue(inlTab, entry, pc);
          if (ix < 0) break;
          const rec = readRecord(tree + ix * inlSize, inlSize);
          if (!rec) break;
          out.push(frameAt(funcName(rec.readInt32LE(inlNameAt)), fo, entry, pc, true));
          pc = entry + rec.readInt32LE(inlParentPcAt);
        }
      }
      out.push(frameAt(funcName(d.readInt32LE(fo + 4)), fo, entry, pc, false));
      return out;
    },
  };
}

const RECORD_BLOCK = 1 << 16;

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
