// The sample loop of the standalone converter's pprof writer
// (pprof-cpu-stacks.ts), in C compiled to WebAssembly (pprof-samples.ts
// loads it; scripts/build-wasm.mjs builds it). For each stack×thread group,
// thread by thread, it walks the stack trie from the leaf until it meets the
// previous stack's path, and writes the pprof Sample message (location ids,
// the two values, the group's label set, encoded once by JS) straight into
// protobuf bytes: no per-sample arrays in JS, no second encoding pass.
//
// JS decides everything that is not integer work: the location of every raw
// frame, the label set of every group, and whether a stack equals one that
// unwind-garbage trimming produced (the core stops at a group whose hash
// matches such a stack and JS compares the locations).

#include "../../wasm/bump.h"
#include "../../wasm/varint.h"

enum { DONE = 0, CHECK = 1, FULL = 2 };

// Output bytes after which run() returns FULL, for JS to take them (gzip
// compresses each piece on another thread while the walk goes on).
static u32 full_at = 1u << 20;

// Inputs, placed by JS (see pprof-samples.ts).
static i32 *node4;      // 4 ints per trie node: raw frame, parent, -, -
static u32 nodes;
static i32 *loc_of_raw; // location id of each raw frame
static i32 *order;      // group indexes, thread by thread
static i32 *leaf;       // per group: its trie node
static i32 *set_of;     // per group: its label set, -1 when JS writes it (trimmed)
static double *count, *period;
static u32 groups;
static u8 *set_bytes;   // the label sets' encoded Label messages
static i32 *set_at;     // set j is set_bytes[set_at[j], set_at[j+1])
static u32 *trim_hashes; // sorted hashes of the stacks JS merged after trimming
static u32 ntrim;

// The walk: the previous path from the root, and where each node sits in it.
static i32 *path_node, *path_loc, *pos_of, *fresh, *locs;
static u32 *path_size; // varint bytes of path_loc[0..at], kept with the path: a sample's size is one read
static u32 path_cap, plen;

// Output: encoded Sample messages (field 2 of Profile).
static u8 *out_buf;
static u32 out_len, out_cap, written;

static u32 gi;          // next position in `order`
static int pending;     // the group at gi - 1 waits for JS's answer

EXPORT(alloc) void *alloc_export(u32 n) {
  return alloc(n);
}

EXPORT(init) void init(i32 *n4, u32 n, i32 *locs_of_raw, i32 *ord, i32 *lf, i32 *sets, double *cnt, double *per, u32 g, u8 *sb, i32 *sa, u32 *th, u32 nt) {
  node4 = n4;
  nodes = n;
  loc_of_raw = locs_of_raw;
  order = ord;
  leaf = lf;
  set_of = sets;
  count = cnt;
  period = per;
  groups = g;
  set_bytes = sb;
  set_at = sa;
  trim_hashes = th;
  ntrim = nt;
  path_cap = 256;
  path_node = alloc(path_cap * 4);
  path_loc = alloc(path_cap * 4);
  path_size = alloc(path_cap * 4);
  fresh = alloc(path_cap * 4);
  locs = alloc(path_cap * 4);
  pos_of = alloc(n * 4);
  __builtin_memset(pos_of, 0, n * 4);
  // JS takes the output every full_at bytes: room for that and one more sample, which rarely needs more.
  out_cap = full_at + (1 << 16);
  out_buf = alloc(out_cap);
}

static void grow_paths(u32 need) {
  u32 cap = path_cap * 2;
  while (cap < need) cap *= 2;
  path_node = regrow(path_node, plen * 4, cap * 4);
  path_loc = regrow(path_loc, plen * 4, cap * 4);
  path_size = regrow(path_size, plen * 4, cap * 4);
  fresh = regrow(fresh, path_cap * 4, cap * 4); // it may be half collected
  locs = regrow(locs, 0, cap * 4);
  path_cap = cap;
}

static void put_varint(u64 v) {
  out_len = (u32)(put_varint_at(out_buf + out_len, v) - out_buf);
}

