// The Location and Function tables of a pprof profile (fields 4 and 5 of
// Profile), from PprofBuilder's columns, in C compiled to WebAssembly
// (pprof-tables.ts loads it; scripts/build-wasm.mjs builds it). In JS the
// same loop ran once per profile, mostly before V8 had optimized it: ~25 ms
// for the converter's 47k locations, against ~2 ms here.

#include "../../wasm/bump.h"
#include "../../wasm/varint.h"

static u8 *out_buf;
static u32 out_len, out_cap;

EXPORT(alloc) void *alloc_export(u32 n) {
  return alloc(n);
}

static void reserve(u32 n) {
  if (out_len + n <= out_cap) return;
  u32 cap = out_cap ? out_cap * 2 : 1 << 16;
  while (cap < out_len + n) cap *= 2;
  out_buf = regrow(out_buf, out_len, cap);
  out_cap = cap;
}

// Bytes of a varint field (tag and value); 0 when the value is 0 (omitted, proto3).
static u32 fsize(u64 v) {
  return v ? 1 + vsize(v) : 0;
}

static void varint(u64 v) {
  out_len = (u32)(put_varint_at(out_buf + out_len, v) - out_buf);
}

static void field(u32 f, u64 v) {
  if (!v) return;
  out_buf[out_len++] = (u8)(f << 3);
  varint(v);
}

// int32 columns hold int64 values as pprof-format writes them: negative ones as 10-byte two's complement.
static u64 wide(i32 v) {
  return (u64)(long long)v;
}

// Location i (id i + 1): mapping, address (hi:lo), and its lines
// [line_start[i], line_start[i + 1]) of func/line_no, innermost first.
EXPORT(locations) void locations(u32 n, i32 *mapping, u32 *hi, u32 *lo, i32 *line_start, i32 *func, i32 *line_no) {
  for (u32 i = 0; i < n; i++) {
    u64 addr = (u64)hi[i] << 32 | lo[i];
    u32 lines = 0;
    for (i32 j = line_start[i]; j < line_start[i + 1]; j++) {
      u32 m = fsize(wide(func[j])) + fsize(wide(line_no[j]));
      lines += 1 + vsize(m) + m;
    }
    u32 body = fsize(i + 1) + fsize(wide(mapping[i])) + fsize(addr) + lines;
    reserve(1 + 5 + body);
    out_buf[out_len++] = 4 << 3 | 2; // Profile.location
    varint(body);
    field(1, i + 1);
    field(2, wide(mapping[i]));
    field(3, addr);
    for (i32 j = line_start[i]; j < line_start[i + 1]; j++) {
      out_buf[out_len++] = 4 << 3 | 2; // Location.line
      varint(fsize(wide(func[j])) + fsize(wide(line_no[j])));
      field(1, wide(func[j]));
      field(2, wide(line_no[j]));
    }
  }
}

// Function i (id i + 1) from 4 columns: name, system name, file (string indexes), start line.
EXPORT(functions) void functions(u32 n, i32 *cols) {
  for (u32 i = 0; i < n; i++) {
    i32 *c = cols + 4 * i;
    u32 body = fsize(i + 1) + fsize(wide(c[0])) + fsize(wide(c[1])) + fsize(wide(c[2])) + fsize(wide(c[3]));
    reserve(1 + 5 + body);
    out_buf[out_len++] = 5 << 3 | 2; // Profile.function
    varint(body);
    field(1, i + 1);
    for (u32 k = 0; k < 4; k++) field(k + 2, wide(c[k]));
  }
}

EXPORT(out) u32 out(int which) {
  return which == 0 ? (u32)out_buf : out_len;
}
