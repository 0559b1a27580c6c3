// The per-address work of Go symbolization (pclntab.ts), in C compiled to
// WebAssembly (pclntab-core.ts loads it; scripts/build-wasm.mjs builds it):
// the function search, pc-value tables and the inline-tree walk, over the
// pclntab bytes JS reads into this memory. It answers with offsets (names
// in funcnametab, files in filetab) and numbers; JS makes each string once.
//
// The binary is not trusted: every read is bounds-checked, and a read past
// the bytes JS gave yields 0 (as a missing byte did in the JS reader this
// core replaced), so a damaged table gives wrong or missing frames, never a trap.
// Layouts: see pclntab.ts.

#include "../../wasm/bump.h"

enum { PCDATA_INL_TREE_INDEX = 2, FUNCDATA_INL_TREE = 3, MAX_INLINE = 1000 };

static u8 *d;             // the pclntab
static u32 dlen;
static u8 *fd;            // funcdata from go:func.* on (inline trees); 0 bytes when unknown
static u32 fdlen;
static u32 quantum, nfunc, cu_off, pctab_off, pcln_off;
static u32 pcdata_start, inl_size, inl_name_at, inl_parent_at;

// Decoded pc-value tables: for each table (by offset), a count and then
// [pc end - entry, value] pairs, in one arena emptied when half full (the
// JS reader's cache: a hot function's many addresses no longer walk its
// tables from the start each time).
static i32 *pairs;
static u32 pairs_cap, used;
static u32 *ckey;         // table offset + 1 (0: free)
static u32 *cat;          // its count's index in pairs
static u32 cmask, ccount;

// frames() writes 4 ints per frame here: name offset in funcnametab, file
// offset in filetab (-1: none), line (0: none), inlined (1) or not (0).
static i32 out_frames[MAX_INLINE * 4 + 4];

EXPORT(alloc) void *alloc_export(u32 n) {
  return alloc(n);
}

EXPORT(init) void init(u8 *tab, u32 tab_len, u8 *funcdata, u32 funcdata_len, u32 q, u32 n, u32 cu, u32 pctab, u32 pcln, int go120) {
  d = tab;
  dlen = tab_len;
  fd = funcdata;
  fdlen = funcdata_len;
  quantum = q;
  nfunc = n;
  cu_off = cu;
  pctab_off = pctab;
  pcln_off = pcln;
  pcdata_start = go120 ? 44 : 40;
  inl_size = go120 ? 16 : 20;
  inl_name_at = go120 ? 4 : 12;
  inl_parent_at = go120 ? 8 : 16;
  pairs_cap = 1 << 21;
  pairs = alloc(pairs_cap * 4);
  cmask = (1 << 12) - 1;
  ckey = alloc((cmask + 1) * 4);
  cat = alloc((cmask + 1) * 4);
  __builtin_memset(ckey, 0, (cmask + 1) * 4);
}

static u32 byte_at(u32 p) {
  return p < dlen ? d[p] : 0;
}

static u32 u32_at(const u8 *b, u32 len, u32 p) {
  if (p > len || len - p < 4) return 0;
  return (u32)b[p] | (u32)b[p + 1] << 8 | (u32)b[p + 2] << 16 | (u32)b[p + 3] << 24;
}

static u32 d32(u32 p) {
  return u32_at(d, dlen, p);
}

// A uint32 varint (runtime.readvarint: 5 bytes at most).
static u32 varint(u32 *p) {
  u32 b = byte_at((*p)++);
  u32 v = b & 0x7f;
  for (u32 shift = 7; (b & 0x80) && shift < 35; shift += 7) {
    b = byte_at((*p)++);
    v |= (b & 0x7f) << shift;
  }
  return v;
}

