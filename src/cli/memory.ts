// A full garbage collection on demand, for the CLI's big one-shot jobs.
// Why: typed arrays' memory is returned only when V8 next collects, and V8
// counts it lazily. Between parsing perf text and exporting it, ~50 MB of
// such arrays (the parser's lookup tables, the binaries' symbol sections) are
// garbage; without a collection there the exporter's allocations stack on top
// of them and peak RSS holds both.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

/** Runs a full GC when this Node allows exposing it (a no-op otherwise). */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
