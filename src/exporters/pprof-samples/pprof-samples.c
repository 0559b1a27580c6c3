// The sample loop of the standalone converter's pprof writer
// (pprof-cpu-stacks.ts), in C compiled to WebAssembly (pprof-samples.ts
// loads it; scripts/build-wasm.mjs builds it). For each stack×thread group,
// thread by thread, it walks the stack trie from the leaf until it meets the
// previous stack's path, and writes the pprof Sample message (location ids,
// the two values, the group's label set, encoded once by JS) straight into
// protobuf bytes: no per-sample arrays in JS, no second encoding pass.
//
// Before that, the integer passes over the groups and the trie that the
// writer needs (load, then threads, leaf_periods, candidates, triples,
// apply_sets, frames_on_paths): in JS each ran cold once per conversion,
// ~50 ms in all on the bench text.
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

// Inputs, placed by JS (see pprof-samples.ts): the trie and the groups (load),
// then what the writer needs (start).
static i32 *node4;      // 4 ints per trie node: raw frame, parent, -, -
static u32 nodes;
static u32 raw_frames;
static i32 *leaf;       // per group: its trie node
static double *g_pid, *g_tid;
static i32 *g_comm;
static double *count, *period;
static u32 groups;
static i32 *loc_of_raw; // location id of each raw frame
static u8 *set_bytes;   // the label sets' encoded Label messages
static i32 *set_at;     // set j is set_bytes[set_at[j], set_at[j+1])
static u32 *trim_hashes; // sorted hashes of the stacks JS merged after trimming
static u32 ntrim;

// Made here: the groups in writing order (a thread's together), each group's
// label set (-1 when JS writes it: trimmed), the outermost raw frame of each
// node, and each pass's answer for JS (`list`, `list_f64`).
static i32 *order;
static i32 *set_of;
static i32 *top;
static i32 *triple_of;
static i32 *list;
static double *list_f64;

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

EXPORT(load) void load(i32 *n4, u32 n, u32 raw, i32 *lf, double *pid, double *tid, i32 *comm, double *cnt, double *per, u32 g) {
  node4 = n4;
  nodes = n;
  raw_frames = raw;
  leaf = lf;
  g_pid = pid;
  g_tid = tid;
  g_comm = comm;
  count = cnt;
  period = per;
  groups = g;
  order = alloc(g * 4 + 4);
  set_of = alloc(g * 4 + 4);
  triple_of = alloc(g * 4 + 4);
}

// ---- passes over the groups ----

// `list` made room for n answers (the last pass's answer is let go).
static i32 *new_list(u32 n) {
  release(list);
  return alloc(n * 4 + 4);
}

// A number as a Map key compares it (SameValueZero): one NaN, and 0 for -0.
static u64 key_bits(double d) {
  if (d != d) d = __builtin_nan("");
  if (d == 0) d = 0;
  u64 b;
  __builtin_memcpy(&b, &d, 8);
  return b;
}

static u32 mix64(u64 x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (u32)x;
}

static u32 table_size(u32 n) {
  u32 size = 64;
  while (size < n * 2) size *= 2;
  return size;
}

// Puts the groups in writing order: each thread's together (threads in
// order of their first group, groups in order); returns the thread count.
EXPORT(threads) u32 threads(void) {
  u32 size = table_size(groups), mask = size - 1, nthreads = 0;
  i32 *slot = alloc(size * 4);
  __builtin_memset(slot, -1, size * 4);
  u64 *tids = alloc(groups * 8 + 8);
  i32 *thread = alloc(groups * 4 + 4);
  for (u32 g = 0; g < groups; g++) {
    u64 k = key_bits(g_tid[g]);
    u32 h = mix64(k) & mask;
    while (slot[h] >= 0 && tids[slot[h]] != k) h = (h + 1) & mask;
    if (slot[h] < 0) {
      tids[nthreads] = k;
      slot[h] = (i32)nthreads++;
    }
    thread[g] = slot[h];
  }
  u32 *at = alloc(nthreads * 4 + 4);
  __builtin_memset(at, 0, nthreads * 4 + 4);
  for (u32 g = 0; g < groups; g++) at[thread[g] + 1]++;
  for (u32 t = 1; t <= nthreads; t++) at[t] += at[t - 1];
  for (u32 g = 0; g < groups; g++) order[at[thread[g]]++] = (i32)g;
  release(at);
  release(thread);
  release(tids);
  release(slot);
  return nthreads;
}