// Decodes table `off` (relative to pctab) into the arena; returns its count's index.
static u32 decode(u32 off) {
  u32 base = used, w = base + 1;
  u32 p = pctab_off + off;
  u32 val = (u32)-1, pc = 0;
  int first = 1;
  while (p < dlen) {
    u32 uv = varint(&p);
    if (uv == 0 && !first) break;
    first = 0;
    val += (uv & 1) ? ~(uv >> 1) : uv >> 1;
    pc += varint(&p) * quantum;
    if (w + 2 > pairs_cap) {
      u32 cap = pairs_cap * 2;
      pairs = regrow(pairs, w * 4, cap * 4);
      pairs_cap = cap;
    }
    pairs[w++] = (i32)pc;
    pairs[w++] = (i32)val;
  }
  pairs[base] = (i32)((w - base - 1) >> 1);
  used = w;
  return base;
}

static void cache_clear(void) {
  __builtin_memset(ckey, 0, (cmask + 1) * 4);
  ccount = 0;
  used = 0;
}

static void cache_grow(void) {
  u32 *ok = ckey, *oa = cat, on = cmask + 1;
  cmask = on * 2 - 1;
  ckey = alloc(on * 2 * 4);
  cat = alloc(on * 2 * 4);
  __builtin_memset(ckey, 0, on * 2 * 4);
  for (u32 i = 0; i < on; i++) {
    if (!ok[i]) continue;
    u32 h = (ok[i] * 0x9e3779b1u) & cmask;
    while (ckey[h]) h = (h + 1) & cmask;
    ckey[h] = ok[i];
    cat[h] = oa[i];
  }
  release(ok);
  release(oa);
}

// The table's decoded pairs (decoding it on first use).
static u32 table(u32 off) {
  u32 h = ((off + 1) * 0x9e3779b1u) & cmask;
  for (; ckey[h]; h = (h + 1) & cmask)
    if (ckey[h] == off + 1) return cat[h];
  if (used > pairs_cap / 2) {
    cache_clear();
    h = ((off + 1) * 0x9e3779b1u) & cmask;
  }
  u32 at = decode(off);
  ckey[h] = off + 1;
  cat[h] = at;
  if (++ccount * 2 > cmask) cache_grow();
  return at;
}

// runtime.pcvalue: the value of table `off` at rel (target - entry); -1 when none.
static i32 pcvalue(u32 off, u32 rel) {
  if (off == 0) return -1;
  u32 at = table(off);
  const i32 *t = pairs + at + 1;
  u32 n = (u32)pairs[at], lo = 0, hi = n;
  while (lo < hi) {
    u32 mid = (lo + hi) >> 1;
    if ((i32)rel < t[mid * 2]) hi = mid;
    else lo = mid + 1;
  }
  return lo < n ? t[lo * 2 + 1] : -1;
}

static u32 entry_off(u32 i) {
  return d32(pcln_off + i * 8);
}

// Index of the function holding rel (address - text start), or -1.
EXPORT(find) i32 find(u32 rel) {
  if (!nfunc || rel < entry_off(0) || rel >= entry_off(nfunc)) return -1;
  u32 lo = 0, hi = nfunc; // entry_off(lo) <= rel < entry_off(hi)
  while (hi - lo > 1) {
    u32 mid = (lo + hi) >> 1;
    if (entry_off(mid) <= rel) lo = mid;
    else hi = mid;
  }
  return (i32)lo;
}

static i32 file_at(u32 fo, i32 fileno) {
  if (fileno < 0) return -1;
  u64 at = cu_off + ((u64)d32(fo + 32) + (u32)fileno) * 4;
  if (at + 4 > dlen) return -1;
  u32 off = d32((u32)at);
  return off == 0xffffffffu ? -1 : (i32)off;
}

static void put_frame(u32 k, i32 name, u32 fo, u32 entry, u32 pc, int inlined) {
  i32 *o = out_frames + k * 4;
  o[0] = name;
  o[1] = file_at(fo, pcvalue(d32(fo + 20), pc - entry));
  i32 line = pcvalue(d32(fo + 24), pc - entry);
  o[2] = line < 0 ? 0 : line;
  o[3] = inlined;
}

