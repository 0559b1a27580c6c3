// What the WebAssembly cores (src/importers/perf-core, src/exporters/pprof-samples)
// share: fixed-width types, export/import attributes, and a bump allocator.
// There is no libc: memory comes from growing the wasm memory, and a table
// that doubles leaves its old copy behind, so a core needs at most about
// twice what its live tables hold. Each instance lives for one job.
#ifndef GBP_WASM_BUMP_H
#define GBP_WASM_BUMP_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;

#define EXPORT(n) __attribute__((export_name(#n)))
#define IMPORT(n) __attribute__((import_module("env"), import_name(#n)))

extern u8 __heap_base;
static u32 brk;

// n bytes, 16-aligned; traps (JS sees `unreachable`) past wasm32's 4 GiB.
static void *alloc(u32 n) {
  if (!brk) brk = (u32)&__heap_base;
  u32 p = (brk + 15) & ~15u;
  u32 end = p + n;
  if (end < p) __builtin_trap();
  u32 pages = (u32)__builtin_wasm_memory_size(0);
  if (end > pages << 16 || pages >= 65536) {
    u32 need = ((end - 1) >> 16) + 1 - pages;
    u32 more = pages > need ? pages : need; // at least double, so growth is rare
    if (pages + more > 65536) more = need;
    if (__builtin_wasm_memory_grow(0, more) == (__SIZE_TYPE__)-1) __builtin_trap();
  }
  brk = end;
  return (void *)p;
}

static void *regrow(void *old, u32 old_bytes, u32 new_bytes) {
  void *p = alloc(new_bytes);
  if (old_bytes) __builtin_memcpy(p, old, old_bytes);
  return p;
}

#endif
