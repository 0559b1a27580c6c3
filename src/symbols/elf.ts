// A small ELF64 little-endian reader: section and program headers, the
// GNU and Go build-id notes, and FUNC symbols from `.symtab` / `.dynsym`.
// Reads through a file descriptor (pread), so a 20 MB compiler binary costs
// only the bytes we look at. Layouts: https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GbpError } from '../errors.ts';

export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const PT_LOAD = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10; // glibc's strlen, rindex, … in .dynsym

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

/** A function symbol: [addr, addr+size) in link-time virtual addresses. */
export interface ElfSymbol {
  name: string;
  addr: number;
  size: number;
}

/** Function symbols sorted by address, one per address. */
export interface SymbolIndex {
  count: number;
  /** The i-th symbol by address. */
  at(i: number): ElfSymbol;
  /** The symbol containing vaddr (a zero-size one covers up to the next), or null. */
  find(vaddr: number): ElfSymbol | null;
}

export interface ElfFile {
  path: string;
  /** File size in bytes. */
  size: number;
  /** 2 = ET_EXEC (fixed addresses), 3 = ET_DYN (PIE or shared object). */
  type: number;
  machine: number;
  sections: ElfSection[];
  segments: ElfSegment[];
  /** Hex of the NT_GNU_BUILD_ID note, or null. */
  gnuBuildId: string | null;
  /** The Go build ID string from the `Go` note, or null. */
  goBuildId: string | null;
  section(name: string): ElfSection | undefined;
  /** Bytes at a file offset. */
  read(offset: number, length: number): Buffer;
  /** Reads target.length bytes at a file offset into target (throws like read). */
  readInto(offset: number, target: Uint8Array): void;
  /** Contents of a section (empty for NOBITS). */
  sectionData(s: ElfSection): Buffer;
  /** Bytes at a link-time virtual address, or null when not backed by the file. */
  readVaddr(vaddr: number, length: number): Buffer | null;
  /** Link-time virtual address of a file offset, via the PT_LOAD headers; null when unmapped. */
  fileOffsetToVaddr(offset: number): number | null;
  /** FUNC symbols of `.symtab`, else of `.dynsym`, sorted by address (one per address). */
  functionSymbols(): ElfSymbol[];
  /** The same symbols, for lookups by address. */
  symbolIndex(): SymbolIndex;
  close(): void;
}