// Frames at rel (address - text start), innermost (inlined) first, in
// out_frames; returns how many (0 outside every function).
EXPORT(frames) u32 frames(u32 rel) {
  i32 i = find(rel);
  if (i < 0) return 0;
  u32 fo = pcln_off + d32(pcln_off + (u32)i * 8 + 4);
  u32 entry = d32(fo);
  u32 pc = rel, k = 0;
  u32 npcdata = d32(fo + 28);
  u32 tree = 0;
  int has_tree = 0;
  if (fdlen && byte_at(fo + pcdata_start - 1) > FUNCDATA_INL_TREE) {
    tree = d32(fo + pcdata_start + npcdata * 4 + FUNCDATA_INL_TREE * 4);
    has_tree = tree != 0xffffffffu;
  }
  if (has_tree) {
    u32 inl_tab = npcdata > PCDATA_INL_TREE_INDEX ? d32(fo + pcdata_start + PCDATA_INL_TREE_INDEX * 4) : 0;
    // As runtime's inlineUnwinder: the index at pc names the innermost inlined
    // function; its parentPc is an instruction positioned at the call site.
    for (; k < MAX_INLINE; k++) {
      i32 ix = pcvalue(inl_tab, pc - entry);
      if (ix < 0) break;
      u32 rec = tree + (u32)ix * inl_size;
      if (rec < tree || rec > fdlen || fdlen - rec < inl_size) break;
      put_frame(k, (i32)u32_at(fd, fdlen, rec + inl_name_at), fo, entry, pc, 1);
      pc = entry + u32_at(fd, fdlen, rec + inl_parent_at);
    }
  }
  put_frame(k++, (i32)d32(fo + 4), fo, entry, pc, 0);
  return k;
}

EXPORT(out) i32 *out(void) {
  return out_frames;
}

// ---- many addresses at once ----
// frames() of n addresses, looked up in ascending order: a function's
// addresses then come together, while its decoded tables and bytes are at
// hand (in perf's order the pc-value work took ~4x as long). The rows (4
// ints each, as out_frames) stay in lookup order; address i's are the
// many_count[i] rows from row many_at[i].

static u32 *many_at, *many_count;
static i32 *many_rows;
static u32 many_rows_cap;

// Indexes 0..n-1 ordered by keys[i] (an LSD radix sort, 8 bits a pass; stable).
static u32 *order_by(const u32 *keys, u32 n) {
  u32 *a = alloc(n * 4 + 4), *b = alloc(n * 4 + 4);
  for (u32 i = 0; i < n; i++) a[i] = i;
  for (u32 shift = 0; shift < 32; shift += 8) {
    u32 count[257];
    __builtin_memset(count, 0, sizeof count);
    for (u32 i = 0; i < n; i++) count[((keys[a[i]] >> shift) & 255) + 1]++;
    for (u32 k = 0; k < 256; k++) count[k + 1] += count[k];
    for (u32 i = 0; i < n; i++) b[count[(keys[a[i]] >> shift) & 255]++] = a[i];
    u32 *t = a;
    a = b;
    b = t;
  }
  release(b);
  return a;
}

// The frames of rels[0..n) (address - text start each); returns the number of rows.
EXPORT(frames_many) u32 frames_many(const u32 *rels, u32 n) {
  u32 *order = order_by(rels, n);
  release(many_at);
  release(many_count);
  many_at = alloc(n * 4 + 4);
  many_count = alloc(n * 4 + 4);
  u32 rows = 0;
  for (u32 o = 0; o < n; o++) {
    u32 i = order[o];
    u32 k = frames(rels[i]);
    if (rows + k > many_rows_cap) {
      u32 cap = many_rows_cap ? many_rows_cap * 2 : 1 << 14;
      while (cap < rows + k) cap *= 2;
      many_rows = regrow(many_rows, rows * 16, cap * 16);
      many_rows_cap = cap;
    }
    __builtin_memcpy(many_rows + rows * 4, out_frames, k * 16);
    many_at[i] = rows;
    many_count[i] = k;
    rows += k;
  }
  release(order);
  return rows;
}

// Where frames_many() left its answer: 0 each address's first row, 1 their counts, 2 the rows.
EXPORT(many_out) void *many_out(int which) {
  return which == 0 ? (void *)many_at : which == 1 ? (void *)many_count : (void *)many_rows;
}
