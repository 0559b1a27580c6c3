// Finds the frames perf's frame-pointer unwinder invented past the real end
// of a stack, so importers can drop them (and count them).
//
// perf keeps following saved frame pointers after a stack's true outermost
// frame, and when assembly reuses the frame pointer register
// (`crypto/sha256.block`), from the first bogus one on. What it reads there
// are addresses in no mapping of the process, which it prints as
//   \t               0 [unknown] ([unknown])
//   \t          c000038500 [unknown] ([unknown])
// In a Go stack the walk also passes the goroutine's entry frame
// (`runtime.goexit`) or the thread's (`runtime.mstart`) and reads stale words
// of the same binary, which can even name a function:
//   runtime.mstart < runtime.execute < [unknown] ([unknown]) < [unknown] ([unknown])
//
// The rule, applied at the outer end only (unknown frames in the middle of a
// stack are kept: the frames beyond them are real):
//  1. the outermost run of frames with no mapping (dso `[unknown]`) is dropped,
//     unless it is the whole stack;
//  2. when rule 1 dropped something and, going inwards from there, every frame
//     up to the stack's outermost Go entry frame (goexit, mstart, rt0_go) is in
//     that entry frame's binary, those frames are dropped too: nothing calls an
//     entry frame. A cgo thread's C frames beyond mstart (libc's start_thread)
//     sit in another binary and are kept.
import type { Frame } from '../model/types.ts';

/** Functions that are the outermost frame of a real Go stack (goroutine, thread, process entry). */
const GO_ROOT = /^runtime\.(goexit|mstart|rt0_go)(\.abi0)?$/;

/** Flags of frameGarbageFlags(): the frame has no mapping; the frame is a Go stack's entry. */
export const UNMAPPED = 1;
export const ROOT = 2;

/** true when perf found no mapping for the frame's address. */
export function isUnmappedFrame(f: Frame): boolean {
  return f.dso === '[unknown]';
}

/** true when `name` is a Go stack's outermost function (runtime.goexit, runtime.mstart, runtime.rt0_go). */
export function isGoRootFunction(name: string): boolean {
  return GO_ROOT.test(name);
}

/** UNMAPPED | ROOT, as they apply to `f`. */
export function frameGarbageFlags(f: Frame): number {
  return (isUnmappedFrame(f) ? UNMAPPED : 0) | (f.named && isGoRootFunction(f.name) ? ROOT : 0);
}

/** Flag of a frame the trimmer has classified (its flags and DSO are known). */
const KNOWN = 4;

/**
 * Trims stacks of frame ids of a (growing) frame table, classifying each
 * frame the first time a stack's outer end reaches it: most frames never
 * are (on the converter's bench text, 15k of 64k), and classifying one runs
 * a regular expression on its name.
 */
export class UnwindGarbageTrimmer {
  private flags = new Uint8Array(1024);
  private dso = new Int32Array(1024);
  private readonly dsoIds = new Map<string, number>();

  constructor(private readonly frames: readonly Frame[]) {}

  /**
   * The depth to keep of `stack` (frame ids, innermost first, `depth` of them):
   * `depth` when there is nothing to drop.
   */
  keep(stack: Int32Array, depth: number): number {
    if (depth === 0) return 0;
    if (this.frames.length > this.flags.length) this.grow();
    let e = depth;
    while (e > 0 && this.flagsOf(stack[e - 1]) & UNMAPPED) e--;
    if (e === depth || e === 0) return depth;
    const d = this.dso[stack[e - 1]];
    for (let i = e - 1; i >= 0 && this.dsoOf(stack[i]) === d; i--) {
      if (this.flags[stack[i]] & ROOT) return i + 1;
    }
    return e;
  }

  private flagsOf(i: number): number {
    let f = this.flags[i];
    if (f === 0) {
      const fr = this.frames[i];
      this.flags[i] = f = KNOWN | frameGarbageFlags(fr);
      let id = this.dsoIds.get(fr.dso);
      if (id === undefined) this.dsoIds.set(fr.dso, (id = this.dsoIds.size));
      this.dso[i] = id;
    }
    return f;
  }

  private dsoOf(i: number): number {
    this.flagsOf(i);
    return this.dso[i];
  }

  private grow(): void {
    const size = Math.max(this.frames.length, this.flags.length * 2);
    const f = new Uint8Array(size);
    f.set(this.flags);
    const d = new Int32Array(size);
    d.set(this.dso);
    this.flags = f;
    this.dso = d;
  }
}
