// The JS side of pprof-samples.c: copies the trie, the groups and the
// encoded label sets into a fresh instance, runs its sample loop (answering
// its checks against trimmed stacks), and copies the encoded samples out, a
// piece at a time.
import { PPROF_SAMPLES_WASM } from './pprof-samples-wasm.ts';
import { copyIn } from '../../wasm/copy-in.ts';

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  init(node4: number, nodes: number, locOfRaw: number, order: number, leaf: number, setOf: number, count: number, period: number, groups: number, setBytes: number, setAt: number, trimHashes: number, ntrim: number): void;
  run(write: number): number;
  out(which: number): number;
  set_full_at(n: number): void;
}

const CHECK = 1;
const FULL = 2;
let compiled: WebAssembly.Module | null = null;

/** What the sample loop reads. Groups are indexes into leaf/setOf/count/period. */
export interface StackSamplesInput {
  /** 4 ints per trie node (raw frame, parent, -, -), node 0 the root. */
  node4: Int32Array;
  nodes: number;
  /** Location id of each raw frame (set for every frame an untrimmed stack passes through). */
  locOfRaw: Int32Array;
  /** Group indexes in the order to write them (a thread's groups together: their paths are shared). */
  order: Int32Array;
  leaf: Int32Array;
  /** Label set of each group; -1: not written here (its stack was trimmed). */
  setOf: Int32Array;
  count: Float64Array;
  period: Float64Array;
  /** The label sets' encoded Label messages: set j is setBytes[setAt[j], setAt[j + 1]). */
  setBytes: Uint8Array;
  setAt: Int32Array;
  /** Hashes (sampleHash) of the stacks trimming produced, for `check`. */
  trimHashes: Uint32Array;
}

/**
 * Encodes one pprof Sample message per group (field 2 of Profile, ready to
 * concatenate), handed to `onBytes` a piece at a time (each `pieceBytes`
 * or a little more, whole messages, with the number of samples in it) as
 * the walk goes: the caller can compress one while the next is made.
 * `check(g, locs, n)` is asked about a group whose stack hash matches a
 * trimmed stack's (locs: location ids, leaf first): true when it took the
 * group's values, so it is not written here. Returns the samples written.
 */
export function encodeStackSamples(inp: StackSamplesInput, check: (g: number, locs: Int32Array, n: number) => boolean, onBytes: (bytes: Buffer, samples: number) => void, pieceBytes = 1 << 20): number {
  compiled ??= new WebAssembly.Module(Buffer.from(PPROF_SAMPLES_WASM, 'base64'));
  const ex = new WebAssembly.Instance(compiled, {}).exports as unknown as Exports;
  const put = (a: ArrayBufferView) => copyIn(ex, a);
  const hashes = Uint32Array.from(inp.trimHashes).sort();
  ex.set_full_at(pieceBytes);
  ex.init(
    put(inp.node4.subarray(0, inp.nodes * 4)),
    inp.nodes,
    put(inp.locOfRaw),
    put(inp.order),
    put(inp.leaf),
    put(inp.setOf),
    put(inp.count),
    put(inp.period),
    inp.order.length,
    put(inp.setBytes),
    put(inp.setAt),
    put(hashes),
    hashes.length,
  );
  let given = 0;
  // A copy: the instance writes the next piece over this one's bytes.
  const take = () => {
    const n = ex.out(2);
    if (ex.out(1) > 0) onBytes(Buffer.from(new Uint8Array(ex.memory.buffer, ex.out(0), ex.out(1))), n - given);
    given = n;
  };
  for (let write = 1, r = ex.run(1); r !== 0; r = ex.run(write)) {
    if (r === FULL) {
      take();
      write = 1;
    } else if (r === CHECK) {
      const locs = new Int32Array(ex.memory.buffer, ex.out(4), ex.out(5));
      write = check(ex.out(3), locs, locs.length) ? 0 : 1;
    }
  }
  take();
  return ex.out(2);
}
