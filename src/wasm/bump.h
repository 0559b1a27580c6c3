// What the WebAssembly cores (scripts/build-wasm.mjs lists them) share:
// fixed-width types, export/import attributes, and a bump allocator.
// There is no libc: memory comes from growing the wasm memory, in blocks
// that a doubling table gives back for reuse. Each instance lives for one job.
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

// Blocks come in power-of-two sizes (16 bytes up), each after a 16-byte
// header holding its size class, and a released block waits in its class's
// list for the next request of that class. Tables double: the copy a table
// leaves behind serves the next table to reach that size, instead of fresh
// pages (each first touch of a page costs ~2 us of page fault on the
// machines measured, and peak RSS). Untouched capacity costs nothing.
static void *free_blocks[32];

static u32 size_class(u32 n) {
  u32 c = 4;
  while (c < 31 && (1u << c) < n) c++;
  return c;
}

// n bytes, 16-aligned; traps (JS sees `unreachable`) past wasm32's 4 GiB.
static void *alloc(u32 n) {
  u32 c = size_class(n);
  if ((1u << c) < n) __builtin_trap();
  if (free_blocks[c]) {
    void *p = free_blocks[c];
    free_blocks[c] = *(void **)p;
    return p;
  }
  if (!brk) brk = (u32)&__heap_base;
  u32 head = (brk + 15) & ~15u;
  u32 p = head + 16;
  u32 end = p + (1u << c);
  if (end < p || p < head) __builtin_trap();
  u32 pages = (u32)__builtin_wasm_memory_size(0);
  if (end > pages << 16 || pages >= 65536) {
    u32 need = ((end - 1) >> 16) + 1 - pages;
    u32 more = pages > need ? pages : need; // at least double, so growth is rare
    if (pages + more > 65536) more = need;
    if (__builtin_wasm_memory_grow(0, more) == (__SIZE_TYPE__)-1) __builtin_trap();
  }
  *(u32 *)head = c;
  brk = end;
  return (void *)p;
}

// Gives a block from alloc() back for reuse (null: nothing).
static void release(void *p) {
  if (!p) return;
  u32 c = *(u32 *)((u8 *)p - 16);
  *(void **)p = free_blocks[c];
  free_blocks[c] = p;
}

// A bigger block with the first old_bytes of `old`, which is released.
static void *regrow(void *old, u32 old_bytes, u32 new_bytes) {
  void *p = alloc(new_bytes);
  if (old_bytes) __builtin_memcpy(p, old, old_bytes);
  release(old);
  return p;
}

#endif
