// The JS side of pprof-tables.c: copies PprofBuilder's location and function
// columns into a fresh instance and takes the encoded Profile fields out.
import { PPROF_TABLES_WASM } from './pprof-tables-wasm.ts';
import { copyIn } from '../../wasm/copy-in.ts';

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  locations(n: number, mapping: number, hi: number, lo: number, lineStart: number, func: number, lineNo: number): void;
  functions(n: number, cols: number): void;
  out(which: number): number;
}

let compiled: WebAssembly.Module | null = null;

/** PprofBuilder's tables, as columns (each array holds at least the rows given). */
export interface PprofTables {
  /** Locations: mapping id, address as two 32-bit words, and lines [lineStart[i], lineStart[i + 1]). */
  locations: number;
  locMapping: Int32Array;
  locHi: Int32Array;
  locLo: Int32Array;
  locLineStart: Int32Array;
  /** Lines: function id and line number. */
  lines: number;
  lineFunc: Int32Array;
  lineNo: Int32Array;
  /** Functions: name, system name, file (string indexes) and start line, 4 ints each. */
  functions: number;
  funcCols: Int32Array;
}

/** The Profile.location fields then the Profile.function fields, encoded (a view of the instance's memory). */
export function encodeTables(t: PprofTables): Uint8Array {
  compiled ??= new WebAssembly.Module(Buffer.from(PPROF_TABLES_WASM, 'base64'));
  const ex = new WebAssembly.Instance(compiled, {}).exports as unknown as Exports;
  const put = (a: Int32Array, n: number) => copyIn(ex, a.subarray(0, n));
  const args = [put(t.locMapping, t.locations), put(t.locHi, t.locations), put(t.locLo, t.locations), put(t.locLineStart, t.locations + 1), put(t.lineFunc, t.lines), put(t.lineNo, t.lines)] as const;
  ex.locations(t.locations, ...args);
  ex.functions(t.functions, put(t.funcCols, t.functions * 4));
  return new Uint8Array(ex.memory.buffer, ex.out(0), ex.out(1));
}