/** Opens and checks an ELF64 little-endian file; throws GbpError naming the file otherwise. */
export function openElf(path: string): ElfFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new GbpError('io', `${path}: cannot open binary: ${(e as Error).message}`, { file: path });
  }
  try {
    return parseElf(path, fd);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function parseElf(path: string, fd: number): ElfFile {
  const size = fstatSync(fd).size;
  const check = (offset: number, length: number) => {
    if (offset < 0 || length < 0 || offset + length > size) {
      throw new GbpError('parse', `${path}: ELF data at offset ${offset} (+${length}) lies beyond the end of the ${size}-byte file`, { file: path });
    }
  };
  const readInto = (offset: number, b: Uint8Array): void => {
    const length = b.length;
    check(offset, length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, b, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
  };
  const read = (offset: number, length: number): Buffer => {
    check(offset, length);
    const b = Buffer.allocUnsafe(length);
    readInto(offset, b);
    return b;
  };
  if (size < 64) throw new GbpError('parse', `${path}: not an ELF file (only ${size} bytes)`, { file: path });
  const h = read(0, 64);
  if (h.readUInt32BE(0) !== 0x7f454c46) throw new GbpError('parse', `${path}: not an ELF file (bad magic)`, { file: path });
  if (h[4] !== 2) throw new GbpError('parse', `${path}: unsupported ELF class ${h[4]} (only 64-bit ELF is read)`, { file: path });
  if (h[5] !== 1) throw new GbpError('parse', `${path}: unsupported big-endian ELF`, { file: path });
  const u64 = (b: Buffer, o: number) => Number(b.readBigUInt64LE(o));
  const type = h.readUInt16LE(16);
  const machine = h.readUInt16LE(18);
  const phoff = u64(h, 32);
  const shoff = u64(h, 40);
  const phentsize = h.readUInt16LE(54);
  const phnum = h.readUInt16LE(56);
  const shentsize = h.readUInt16LE(58);
  const shnum = h.readUInt16LE(60);
  const shstrndx = h.readUInt16LE(62);

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    const ph = read(phoff, phnum * phentsize);
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      segments.push({ type: ph.readUInt32LE(o), flags: ph.readUInt32LE(o + 4), offset: u64(ph, o + 8), vaddr: u64(ph, o + 16), filesz: u64(ph, o + 32), memsz: u64(ph, o + 40) });
    }
  }
  const sections: ElfSection[] = [];
  if (shnum > 0) {
    const sh = read(shoff, shnum * shentsize);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      raw.push({ nameOff: sh.readUInt32LE(o), type: sh.readUInt32LE(o + 4), flags: u64(sh, o + 8), addr: u64(sh, o + 16), offset: u64(sh, o + 24), size: u64(sh, o + 32), link: sh.readUInt32LE(o + 40), entsize: u64(sh, o + 56) });
    }
    const strs = shstrndx < raw.length ? read(raw[shstrndx].offset, raw[shstrndx].size) : Buffer.alloc(0);
    for (const r of raw) sections.push({ name: cstring(strs, r.nameOff), type: r.type, flags: r.flags, addr: r.addr, offset: r.offset, size: r.size, link: r.link, entsize: r.entsize });
  }
  const sectionData = (s: ElfSection) => (s.type === SHT_NOBITS ? Buffer.alloc(0) : read(s.offset, s.size));
  const loads = segments.filter((s) => s.type === PT_LOAD);
  const notes = readNotes(sections, sectionData);

  const elf: ElfFile = {
    path,
    size,
    type,
    machine,
    sections,
    segments,
    gnuBuildId: notes.gnu,
    goBuildId: notes.go,
    section: (name) => sections.find((s) => s.name === name),
    read,
    readInto,
    sectionData,
    readVaddr(vaddr, length) {
      for (const s of loads) {
        if (vaddr >= s.vaddr && vaddr + length <= s.vaddr + s.filesz) return read(s.offset + (vaddr - s.vaddr), length);
      }
      return null;
    },
    fileOffsetToVaddr(offset) {
      for (const s of loads) {
        if (offset >= s.offset && offset < s.offset + s.filesz) return s.vaddr + (offset - s.offset);
      }
      return null;
    },
    functionSymbols: () => {
      const idx = symbolIndex(sections, sectionData);
      return Array.from({ length: idx.count }, (_, i) => idx.at(i));
    },
    symbolIndex: () => symbolIndex(sections, sectionData),
    close: () => closeSync(fd),
  };
  return elf;
}

/** NUL-terminated latin1/utf8 string at `off` in `b`. */
export function cstring(b: Buffer, off: number): string {
  if (off < 0 || off >= b.length) return '';
  let end = b.indexOf(0, off);
  if (end < 0) end = b.length;
  return b.toString('utf8', off, end);
}

function readNotes(sections: ElfSection[], data: (s: ElfSection) => Buffer): { gnu: string | null; go: string | null } {
  let gnu: string | null = null;
  let go: string | null = null;
  for (const s of sections) {
    if (s.type !== SHT_NOTE) continue;
    const b = data(s);
    // Elf64_Nhdr: namesz, descsz, type (u32 each), name and desc padded to 4.
    for (let o = 0; o + 12 <= b.length; ) {
      const namesz = b.readUInt32LE(o);
      const descsz = b.readUInt32LE(o + 4);
      const ntype = b.readUInt32LE(o + 8);
      const nameStart = o + 12;
      const descStart = nameStart + align4(namesz);
      if (descStart + descsz > b.length) break;
      const name = b.toString('latin1', nameStart, nameStart + namesz).replace(/\0+$/, '');
      const desc = b.subarray(descStart, descStart + descsz);
      if (name === 'GNU' && ntype === 3) gnu = desc.toString('hex');
      if (name === 'Go' && ntype === 4) go = desc.toString('latin1').replace(/\0+$/, '');
      o = descStart + align4(descsz);
    }
  }
  return { gnu, go };
}

const align4 = (n: number) => (n + 3) & ~3;

/** A little-endian u64 as a number (exact below 2^53, as addresses and sizes are), without a BigInt per read. */
function u64At(b: Buffer, o: number): number {
  return b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 2 ** 32;
}

