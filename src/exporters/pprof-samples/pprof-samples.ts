// The JS side of pprof-samples.c: copies the trie and the groups into a
// fresh instance, runs the integer passes over them that the pprof writer
// needs, then its sample loop (answering its checks against trimmed
// stacks), and copies the encoded samples out, a piece at a time.
import { PPROF_SAMPLES_WASM } from './pprof-samples-wasm.ts';
import { copyIn } from '../../wasm/copy-in.ts';
import type { CpuProfileState } from '../../model/cpu-profile-builder.ts';

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  load(node4: number, nodes: number, rawFrames: number, leaf: number, pid: number, tid: number, comm: number, count: number, period: number, groups: number): void;
  threads(): number;
  leaf_periods(): number;
  candidates(unmappedOuter: number): number;
  triples(trimmed: number): number;
  apply_sets(setOfTriple: number): void;
  frames_on_paths(): number;
  start(locOfRaw: number, setBytes: number, setAt: number, trimHashes: number, ntrim: number): void;
  run(write: number): number;
  out(which: number): number;
  set_full_at(n: number): void;
}

const CHECK = 1;
const FULL = 2;
const OUT_LIST = 6;
const OUT_LIST_F64 = 7;
const OUT_SET_OF = 8;
let compiled: WebAssembly.Module | null = null;

/**
 * One converter's trie and groups in a pprof-samples.c instance, copied in
 * once: the integer passes the pprof writer needs (each returns a copy of
 * its answer: the instance's memory may move at its next call), then the
 * sample writer itself (encode).
 */
export class StackSamples {
  private readonly ex: Exports;

  constructor(private readonly s: CpuProfileState) {
    compiled ??= new WebAssembly.Module(Buffer.from(PPROF_SAMPLES_WASM, 'base64'));
    this.ex = new WebAssembly.Instance(compiled, {}).exports as unknown as Exports;
    const put = (a: ArrayBufferView) => copyIn(this.ex, a);
    const g = s.groups;
    this.ex.load(put(s.node4.subarray(0, s.nodes * 4)), s.nodes, s.frames.length, put(s.gLeaf.subarray(0, g)), put(s.gPid.subarray(0, g)), put(s.gTid.subarray(0, g)), put(s.gComm.subarray(0, g)), put(s.gSamples.subarray(0, g)), put(s.gPeriod.subarray(0, g)), g);
    this.ex.threads();
  }

  /**
   * Period by leaf raw frame (periodOfLeaf[rf + 1]; [0]: stacks with no
   * frame), summed in group order, and the leaves (rf + 1) in order of first appearance.
   */
  leafPeriods(): { leaves: Int32Array; periodOfLeaf: Float64Array } {
    const n = this.ex.leaf_periods();
    return { leaves: this.i32(OUT_LIST, n), periodOfLeaf: new Float64Array(this.ex.memory.buffer, this.ex.out(OUT_LIST_F64), this.s.frames.length + 1).slice() };
  }

  /** The groups (in order) whose outermost raw frame is marked in unmappedOuter (per raw frame): the only stacks trimming can shorten. */
  candidates(unmappedOuter: Uint8Array): Int32Array {
    return this.i32(OUT_LIST, this.ex.candidates(copyIn(this.ex, unmappedOuter)));
  }

  /**
   * Each group's label set (-1 for a trimmed group): `setOf(g)` is asked
   * once per distinct (pid, tid, comm) of the groups not trimmed, with the
   * first group that has it, in group order.
   */
  labelSets(trimmed: Uint8Array, setOf: (firstGroup: number) => number): Int32Array {
    const n = this.ex.triples(copyIn(this.ex, trimmed));
    const first = this.i32(OUT_LIST, n);
    const sets = new Int32Array(n);
    for (let k = 0; k < n; k++) sets[k] = setOf(first[k]);
    this.ex.apply_sets(copyIn(this.ex, sets));
    return this.i32(OUT_SET_OF, this.s.groups);
  }

  /** The raw frames on the path of a group with a label set, each once, in trie order. */
  framesOnPaths(): Int32Array {
    return this.i32(OUT_LIST, this.ex.frames_on_paths());
  }

  /**
   * Encodes one pprof Sample message per group with a label set (field 2
   * of Profile, ready to concatenate), thread by thread, handed to
   * `onBytes` a piece at a time (each `pieceBytes` or a little more, whole
   * messages, with the number of samples in it) as the walk goes: the
   * caller can compress one while the next is made. `check(g, locs, n)` is
   * asked about a group whose stack hash matches a trimmed stack's (locs:
   * location ids, leaf first): true when it took the group's values, so it
   * is not written here. Returns the samples written.
   */
  encode(inp: SamplesWriterInput, check: (g: number, locs: Int32Array, n: number) => boolean, onBytes: (bytes: Buffer, samples: number) => void, pieceBytes = 1 << 20): number {
    const ex = this.ex;
    const put = (a: ArrayBufferView) => copyIn(ex, a);
    const hashes = Uint32Array.from(inp.trimHashes).sort();
    ex.set_full_at(pieceBytes);
    ex.start(put(inp.locOfRaw), put(inp.setBytes), put(inp.setAt), put(hashes), hashes.length);
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

  private i32(which: number, n: number): Int32Array {
    return new Int32Array(this.ex.memory.buffer, this.ex.out(which), n).slice();
  }
}

/** What the sample writer reads besides the trie and groups. */
export interface SamplesWriterInput {
  /** Location id of each raw frame (set for every frame an untrimmed stack passes through). */
  locOfRaw: Int32Array;
  /** The label sets' encoded Label messages: set j is setBytes[setAt[j], setAt[j + 1]). */
  setBytes: Uint8Array;
  setAt: Int32Array;
  /** Hashes (sampleHash) of the stacks trimming produced, for `check`. */
  trimHashes: Uint32Array;
}
