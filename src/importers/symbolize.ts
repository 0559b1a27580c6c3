// The glue between the perf importer and the symbol resolver, shared by
// loadBuild (bundles) and the standalone perf-text converter.
import type { BinaryInfo, Frame } from '../model/types.ts';
import type { FrameExpansion } from '../model/cpu-profile-builder.ts';
import type { FrameResolve } from './perf-script.ts';
import type { SymbolResolver } from '../symbols/resolver.ts';

/**
 * The perf parser's resolve hook: frames perf could not name, and every frame
 * of a Go binary whose function agrees with perf's name (its pclntab adds
 * inlined calls, file and line to perf's one name). Other frames keep perf's
 * name. A frame perf could not name in an ELF binary of which it named
 * others is kept too: perf read that binary's symbols, so the address lies
 * outside them, and a local copy that names it may not be the binary perf
 * saw (nothing to check it against). Its symbols are then never indexed:
 * on `go build -a std`, cc1's 26k symbols for 611 such frames, ~20 ms.
 */
export function frameResolver(resolver: SymbolResolver): FrameResolve {
  // Frames come in runs of one DSO: the last answer of isGoBinary is kept.
  let lastDso: string | null = null;
  let lastIsGo = false;
  const isGo = (dso: string) => {
    if (dso !== lastDso) {
      lastIsGo = resolver.isGoBinary(dso);
      lastDso = dso;
    }
    return lastIsGo;
  };
  return (raw, perfNamed) => {
    if (raw.symbol === '' || raw.symbol === '[unknown]') return perfNamed.has(raw.dso) && !isGo(raw.dso) ? null : resolver.resolve(raw);
    return isGo(raw.dso) ? resolver.resolveNamed(raw) : null;
  };
}

/** What the resolver knows of every DSO the frames name (geometry and build-id for pprof mappings). */
export function binariesOf(frames: readonly Frame[], resolver: SymbolResolver): Map<string, BinaryInfo> {
  const out = new Map<string, BinaryInfo>();
  for (let i = 0; i < frames.length; i++) {
    const dso = frames[i].dso;
    if (dso && !out.has(dso)) out.set(dso, resolver.binaryInfo(dso));
  }
  return out;
}

/**
 * Each of perf's frames (as the parser keeps them) with what `resolve` makes
 * of it: the frames it stands for, or itself when resolve is null or gives null.
 */
export function expandFrames(raw: readonly Frame[], resolve: FrameResolve | null): FrameExpansion {
  const frames: Frame[] = [];
  const start = new Int32Array(raw.length + 1);
  const perfNamed = resolve ? dsosNamedByPerf(raw) : new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i];
    const got = resolve ? resolve({ addr: f.addr, symbol: f.named ? f.name : '[unknown]', offset: '', dso: f.dso }, perfNamed) : null;
    if (got?.length) for (let k = 0; k < got.length; k++) frames.push(got[k]);
    else frames.push(f);
    start[i + 1] = frames.length;
  }
  return { frames, start };
}

/** The DSOs of which perf named at least one frame. */
function dsosNamedByPerf(raw: readonly Frame[]): Set<string> {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i++) if (raw[i].named) named.add(raw[i].dso);
  return named;
}
