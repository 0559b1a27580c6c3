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
  // Which frames to look up is decided in frame order (binaries open in that
  // order), and the lookups are then made in address order (SymbolResolver.resolveAll).
  const many = (raw: readonly Frame[], perfNamed: ReadonlySet<string>): (Frame[] | null)[] => {
    const asked: Frame[] = [];
    const at: number[] = [];
    const named: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const f = raw[i];
      if (!f.named) {
        if (perfNamed.has(f.dso) && !isGo(f.dso)) continue;
        if (resolver.resolvable(f)) resolver.table(f.dso); // opened here, as resolve() would
      } else if (!isGo(f.dso)) continue;
      asked.push(f);
      at.push(i);
      named.push(f.named ? 1 : 0);
    }
    const got = resolver.resolveAll(asked, Uint8Array.from(named));
    const out = new Array<Frame[] | null>(raw.length).fill(null);
    for (let k = 0; k < at.length; k++) out[at[k]] = got[k];
    return out;
  };
  const one: FrameResolve = (raw, perfNamed) => {
    const named = raw.symbol !== '' && raw.symbol !== '[unknown]';
    return many([{ name: named ? raw.symbol : '[unknown]', dso: raw.dso, addr: raw.addr, named }], perfNamed)[0];
  };
  one.many = many;
  return one;
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
  const all = resolve?.many?.(raw, perfNamed);
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i];
    const got = all ? all[i] : resolve ? resolve({ addr: f.addr, symbol: f.named ? f.name : '[unknown]', offset: '', dso: f.dso }, perfNamed) : null;
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
