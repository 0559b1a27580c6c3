// Copying JS arrays into a WebAssembly core's memory (the cores' alloc() from bump.h).

/** The exports copyIn needs: the memory and bump.h's alloc, exported as `alloc`. */
export interface WasmHeap {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
}

/** Copies the bytes of `a` into a fresh block of the core's memory; returns its address. */
export function copyIn(ex: WasmHeap, a: ArrayBufferView): number {
  const at = ex.alloc(Math.max(1, a.byteLength));
  new Uint8Array(ex.memory.buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return at;
}
