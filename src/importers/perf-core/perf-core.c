// The hot loop of the perf script parser, in C compiled to WebAssembly
// (perf-core.ts loads it; scripts/build-wasm.mjs builds it; perf-script.ts
// drives it). It keeps the state every line touches, in linear memory where
// the garbage collector never looks: frame lines interned by their bytes,
// frames numbered by address, name and DSO, the open sample's stack, the
// stack trie, sample groups and the timeline.
//
// Text becomes model values only in perf-script.ts: whatever is rare (a frame
// line or event-line prefix never seen before, a line the fast paths refuse)
// returns to JS with a code, and JS answers through the exports below. So the
// two hold one parser between them, and its rules are written once.
//
// Memory: src/wasm/bump.h (a doubled table's old block serves the next
// table of that size).

#include "../../wasm/bump.h"

// UnwindGarbageTrimmer.keep(stack, n), called per sample when trimming while parsing.
IMPORT(keep) i32 js_keep(i32 *stack, i32 n);

enum { NEED_INPUT = 0, NEW_FRAME = 1, OUTSIDE = 2, NEW_PREFIX = 3, SLOW_SPACE = 4, SLOW_EVENT = 5 };
enum { TAB = 9, NL = 10, CR = 13, SPACE = 32, HASH = 35 };

// ---- memory ----

static i32 *filled(u32 n, i32 v) {
  i32 *a = alloc(n * 4);
  __builtin_memset(a, v == -1 ? 0xff : 0, n * 4);
  return a;
}

// An open-addressing table of a list's ids (all of them, or some when the
// rest are found another way), placed by hash_of(id); callers probe it
// themselves, comparing what the ids stand for.
typedef struct {
  i32 *slot; // -1 when free
  u32 mask, count;
  u32 (*hash_of)(u32 id);
} Ids;

static void ids_init(Ids *t, u32 (*hash_of)(u32 id)) {
  t->mask = (1 << 12) - 1;
  t->slot = filled(t->mask + 1, -1);
  t->count = 0;
  t->hash_of = hash_of;
}

static void ids_put(Ids *t, i32 id) {
  u32 h = t->hash_of((u32)id) & t->mask;
  while (t->slot[h] != -1) h = (h + 1) & t->mask;
  t->slot[h] = id;
  if (++t->count * 2 <= t->mask) return;
  i32 *old = t->slot;
  u32 old_n = t->mask + 1;
  t->mask = old_n * 2 - 1;
  t->slot = filled(old_n * 2, -1);
  for (u32 i = 0; i < old_n; i++) {
    if (old[i] == -1) continue;
    u32 k = t->hash_of((u32)old[i]) & t->mask;
    while (t->slot[k] != -1) k = (k + 1) & t->mask;
    t->slot[k] = old[i];
  }
  release(old);
}

// Array `p` of `*cap` items of `size` bytes, grown (doubled, from `first`) to hold item i.
static void *room(void *p, u32 *cap, u32 i, u32 size, u32 first) {
  if (i < *cap) return p;
  u32 c = *cap ? *cap * 2 : first;
  while (c <= i) c *= 2;
  p = regrow(p, *cap * size, c * size);
  *cap = c;
  return p;
}

static u64 load64(const u8 *p) {
  u64 w;
  __builtin_memcpy(&w, p, 8);
  return w;
}