// Period by leaf raw frame: list_f64[rf + 1] (list_f64[0]: stacks with no
// frame), summed in group order; `list` holds each leaf (rf + 1) once, in
// order of first appearance. Returns how many leaves.
EXPORT(leaf_periods) u32 leaf_periods(void) {
  list_f64 = alloc((raw_frames + 1) * 8);
  __builtin_memset(list_f64, 0, (raw_frames + 1) * 8);
  u8 *is_leaf = alloc(raw_frames + 1);
  __builtin_memset(is_leaf, 0, raw_frames + 1);
  list = new_list(groups);
  u32 n = 0;
  for (u32 g = 0; g < groups; g++) {
    i32 l = leaf[g];
    u32 at = l > 0 ? (u32)node4[l * 4] + 1 : 0;
    if (!is_leaf[at]) list[n++] = (i32)at;
    is_leaf[at] = 1;
    list_f64[at] += period[g];
  }
  release(is_leaf);
  return n;
}

// The groups whose outermost raw frame is marked in unmapped_outer (the
// only stacks trimming can shorten), in order, in `list`; returns how many.
EXPORT(candidates) u32 candidates(const u8 *unmapped_outer) {
  top = alloc(nodes * 4 + 4);
  top[0] = 0;
  for (u32 n = 1; n < nodes; n++) {
    i32 p = node4[n * 4 + 1];
    top[n] = p == 0 ? node4[n * 4] : top[p];
  }
  list = new_list(groups);
  u32 k = 0;
  for (u32 g = 0; g < groups; g++)
    if (leaf[g] > 0 && unmapped_outer[top[leaf[g]]]) list[k++] = (i32)g;
  return k;
}

// Numbers the (pid, tid, comm) of the groups not trimmed in order of first
// appearance: `list` holds the first group of each; returns how many.
EXPORT(triples) u32 triples(const u8 *trimmed) {
  u32 size = table_size(groups), mask = size - 1, n = 0;
  i32 *slot = alloc(size * 4);
  __builtin_memset(slot, -1, size * 4);
  list = new_list(groups);
  for (u32 g = 0; g < groups; g++) {
    if (trimmed[g]) {
      triple_of[g] = -1;
      continue;
    }
    u64 pid = key_bits(g_pid[g]), tid = key_bits(g_tid[g]);
    u32 h = (mix64(pid) ^ mix64(tid * 31 + (u64)(u32)g_comm[g])) & mask;
    for (;; h = (h + 1) & mask) {
      i32 t = slot[h];
      if (t < 0) {
        slot[h] = (i32)n;
        list[n] = (i32)g;
        triple_of[g] = (i32)n++;
        break;
      }
      i32 f = list[t];
      if (key_bits(g_pid[f]) == pid && key_bits(g_tid[f]) == tid && g_comm[f] == g_comm[g]) {
        triple_of[g] = t;
        break;
      }
    }
  }
  release(slot);
  return n;
}

// Each group's label set from its triple's (set_of_triple, from JS).
EXPORT(apply_sets) void apply_sets(const i32 *set_of_triple) {
  for (u32 g = 0; g < groups; g++) set_of[g] = triple_of[g] < 0 ? -1 : set_of_triple[triple_of[g]];
}

// The raw frames on the path of a group that has a label set, each once, in
// trie order, in `list` (JS makes their locations in that order); returns how many.
EXPORT(frames_on_paths) u32 frames_on_paths(void) {
  u8 *on = alloc(nodes + 1);
  __builtin_memset(on, 0, nodes + 1);
  u8 *seen = alloc(raw_frames + 1);
  __builtin_memset(seen, 0, raw_frames + 1);
  for (u32 g = 0; g < groups; g++)
    if (set_of[g] >= 0) on[leaf[g]] = 1;
  for (u32 n = nodes - 1; n > 0; n--)
    if (on[n]) on[node4[n * 4 + 1]] = 1;
  list = new_list(raw_frames);
  u32 k = 0;
  for (u32 n = 1; n < nodes; n++) {
    i32 rf = node4[n * 4];
    if (on[n] && !seen[rf]) {
      seen[rf] = 1;
      list[k++] = rf;
    }
  }
  release(on);
  release(seen);
  return k;
}

// ---- the writer ----

EXPORT(start) void start(i32 *locs_of_raw, u8 *sb, i32 *sa, u32 *th, u32 nt) {
  loc_of_raw = locs_of_raw;
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
  pos_of = alloc(nodes * 4);
  __builtin_memset(pos_of, 0, nodes * 4);
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
    case 6: return (u32)list;
    case 7: return (u32)list_f64;
    case 8: return (u32)set_of;
    default: return 0;
  }
}