// pprof-cpu-stacks.ts's sampleHash of the path's locations (leaf first), bit for bit.
static u32 sample_hash(i32 set) {
  u32 h = ((u32)set ^ 0x9e3779b9u) * 0x85ebca6bu ^ plen;
  for (u32 i = plen; i-- > 0;) h = (h ^ (u32)path_loc[i]) * 0x01000193u;
  return h ^ (h >> 15);
}

static int trimmed_like(u32 h) {
  u32 lo = 0, hi = ntrim;
  while (lo < hi) {
    u32 mid = (lo + hi) >> 1;
    if (trim_hashes[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  return lo < ntrim && trim_hashes[lo] == h;
}

// Makes path_loc[0, plen) group g's stack from the root, reusing the previous path.
static void walk(i32 g) {
  u32 k = 0;
  i32 n = leaf[g];
  for (; n > 0; n = node4[n * 4 + 1]) {
    u32 p = (u32)pos_of[n];
    if (p < plen && path_node[p] == n) break;
    if (k == path_cap) grow_paths(k + 1);
    fresh[k++] = n;
  }
  u32 at = n > 0 ? (u32)pos_of[n] + 1 : 0;
  if (at + k > path_cap) grow_paths(at + k);
  for (i32 i = (i32)k - 1; i >= 0; i--, at++) {
    i32 m = fresh[i];
    path_node[at] = m;
    pos_of[m] = (i32)at;
    u32 loc = (u32)loc_of_raw[node4[m * 4]];
    path_loc[at] = (i32)loc;
    path_size[at] = (at ? path_size[at - 1] : 0) + vsize(loc);
  }
  plen = at;
}

static void write_sample(i32 g) {
  u32 loc_size = plen ? path_size[plen - 1] : 0;
  u64 c = (u64)count[g], p = (u64)period[g];
  u32 val_size = vsize(c) + vsize(p);
  i32 set = set_of[g];
  u32 labels = (u32)(set_at[set + 1] - set_at[set]);
  u32 body = (loc_size ? 1 + vsize(loc_size) + loc_size : 0) + 1 + vsize(val_size) + val_size + labels;
  u32 need = out_len + 6 + body;
  if (need > out_cap) {
    u32 cap = out_cap * 2;
    while (cap < need) cap *= 2;
    out_buf = regrow(out_buf, out_len, cap);
    out_cap = cap;
  }
  out_buf[out_len++] = 2 << 3 | 2; // Profile.sample
  put_varint(body);
  if (loc_size) {
    out_buf[out_len++] = 1 << 3 | 2; // Sample.location_id, packed
    put_varint(loc_size);
    for (u32 i = plen; i-- > 0;) put_varint((u32)path_loc[i]); // leaf first
  }
  out_buf[out_len++] = 2 << 3 | 2; // Sample.value, packed
  put_varint(val_size);
  put_varint(c);
  put_varint(p);
  __builtin_memcpy(out_buf + out_len, set_bytes + set_at[set], labels);
  out_len += labels;
  written++;
}

// Writes samples until done (DONE), the output holds full_at bytes (FULL:
// JS takes them, and the next call starts an empty output), or a stack may
// equal a trimmed one (CHECK: JS compares, then calls again with write = 0
// when it merged the group into that stack, 1 to write it here).
EXPORT(run) int run(int write) {
  if (out_len >= full_at) out_len = 0;
  if (pending) {
    pending = 0;
    if (write) write_sample(order[gi - 1]);
  }
  while (gi < groups) {
    if (out_len >= full_at) return FULL;
    i32 g = order[gi++];
    if (set_of[g] < 0) continue;
    walk(g);
    if (ntrim && trimmed_like(sample_hash(set_of[g]))) {
      for (u32 i = 0; i < plen; i++) locs[i] = path_loc[plen - 1 - i]; // for JS, leaf first
      pending = 1;
      return CHECK;
    }
    write_sample(g);
  }
  return DONE;
}

EXPORT(set_full_at) void set_full_at(u32 n) {
  full_at = n;
}

EXPORT(out) u32 out(int which) {
  switch (which) {
    case 0: return (u32)out_buf;
    case 1: return out_len;
    case 2: return written;
    case 3: return (u32)order[gi - 1]; // the group of a CHECK
    case 4: return (u32)locs;          // its locations, leaf first
    case 5: return plen;
    default: return 0;
  }
}