static int same_bytes(const u8 *a, const u8 *b, u32 n) {
  u32 i = 0;
  for (; i + 8 <= n; i += 8)
    if (load64(a + i) != load64(b + i)) return 0;
  for (; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static u32 hash_bytes(const u8 *p, u32 n) {
  u64 h = 0x9e3779b97f4a7c15ull ^ n;
  u32 i = 0;
  for (; i + 8 <= n; i += 8) {
    h = (h ^ load64(p + i)) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  u64 w = 0;
  for (; i < n; i++) w = (w << 8) | p[i];
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 29;
  return (u32)h;
}

static u32 hash_f64(double d, u32 seed) {
  u64 x;
  __builtin_memcpy(&x, &d, 8);
  x = (x ^ seed) * 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (u32)x;
}

// ---- byte-keyed tables (frame lines, event-line prefixes) ----

typedef struct {
  u8 *arena;
  u32 used, cap;
  u32 *off, *len;
  u32 count, kcap;
  u32 *slots; // 4 per slot: id (~0 when free), hash, length, arena offset
  u32 mask;
} Keys;

static void keys_init(Keys *k) {
  k->cap = 1 << 16;
  k->arena = alloc(k->cap);
  k->kcap = 1024;
  k->off = alloc(k->kcap * 4);
  k->len = alloc(k->kcap * 4);
  k->mask = (1 << 12) - 1;
  k->slots = (u32 *)filled((k->mask + 1) * 4, -1);
}

static i32 keys_get(const Keys *k, const u8 *p, u32 n, u32 h) {
  for (u32 i = h & k->mask;; i = (i + 1) & k->mask) {
    const u32 *s = k->slots + i * 4;
    if (s[0] == ~0u) return -1;
    if (s[1] == h && s[2] == n && same_bytes(k->arena + s[3], p, n)) return (i32)s[0];
  }
}

static void keys_place(Keys *k, u32 id, u32 h) {
  u32 i = h & k->mask;
  while (k->slots[i * 4] != ~0u) i = (i + 1) & k->mask;
  u32 *s = k->slots + i * 4;
  s[0] = id;
  s[1] = h;
  s[2] = k->len[id];
  s[3] = k->off[id];
}

// Adds bytes p[0, n) (known absent, hash h); returns the new id.
static u32 keys_add(Keys *k, const u8 *p, u32 n, u32 h) {
  u32 id = k->count++;
  if (id == k->kcap) {
    k->off = regrow(k->off, k->kcap * 4, k->kcap * 8);
    k->len = regrow(k->len, k->kcap * 4, k->kcap * 8);
    k->kcap *= 2;
  }
  if (k->used + n > k->cap) {
    u32 cap = k->cap * 2;
    while (cap < k->used + n) cap *= 2;
    k->arena = regrow(k->arena, k->used, cap);
    k->cap = cap;
  }
  __builtin_memcpy(k->arena + k->used, p, n);
  k->off[id] = k->used;
  k->len[id] = n;
  k->used += n;
  if (k->count * 2 > k->mask + 1) {
    // Twice the slots, each key placed again by the hash its slot holds.
    u32 *old = k->slots, old_n = k->mask + 1;
    k->slots = (u32 *)filled(old_n * 2 * 4, -1);
    k->mask = old_n * 2 - 1;
    for (u32 i = 0; i < old_n; i++)
      if (old[i * 4] != ~0u) keys_place(k, old[i * 4], old[i * 4 + 1]);
    release(old);
  }
  keys_place(k, id, h);
  return id;
}

// ---- state ----

static u8 *in;          // the input window: the unparsed tail of the last chunk, then the new chunk
static u32 in_cap, in_len, pos;
static double line_no;  // lines parsed so far

static Keys fk;                  // frame lines, indentation included
// What the hot path needs of each frame line, in one place (one cache miss
// where four arrays cost up to four): the line that followed it last time
// (-1: none yet), its length and arena offset, and its frame id (JS's).
typedef struct {
  i32 next;
  u32 len, off;
  i32 frame;
} FrameLine;
static FrameLine *fl;
static u32 fl_cap;               // room in fl
static i32 prev_key = -1;        // the open sample's previous frame line (-1 at its start)

static Keys dk;                  // DSO paths of frame lines, so JS makes each string once
static u32 f_addr0, f_addr1, f_sym0, f_sym1, f_dso, f_nonascii; // the last split_frame()
static Keys fidk;                // frames by (address, name, DSO id): a frame's identity is its id here
static u32 f_fid, f_new, f_ok;   // f_ok: the last split_frame() read a frame
static u8 *dso_nonascii;         // per DSO id: 1 when its bytes are not all ASCII
static u32 dna_cap;
// Frame ids (indexes of JS's frame table) by identity (-1 until made), and
// the identity of each id, in order. The core gives the id of a frame whose
// name and DSO are ASCII, and JS makes its strings later from its fidk key
// (new_frames), in batches; JS gives the others (it reads them as UTF-8,
// which can make two byte strings one frame) and says so (frame_made).
static i32 *frame_of_fid, *fid_of_id;
static u32 fof_cap, foi_cap, next_id;
static u8 *fid_scratch;
static u32 fid_scratch_cap;

static Keys pk;                  // event lines' bytes before their time token
static u8 *p_ok;                 // 1 when the fast path may use the prefix
static i32 *p_comm;
static double *p_pid, *p_tid;    // pid NaN: the layout has none
static u32 p_cap;

// The open sample.
static int is_open;
static i32 o_comm;
static double o_pid, o_tid, o_sec, o_nsec, o_period, o_line; // NaN: absent
static i32 *stack;
static u32 stack_cap, depth;

// Stack trie: 4 ints per node (frame, parent, first child, next sibling), node 0 the root.
static i32 *node4;
static u32 nodes, node_cap;
static Ids children;  // the children of nodes with many (see child())
static u8 *many;      // per node: MANY_CHILDREN, MANY_GROUPS (their ids are in the tables)
enum { FANOUT = 8, MANY_CHILDREN = 1, MANY_GROUPS = 2 };

// Per thread, its previous sample's frames and nodes from the root.
typedef struct {
  double tid;
  i32 *frames, *nodes;
  u32 cap, depth;
} Prev;
static Prev *prevs;
static u32 nprev, prev_cap;
static Ids prev_ids;
static i32 last_prev = -1;

// Sample groups by (leaf, pid, tid, comm); see add_group().
static i32 *g_leaf, *g_comm, *g_next;
static i32 *leaf_group; // per node: the last group made with it as leaf (-1: none)
static double *g_pid, *g_tid, *g_samples, *g_period;
static u32 ngroups, g_cap;
static Ids groups;      // the groups of leaves with many

// Samples per (pid, bucket of bucket_ns), in order of first appearance: JS
// replays them into the model's timeline, which widens buckets as it needs.
static double *tl_pid, *tl_bucket, *tl_count;
static u32 ntl, tl_cap;
static Ids tl_ids;

// Each Ids table's hash_of, defined beside the code that fills it.
static u32 node_hash(u32 n);
static u32 group_hash_of(u32 g);
static u32 prev_hash_of(u32 i);
static u32 tl_hash_of(u32 e);

static double total_samples, total_period, garbage_samples, garbage_frames;
static double bucket_ns, default_period;
static double clock_sec, clock_nsec;
static int clock_set, trim, had_pid, had_time, had_period, warned_no_pid, warned_no_period;
static double warn_no_pid_line, warn_no_period_line; // set once, read and cleared by JS
static u8 *event_name;                                // the first event name seen, for JS
static u32 event_len;
static int want_event = 1;

// Where the line behind a return code is, and the hash of the frame line or
// prefix that was looked up and missed (add_frame and add_prefix add it).
static u32 out_start, out_s, out_end, out_anchor, miss_hash;

static const double POW10[10] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

EXPORT(init) void init(double bucket, double period, int trim_garbage, double clock_s, double clock_ns, int has_clock) {
  bucket_ns = bucket;
  default_period = period;
  trim = trim_garbage;
  clock_sec = clock_s;
  clock_nsec = clock_ns;
  clock_set = has_clock;
  keys_init(&fk);
  fl_cap = fk.kcap;
  fl = alloc(fl_cap * sizeof(FrameLine));
  keys_init(&pk);
  keys_init(&dk);
  keys_init(&fidk);
  p_cap = pk.kcap;
  p_ok = alloc(p_cap);
  p_comm = alloc(p_cap * 4);
  p_pid = alloc(p_cap * 8);
  p_tid = alloc(p_cap * 8);
  stack_cap = 256;
  stack = alloc(stack_cap * 4);
  node_cap = 1 << 12;
  node4 = alloc(node_cap * 16);
  node4[0] = -1;
  node4[1] = -1;
  node4[2] = 0;
  node4[3] = 0;
  many = alloc(node_cap);
  many[0] = 0;
  leaf_group = alloc(node_cap * 4);
  leaf_group[0] = -1;
  nodes = 1;
  ids_init(&children, node_hash);
  prev_cap = 64;
  prevs = alloc(prev_cap * sizeof(Prev));
  ids_init(&prev_ids, prev_hash_of);
  g_cap = 1024;
  g_leaf = alloc(g_cap * 4);
  g_comm = alloc(g_cap * 4);
  g_pid = alloc(g_cap * 8);
  g_tid = alloc(g_cap * 8);
  g_samples = alloc(g_cap * 8);
  g_period = alloc(g_cap * 8);
  g_next = alloc(g_cap * 4);
  ids_init(&groups, group_hash_of);
  tl_cap = 1024;
  tl_pid = alloc(tl_cap * 8);
  tl_bucket = alloc(tl_cap * 8);
  tl_count = alloc(tl_cap * 8);
  ids_init(&tl_ids, tl_hash_of);
}

// ---- input ----

// Room for n more bytes after the unparsed tail (moved to the window's start); returns where to write them.
EXPORT(input) u8 *input(u32 n) {
  u32 tail = in_len - pos;
  if (tail + n > in_cap || !in) {
    u32 cap = in_cap ? in_cap : 1 << 16;
    while (cap < tail + n) cap *= 2;
    u8 *bigger = alloc(cap);
    if (tail) __builtin_memcpy(bigger, in + pos, tail);
    release(in);
    in = bigger;
    in_cap = cap;
  } else if (pos && tail) __builtin_memmove(in, in + pos, tail);
  in_len = tail;
  pos = 0;
  return in + tail;
}

EXPORT(commit) void commit(u32 n) {
  in_len += n;
}

// ---- the trie, groups, timeline ----

static u32 trie_hash(i32 parent, i32 frame) {
  return (u32)parent * 0x9e3779b1u ^ (u32)frame * 0x85ebca77u;
}

static u32 node_hash(u32 n) {
  return trie_hash(node4[n * 4 + 1], node4[n * 4]);
}

// Each node's children are a list (node4[2] its first child, node4[3] a
// child's next sibling), the child found last moved to its front: the next
// frame of a thread's stack is mostly the one it took last time. A node
// whose list reaches FANOUT children has them put in `children` (by parent
// and frame) and is looked up there from then on; its node4[2] then only
// remembers its last child. Most nodes are leaves or have a child or two:
// making one (~3 per sample on the bench text) touches no table, and a
// lookup reads the nodes it passes, each a likely cache miss, where a table
// of every node cost two (slot and node) and a slot for each new node.
static i32 new_node(i32 parent, i32 frame) {
  i32 node = (i32)nodes++;
  if (nodes > node_cap) {
    node4 = regrow(node4, node_cap * 16, node_cap * 32);
    many = regrow(many, node_cap, node_cap * 2);
    leaf_group = regrow(leaf_group, node_cap * 4, node_cap * 8);
    node_cap *= 2;
  }
  node4[node * 4] = frame;
  node4[node * 4 + 1] = parent;
  node4[node * 4 + 2] = 0;
  node4[node * 4 + 3] = node4[parent * 4 + 2];
  node4[parent * 4 + 2] = node;
  many[node] = 0;
  leaf_group[node] = -1;
  if (many[parent] & MANY_CHILDREN) ids_put(&children, node);
  return node;
}

// The node for `frame` under `parent`, made when there is none.
static i32 child(i32 parent, i32 frame) {
  i32 first = node4[parent * 4 + 2];
  if (first != 0 && node4[first * 4] == frame) return first;
  if (many[parent] & MANY_CHILDREN) {
    for (u32 h = trie_hash(parent, frame) & children.mask;; h = (h + 1) & children.mask) {
      i32 n = children.slot[h];
      if (n == -1) break;
      if (node4[n * 4] == frame && node4[n * 4 + 1] == parent) {
        node4[parent * 4 + 2] = n;
        return n;
      }
    }
    return new_node(parent, frame);
  }
  u32 seen = first != 0;
  for (i32 prev = first, n = first ? node4[first * 4 + 3] : 0; n != 0; prev = n, n = node4[n * 4 + 3], seen++) {
    if (node4[n * 4] == frame) {
      node4[prev * 4 + 3] = node4[n * 4 + 3];
      node4[n * 4 + 3] = first;
      node4[parent * 4 + 2] = n;
      return n;
    }
  }
  if (seen + 1 >= FANOUT) {
    many[parent] |= MANY_CHILDREN;
    for (i32 n = first; n != 0; n = node4[n * 4 + 3]) ids_put(&children, n);
  }
  return new_node(parent, frame);
}

static u32 group_hash(i32 leaf, double pid, double tid, i32 comm) {
  return hash_f64(pid, (u32)leaf * 0x9e3779b1u) ^ hash_f64(tid, (u32)comm * 0x85ebca77u + 1);
}

static u32 group_hash_of(u32 g) {
  return group_hash(g_leaf[g], g_pid[g], g_tid[g], g_comm[g]);
}

static int same_group(i32 g, i32 leaf, double pid, double tid, i32 comm) {
  return g_leaf[g] == leaf && g_pid[g] == pid && g_tid[g] == tid && g_comm[g] == comm;
}

// A group is found from its leaf node: leaf_group[leaf] is the last group
// made with that leaf, g_next[g] the one made before it with the same leaf.
// Almost every stack is new (98k groups of 104k samples on the bench text),
// and a new leaf has no group: nothing to probe or fill. A leaf that FANOUT
// threads share has its groups put in `groups`, as the trie does children.
static void add_group(i32 leaf, double pid, double tid, i32 comm, double period) {
  i32 g = -1;
  if (many[leaf] & MANY_GROUPS) {
    for (u32 h = group_hash(leaf, pid, tid, comm) & groups.mask;; h = (h + 1) & groups.mask) {
      g = groups.slot[h];
      if (g == -1 || same_group(g, leaf, pid, tid, comm)) break;
    }
  } else {
    u32 seen = 0;
    for (g = leaf_group[leaf]; g != -1 && !same_group(g, leaf, pid, tid, comm); g = g_next[g]) seen++;
    if (g == -1 && seen + 1 >= FANOUT) {
      many[leaf] |= MANY_GROUPS;
      for (i32 k = leaf_group[leaf]; k != -1; k = g_next[k]) ids_put(&groups, k);
    }
  }
  if (g == -1) {
    g = (i32)ngroups++;
    if (ngroups > g_cap) {
      g_leaf = regrow(g_leaf, g_cap * 4, g_cap * 8);
      g_next = regrow(g_next, g_cap * 4, g_cap * 8);
      g_comm = regrow(g_comm, g_cap * 4, g_cap * 8);
      g_pid = regrow(g_pid, g_cap * 8, g_cap * 16);
      g_tid = regrow(g_tid, g_cap * 8, g_cap * 16);
      g_samples = regrow(g_samples, g_cap * 8, g_cap * 16);
      g_period = regrow(g_period, g_cap * 8, g_cap * 16);
      g_cap *= 2;
    }
    g_leaf[g] = leaf;
    g_next[g] = leaf_group[leaf];
    leaf_group[leaf] = g;
    g_comm[g] = comm;
    g_pid[g] = pid;
    g_tid[g] = tid;
    g_samples[g] = 0;
    g_period[g] = 0;
    if (many[leaf] & MANY_GROUPS) ids_put(&groups, g);
  }
  g_samples[g] += 1;
  g_period[g] += period;
}

static u32 tl_hash(double pid, double bucket) {
  return hash_f64(pid, 7) ^ hash_f64(bucket, 11);
}

static u32 tl_hash_of(u32 e) {
  return tl_hash(tl_pid[e], tl_bucket[e]);
}

static void add_to_timeline(double pid, double t) {
  double b = __builtin_floor((t < 0 ? 0 : t) / bucket_ns);
  for (u32 h = tl_hash(pid, b) & tl_ids.mask;; h = (h + 1) & tl_ids.mask) {
    i32 e = tl_ids.slot[h];
    if (e == -1) break;
    if (tl_pid[e] == pid && tl_bucket[e] == b) {
      tl_count[e] += 1;
      return;
    }
  }
  i32 e = (i32)ntl++;
  if (ntl > tl_cap) {
    tl_pid = regrow(tl_pid, tl_cap * 8, tl_cap * 16);
    tl_bucket = regrow(tl_bucket, tl_cap * 8, tl_cap * 16);
    tl_count = regrow(tl_count, tl_cap * 8, tl_cap * 16);
    tl_cap *= 2;
  }
  tl_pid[e] = pid;
  tl_bucket[e] = b;
  tl_count[e] = 1;
  ids_put(&tl_ids, e);
}

static u32 prev_hash_of(u32 i) {
  return hash_f64(prevs[i].tid, 3);
}

static Prev *prev_of(double tid, u32 n) {
  Prev *p = 0;
  if (last_prev >= 0 && prevs[last_prev].tid == tid) p = &prevs[last_prev];
  else {
    for (u32 h = hash_f64(tid, 3) & prev_ids.mask;; h = (h + 1) & prev_ids.mask) {
      i32 i = prev_ids.slot[h];
      if (i == -1) break;
      if (prevs[i].tid == tid) {
        p = &prevs[i];
        last_prev = i;
        break;
      }
    }
    if (!p) {
      if (nprev == prev_cap) {
        prevs = regrow(prevs, prev_cap * sizeof(Prev), prev_cap * 2 * sizeof(Prev));
        prev_cap *= 2;
      }
      i32 i = (i32)nprev++;
      p = &prevs[i];
      p->tid = tid;
      p->cap = 64;
      p->frames = alloc(64 * 4);
      p->nodes = alloc(64 * 4);
      p->depth = 0;
      ids_put(&prev_ids, i);
      last_prev = i;
    }
  }
  if (p->cap < n) {
    p->frames = regrow(p->frames, p->cap * 4, n * 8);
    p->nodes = regrow(p->nodes, p->cap * 4, n * 8);
    p->cap = n * 2;
  }
  return p;
}

// `v`, or `fallback` when the layout lacks it (NaN); the first fallback puts
// the open sample's line in `*warn_line`, for JS's one warning.
static double or_default(double v, double fallback, int *had, int *warned, double *warn_line) {
  if (v == v) {
    *had = 1;
    return v;
  }
  if (!*warned) {
    *warned = 1;
    *warn_line = o_line;
  }
  return fallback;
}

// Closes the open sample, if any: walks the trie from the outermost frame,
// reusing the thread's previous path while the frames match, and counts it.
EXPORT(flush) void flush(void) {
  if (!is_open) return;
  is_open = 0;
  u32 n = depth;
  if (trim) {
    u32 keep = (u32)js_keep(stack, (i32)n);
    if (keep < n) {
      garbage_samples += 1;
      garbage_frames += n - keep;
      n = keep;
    }
  }
  Prev *prev = prev_of(o_tid, n);
  i32 *pf = prev->frames, *pn = prev->nodes;
  i32 node = 0;
  u32 k = 0, same = n < prev->depth ? n : prev->depth;
  while (k < same && pf[k] == stack[n - 1 - k]) node = pn[k++];
  const u32 fresh = nodes; // nodes from here on are made by this walk
  for (; k < n; k++) {
    i32 f = stack[n - 1 - k];
    node = (u32)node >= fresh ? new_node(node, f) : child(node, f); // a node made by this walk has no children yet
    pf[k] = f;
    pn[k] = node;
  }
  prev->depth = n;
  depth = 0;
  double pid = or_default(o_pid, o_tid, &had_pid, &warned_no_pid, &warn_no_pid_line);
  double period = or_default(o_period, default_period, &had_period, &warned_no_period, &warn_no_period_line);
  add_group(node, pid, o_tid, o_comm, period);
  total_samples += 1;
  total_period += period;
  if (o_sec == o_sec) {
    had_time = 1;
    if (!clock_set) {
      clock_sec = o_sec;
      clock_nsec = o_nsec;
      clock_set = 1;
    }
    add_to_timeline(pid, (o_sec - clock_sec) * 1e9 + (o_nsec - clock_nsec));
  }
}

// Opens a sample from an event line JS parsed (NaN for what it lacks).
EXPORT(open_event) void open_event(i32 comm, double pid, double tid, double sec, double nsec, double period) {
  is_open = 1;
  o_comm = comm;
  o_pid = pid;
  o_tid = tid;
  o_sec = sec;
  o_nsec = nsec;
  o_period = period;
  o_line = line_no;
  depth = 0;
  prev_key = -1;
}

EXPORT(push_frame) void push_frame(i32 id) {
  if (depth == stack_cap) {
    stack = regrow(stack, stack_cap * 4, stack_cap * 8);
    stack_cap *= 2;
  }
  stack[depth++] = id;
}

static void follow(i32 k) {
  if (prev_key >= 0) fl[prev_key].next = k;
  prev_key = k;
}

// ---- event lines ----

static int blank(u8 c) {
  return c == SPACE || c == TAB;
}

// `632.436019:` at [s, e): 1 a time the fast path reads exactly, 0 no time, -1 only the slow path can read it.
static int time_token(u32 s, u32 e) {
  if (e - s < 4 || in[e - 1] != ':') return 0;
  u32 dot = s;
  while (dot < e - 1 && in[dot] != '.') dot++;
  if (dot == s || dot >= e - 2) return 0;
  for (u32 k = s; k < e - 1; k++) {
    u8 c = in[k];
    if (k != dot && (c < '0' || c > '9')) return 0;
  }
  if (e - 1 - (dot + 1) > 9) return 0;
  return dot - s > 15 ? -1 : 1;
}

static int all_digits(u32 s, u32 e) {
  if (s == e) return 0;
  for (u32 k = s; k < e; k++)
    if (in[k] < '0' || in[k] > '9') return 0;
  return 1;
}

static double digits_value(u32 s, u32 e) {
  double v = 0;
  for (u32 k = s; k < e; k++) v = v * 10 + (in[k] - '0');
  return v;
}

static int is_event_token(u32 s, u32 e) {
  if (e - s < 2 || in[e - 1] != ':') return 0;
  u8 c = in[s] | 0x20;
  return c >= 'a' && c <= 'z';
}

// Reads an event line [s, e) from its first non-blank byte and opens its
// sample: 1 done, 0 for JS's parseEventLine, NEW_PREFIX when JS must first
// parse the bytes before the time token. Mirrors fastEvent's rules in the
// comment of perf-script.ts: anchor on the first time token after the first
// token; after it only `[period] [event:]`.
static int fast_event(u32 s, u32 e) {
  u32 i = s;
  while (i < e && !blank(in[i])) i++;
  u32 anchor = 0, anchor_end = 0;
  int found = 0;
  while (!found) {
    while (i < e && blank(in[i])) i++;
    if (i >= e) return 0;
    u32 ts = i;
    while (i < e && !blank(in[i])) i++;
    int t = time_token(ts, i);
    if (t < 0) return 0;
    if (t > 0) {
      anchor = ts;
      anchor_end = i;
      found = 1;
    }
  }
  u32 ph = hash_bytes(in + s, anchor - s);
  i32 p = keys_get(&pk, in + s, anchor - s, ph);
  if (p < 0) {
    miss_hash = ph;
    out_start = s;
    out_s = s;
    out_end = e;
    out_anchor = anchor;
    return NEW_PREFIX;
  }
  if (!p_ok[p]) return 0;
  double period = __builtin_nan("");
  i32 ev_s = -1, ev_e = -1;
  while (i < e && blank(in[i])) i++;
  if (i < e) {
    u32 t1 = i;
    while (i < e && !blank(in[i])) i++;
    u32 t1e = i;
    while (i < e && blank(in[i])) i++;
    i32 t2 = -1;
    u32 t2e = 0;
    if (i < e) {
      t2 = (i32)i;
      while (i < e && !blank(in[i])) i++;
      t2e = i;
      while (i < e && blank(in[i])) i++;
    }
    if (all_digits(t1, t1e)) {
      if (t1e - t1 > 15) return 0;
      if (t2 < 0) period = digits_value(t1, t1e);
      else if (is_event_token((u32)t2, t2e) && i == e) {
        period = digits_value(t1, t1e);
        ev_s = t2;
        ev_e = (i32)t2e - 1;
      } else return 0;
    } else if (is_event_token(t1, t1e) && t2 < 0) {
      ev_s = (i32)t1;
      ev_e = (i32)t1e - 1;
    } else return 0;
  }
  u32 dot = anchor;
  while (in[dot] != '.') dot++;
  flush();
  u32 frac = anchor_end - 1 - (dot + 1);
  open_event(p_comm[p], p_pid[p], p_tid[p], digits_value(anchor, dot), digits_value(dot + 1, anchor_end - 1) * POW10[9 - frac], period);
  if (ev_s >= 0 && want_event) {
    want_event = 0;
    event_len = (u32)(ev_e - ev_s);
    event_name = alloc(event_len);
    __builtin_memcpy(event_name, in + ev_s, event_len);
  }
  return 1;
}

// ---- lines ----

static void set_out(u32 start, u32 s, u32 end) {
  out_start = start;
  out_s = s;
  out_end = end;
}

static int new_frame_here(void);
int split_frame(void);
static void made(u32 fid, i32 id);

// One line [start, nl) through the general path. 0 when done here.
static int line(u32 start, u32 nl) {
  line_no += 1;
  u32 end = nl;
  if (end > start && in[end - 1] == CR) end--;
  if (end == start) {
    flush(); // a blank line ends a sample
    return 0;
  }
  u8 c = in[start];
  if (c == TAB || c == SPACE) {
    u32 s = start + 1;
    while (s < end && blank(in[s])) s++;
    if (s == end) {
      flush();
      return 0;
    }
    if (c == SPACE) {
      // `-F` layouts right-align the comm with spaces.
      int r = fast_event(s, end);
      if (r == 1) return 0;
      if (r == NEW_PREFIX) {
        line_no -= 1; // the line is read again once JS has the prefix
        return NEW_PREFIX;
      }
      set_out(start, s, end);
      return SLOW_SPACE;
    }
    set_out(start, s, end);
    if (!is_open) return OUTSIDE;
    miss_hash = hash_bytes(in + start, end - start);
    i32 k = keys_get(&fk, in + start, end - start, miss_hash);
    if (k >= 0) {
      push_frame(fl[k].frame);
      follow(k);
      return 0;
    }
    return new_frame_here() ? 0 : NEW_FRAME;
  }
  if (c == HASH) return 0; // `--header` metadata
  flush(); // layouts without callchains have no blank line between samples
  int r = fast_event(start, end);
  if (r == 1) return 0;
  if (r == NEW_PREFIX) {
    line_no -= 1;
    return NEW_PREFIX;
  }
  set_out(start, start, end);
  return SLOW_EVENT;
}

static u32 find_nl(u32 from) {
  u32 i = from;
  const u64 ones = 0x0101010101010101ull, highs = 0x8080808080808080ull, nls = 0x0a0a0a0a0a0a0a0aull;
  for (; i + 8 <= in_len; i += 8) {
    u64 x = load64(in + i) ^ nls;
    u64 z = (x - ones) & ~x & highs;
    if (z) return i + (u32)(__builtin_ctzll(z) >> 3);
  }
  for (; i < in_len; i++)
    if (in[i] == NL) return i;
  return ~0u;
}

// Parses the complete lines in the window (and, when `last`, the unterminated
// one at its end) until done (0) or JS is needed (a code; the line is at out_*).
EXPORT(run) int run(int last) {
  const u32 n = in_len;
  while (pos < n) {
    // The hot path: a callchain line (tab first) seen before, inside a sample,
    // mostly the line that followed the previous one last time.
    if (in[pos] == TAB && is_open) {
      i32 guess = prev_key >= 0 ? fl[prev_key].next : -1;
      if (guess >= 0) {
        const FrameLine *g = &fl[guess];
        u32 e = pos + g->len;
        if (e < n && in[e] == NL && same_bytes(fk.arena + g->off, in + pos, g->len)) {
          line_no += 1;
          push_frame(g->frame);
          prev_key = guess;
          pos = e + 1;
          continue;
        }
      }
    }
    u32 nl = find_nl(pos);
    if (nl == ~0u) {
      if (!last) break;
      nl = n;
    }
    u32 start = pos;
    int r = line(start, nl);
    if (r == NEW_PREFIX) return r; // pos stays: the line is read again
    pos = nl < n ? nl + 1 : n;
    if (r) return r;
  }
  return NEED_INPUT;
}

// ---- answers from JS ----

// The frame line at out_start..out_end is new and JS parsed it into frame `id`: remember it and push it.
EXPORT(add_frame) void add_frame(i32 id) {
  u32 n = out_end - out_start;
  u32 k = keys_add(&fk, in + out_start, n, miss_hash);
  fl = room(fl, &fl_cap, k, sizeof(FrameLine), 1024);
  fl[k] = (FrameLine){.next = -1, .len = n, .off = fk.off[k], .frame = id};
  push_frame(id);
  follow((i32)k);
}

// A frame line seen for the first time (at out_*), inside a sample: split
// here, and pushed when its frame is known or can be made here (1). 0
// leaves it to JS, split (f_ok, f_fid, f_new): a malformed line (a warning),
// or a new frame whose name or DSO is not ASCII.
static int new_frame_here(void) {
  if (!split_frame()) return 0;
  i32 id = frame_of_fid[f_fid];
  if (id < 0) {
    if (f_nonascii || dso_nonascii[f_dso]) return 0;
    id = (i32)next_id;
    made(f_fid, id);
  }
  add_frame(id);
  return 1;
}

// A frame line at out_start..out_end that JS sent back: pushes it when known (1), else 0.
EXPORT(known_frame) int known_frame(void) {
  u32 n = out_end - out_start;
  miss_hash = hash_bytes(in + out_start, n);
  i32 k = keys_get(&fk, in + out_start, n, miss_hash);
  if (k < 0) return 0;
  push_frame(fl[k].frame);
  follow(k);
  return 1;
}

// The prefix at out_start..out_anchor, as JS parsed it (ok 0: not for the fast path).
EXPORT(add_prefix) void add_prefix(int ok, i32 comm, double pid, double tid) {
  u32 n = out_anchor - out_start;
  u32 p = keys_add(&pk, in + out_start, n, miss_hash);
  if (p >= p_cap) {
    p_ok = regrow(p_ok, p_cap, p_cap * 2);
    p_comm = regrow(p_comm, p_cap * 4, p_cap * 8);
    p_pid = regrow(p_pid, p_cap * 8, p_cap * 16);
    p_tid = regrow(p_tid, p_cap * 8, p_cap * 16);
    p_cap *= 2;
  }
  p_ok[p] = (u8)ok;
  p_comm[p] = comm;
  p_pid[p] = pid;
  p_tid[p] = tid;
}

// ---- frame lines ----
// parseFrame's rules (perf-script.ts), on the bytes of a new frame line, so
// JS makes only the strings it keeps; test/wasm-cores.test.ts holds the two equal.

static int is_hex_range(u32 a, u32 b) {
  if (a >= b) return 0;
  for (u32 k = a; k < b; k++) {
    u8 c = in[k] | 0x20;
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return 1;
}

// JS's String.prototype.trim() whitespace among latin1 characters.
static int js_space(u8 c) {
  return (c >= 9 && c <= 13) || c == ' ' || c == 0xa0;
}

static i32 last_space_paren(u32 r0, u32 r1) {
  for (u32 i = r1 - 1; i > r0; i--)
    if (in[i - 1] == ' ' && in[i] == '(') return (i32)(i - 1);
  return -1;
}

// dsoOpen: the ` (` that balances the final `)`, else the last ` (`.
static i32 dso_open(u32 r0, u32 r1) {
  i32 d = 0;
  for (u32 i = r1 - 1; i > r0; i--) {
    u8 c = in[i];
    if (c == ')') d++;
    else if (c == '(' && --d == 0) return in[i - 1] == ' ' ? (i32)(i - 1) : last_space_paren(r0, r1);
  }
  return r1 > r0 ? last_space_paren(r0, r1) : -1;
}

// Splits the frame text out_s..out_end (from its first non-blank byte): 0 when
// its address is not hex (malformed), else 1 with the address, symbol (offset
// cut) and DSO id in f_*.
EXPORT(split_frame) int split_frame(void) {
  u32 s = out_s, e = out_end, sp = s;
  f_ok = 0;
  while (sp < e && in[sp] != ' ') sp++;
  if (!is_hex_range(s, sp)) return 0;
  u32 r0 = sp < e ? sp + 1 : e, r1 = e;
  while (r0 < r1 && js_space(in[r0])) r0++;
  while (r1 > r0 && js_space(in[r1 - 1])) r1--;
  u32 d0 = 0, d1 = 0;
  if (r1 > r0 && in[r1 - 1] == ')') {
    i32 open = dso_open(r0, r1);
    if (open >= 0) {
      d0 = (u32)open + 2;
      d1 = r1 - 1;
      r1 = (u32)open;
    } else if (in[r0] == '(') {
      d0 = r0 + 1; // `-F ip,dso`: no symbol at all
      d1 = r1 - 1;
      r1 = r0;
    }
    if (d0 > d1) d0 = d1;
  }
  for (u32 i = r1; i >= r0 + 4; i--) {
    u32 plus = i - 3; // the last `+0x`, not at the start, with hex after it
    if (in[plus] == '+' && in[plus + 1] == '0' && in[plus + 2] == 'x') {
      if (is_hex_range(plus + 3, r1)) r1 = plus;
      break;
    }
  }
  f_addr0 = s;
  f_addr1 = sp;
  f_sym0 = r0;
  f_sym1 = r1;
  f_nonascii = 0;
  for (u32 k = r0; k < r1; k++) f_nonascii |= in[k] >> 7;
  u32 dh = hash_bytes(in + d0, d1 - d0);
  i32 id = keys_get(&dk, in + d0, d1 - d0, dh);
  if (id < 0) {
    id = (i32)keys_add(&dk, in + d0, d1 - d0, dh);
    dso_nonascii = room(dso_nonascii, &dna_cap, (u32)id, 1, 256);
    u8 high = 0;
    for (u32 k = d0; k < d1; k++) high |= in[k] >> 7;
    dso_nonascii[id] = high;
  }
  f_dso = (u32)id;
  // The model's frame identity (CpuProfileBuilder.frame): address, name
  // (`[unknown]` for no symbol), DSO. Frame ids are this table's ids.
  u32 sym_n = r1 - r0;
  int unknown = sym_n == 0 || (sym_n == 9 && same_bytes(in + r0, (const u8 *)"[unknown]", 9));
  const u8 *sym = unknown ? (const u8 *)"[unknown]" : in + r0;
  if (unknown) sym_n = 9;
  u32 n = (sp - s) + 1 + sym_n + 4;
  if (n > fid_scratch_cap) {
    fid_scratch_cap = n * 2;
    release(fid_scratch);
    fid_scratch = alloc(fid_scratch_cap);
  }
  __builtin_memcpy(fid_scratch, in + s, sp - s);
  fid_scratch[sp - s] = 0;
  __builtin_memcpy(fid_scratch + (sp - s) + 1, sym, sym_n);
  __builtin_memcpy(fid_scratch + n - 4, &f_dso, 4);
  u32 h = hash_bytes(fid_scratch, n);
  i32 fid = keys_get(&fidk, fid_scratch, n, h);
  f_new = fid < 0;
  f_fid = f_new ? keys_add(&fidk, fid_scratch, n, h) : (u32)fid;
  if (f_new) {
    frame_of_fid = room(frame_of_fid, &fof_cap, f_fid, 4, 1024);
    frame_of_fid[f_fid] = -1;
  }
  f_ok = 1;
  return 1;
}

// Frame identity fid is frame `id` (the next id: a new frame; else one JS found by its strings).
static void made(u32 fid, i32 id) {
  frame_of_fid[fid] = id;
  if ((u32)id != next_id) return;
  fid_of_id = room(fid_of_id, &foi_cap, next_id, 4, 1024);
  fid_of_id[next_id++] = fid;
}

EXPORT(frame_made) void frame_made(u32 fid, i32 id) {
  made(fid, id);
}

// The frame id of identity fid, -1 when not made yet.
EXPORT(frame_of) i32 frame_of(u32 fid) {
  return frame_of_fid[fid];
}

// Frames made so far (the next id).
EXPORT(frames_made) u32 frames_made(void) {
  return next_id;
}

// Frames [from, to) as 5 words each, from their fidk keys (address, 0, name,
// DSO id): where the address is and its length, the same for the name, and
// the DSO id. Valid until the next call into the core.
static u32 *nf_tab;
static u32 nf_cap;

EXPORT(new_frames) u32 *new_frames(u32 from, u32 to) {
  if ((to - from) * 5 > nf_cap) {
    u32 cap = nf_cap ? nf_cap : 1024;
    while (cap < (to - from) * 5) cap *= 2;
    release(nf_tab);
    nf_tab = alloc(cap * 4);
    nf_cap = cap;
  }
  u32 *t = nf_tab;
  for (u32 id = from; id < to; id++) {
    u32 fid = (u32)fid_of_id[id];
    const u8 *k = fidk.arena + fidk.off[fid];
    u32 len = fidk.len[fid], a = 0;
    while (k[a]) a++;
    u32 *r = t + (id - from) * 5;
    r[0] = (u32)k;
    r[1] = a;
    r[2] = (u32)(k + a + 1);
    r[3] = len - a - 1 - 4;
    __builtin_memcpy(&r[4], k + len - 4, 4);
  }
  return t;
}

// split_frame on bytes [s, e) given as addresses (a frame printed on an event line).
EXPORT(split_at) int split_at(u8 *s, u8 *e) {
  out_s = (u32)(s - in);
  out_end = (u32)(e - in);
  return split_frame();
}

// Bytes of DSO `id` (after split_frame named it).
EXPORT(dso_bytes) u8 *dso_bytes(u32 id) {
  return dk.arena + dk.off[id];
}

EXPORT(dso_length) u32 dso_length(u32 id) {
  return dk.len[id];
}

EXPORT(event_seen) void event_seen(void) {
  want_event = 0;
}

// ---- reading the results ----

EXPORT(out) u32 out(int which) {
  switch (which) {
    case 0: return (u32)(in + out_start); // the line behind the last stop, as addresses
    case 1: return (u32)(in + out_s);
    case 2: return (u32)(in + out_end);
    case 3: return (u32)(in + out_anchor);
    case 5: return nodes;
    case 6: return (u32)node4;
    case 7: return ngroups;
    case 8: return (u32)g_leaf;
    case 9: return (u32)g_comm;
    case 10: return (u32)g_pid;
    case 11: return (u32)g_tid;
    case 12: return (u32)g_samples;
    case 13: return (u32)g_period;
    case 14: return ntl;
    case 15: return (u32)tl_pid;
    case 16: return (u32)tl_bucket;
    case 17: return (u32)tl_count;
    case 19: return (u32)event_name;
    case 20: return event_len;
    case 21: return had_pid | had_time << 1 | had_period << 2 | is_open << 3;
    case 23: return (u32)(in + f_addr0); // a split frame: address, symbol, DSO id, non-ASCII symbol
    case 24: return (u32)(in + f_addr1);
    case 25: return (u32)(in + f_sym0);
    case 26: return (u32)(in + f_sym1);
    case 27: return f_dso;
    case 28: return f_nonascii;
    case 30: return f_fid;               // the split frame's id, and whether it is new
    case 31: return f_new;
    case 32: return f_ok;
    default: return 0;
  }
}

EXPORT(num) double num(int which) {
  switch (which) {
    case 0: return line_no;
    case 1: return total_samples;
    case 2: return total_period;
    case 3: return garbage_samples;
    case 4: return garbage_frames;
    case 5: { double v = warn_no_pid_line; warn_no_pid_line = 0; return v; }
    case 6: { double v = warn_no_period_line; warn_no_period_line = 0; return v; }
    default: return 0;
  }
}