/**
 * FUNC symbols of `.symtab` (else `.dynsym`) by address, in typed arrays: a
 * lookup makes the one symbol it finds, name included (cc1's 29k symbols as
 * objects, sorted by a comparator, took 15-40 ms of a perf-text conversion
 * that found none of them). Aliases share an address: the largest is kept,
 * the first in the table among equals. The tables are read here (a damaged
 * one throws now), sorted at the first lookup: a binary opened only for its
 * geometry or build-id never pays for it.
 */
function symbolIndex(sections: ElfSection[], data: (s: ElfSection) => Buffer): SymbolIndex {
  const tab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  if (!tab || tab.link >= sections.length) return indexOf(Buffer.alloc(0), () => sortedSymbols(Buffer.alloc(0)));
  const syms = data(tab);
  const strs = data(sections[tab.link]);
  return indexOf(strs, () => sortedSymbols(syms));
}

/** The FUNC symbols of a symbol table's bytes, by address, one per address. */
function sortedSymbols(syms: Buffer): SortedSymbols {
  const max = Math.floor(syms.length / 24);
  const addr = new Float64Array(max);
  const size = new Float64Array(max);
  const name = new Uint32Array(max);
  let n = 0;
  // Elf64_Sym: name u32, info u8, other u8, shndx u16, value u64, size u64.
  for (let o = 24; o + 24 <= syms.length; o += 24) {
    const kind = syms[o + 4] & 0xf;
    if (kind !== STT_FUNC && kind !== STT_GNU_IFUNC) continue;
    if (syms.readUInt16LE(o + 6) === 0) continue; // undefined (imported) symbol
    const a = u64At(syms, o + 8);
    if (a === 0) continue;
    addr[n] = a;
    size[n] = u64At(syms, o + 16);
    name[n++] = syms.readUInt32LE(o);
  }
  const order = byAddress(addr, n);
  // One symbol per address: the largest, the first in the table among equals (order keeps table order within an address).
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = order[i];
    const last = keep.length - 1;
    if (last >= 0 && addr[keep[last]] === addr[s]) {
      if (size[s] > size[keep[last]]) keep[last] = s;
    } else keep.push(s);
  }
  const pick = <T extends Float64Array | Uint32Array>(from: T, to: T): T => {
    for (let i = 0; i < keep.length; i++) to[i] = from[keep[i]];
    return to;
  };
  return { addr: pick(addr, new Float64Array(keep.length)), size: pick(size, new Float64Array(keep.length)), name: pick(name, new Uint32Array(keep.length)) };
}

interface SortedSymbols {
  addr: Float64Array;
  size: Float64Array;
  /** Offsets of the names in the string table. */
  name: Uint32Array;
}

/**
 * Indexes [0, n) by address, table order within one address. Addresses
 * below 2^32 (every executable's here) sort as one number each, address and
 * index packed exactly below 2^53, by the typed array's native sort.
 */
function byAddress(addr: Float64Array, n: number): Int32Array {
  const order = new Int32Array(n);
  let small = n < 1 << 21;
  for (let i = 0; i < n && small; i++) small = addr[i] < 2 ** 32;
  if (small) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = addr[i] * 2 ** 21 + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i] % 2 ** 21;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => addr[a] - addr[b] || a - b);
}

function indexOf(strs: Buffer, sort: () => SortedSymbols): SymbolIndex {
  let sorted: SortedSymbols | null = null;
  const get = () => (sorted ??= sort());
  const at = (i: number): ElfSymbol => {
    const { addr, size, name } = get();
    return { name: cstring(strs, name[i]), addr: addr[i], size: size[i] };
  };
  return {
    get count() {
      return get().addr.length;
    },
    at,
    find(vaddr) {
      const { addr, size } = get();
      const i = symbolAt(addr.length, (j) => addr[j], (j) => size[j], vaddr);
      return i < 0 ? null : at(i);
    },
  };
}

/**
 * Index of the symbol containing vaddr among n sorted by address (addr(i),
 * size(i)), or -1: the last at or below vaddr; a zero-size one covers up to the next.
 */
export function symbolAt(n: number, addr: (i: number) => number, size: (i: number) => number, vaddr: number): number {
  let lo = 0;
  let hi = n - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (addr(mid) <= vaddr) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (at < 0) return -1;
  return (size(at) > 0 ? vaddr < addr(at) + size(at) : at + 1 < n) ? at : -1;
}
