// Protobuf varints for the cores that write pprof bytes (pprof-samples.c, pprof-tables.c).
#ifndef GBP_WASM_VARINT_H
#define GBP_WASM_VARINT_H

#include "bump.h"

// Bytes of v as a varint.
static u32 vsize(u64 v) {
  u32 n = 1;
  while (v > 127) {
    v >>= 7;
    n++;
  }
  return n;
}

// Writes v as a varint at b; returns the byte after it.
static u8 *put_varint_at(u8 *b, u64 v) {
  while (v > 127) {
    *b++ = (u8)(v & 127) | 128;
    v >>= 7;
  }
  *b++ = (u8)v;
  return b;
}

#endif
