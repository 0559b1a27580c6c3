// The glue between the perf importer and the symbol resolver, shared by
// loadBuild (bundles) and the standalone perf-text converter.
import type { BinaryInfo, Frame } from '../model/types.ts';
import type { FrameExpansion } from '../model/cpu-profile-builder.ts';
import type { RawFrame } from './perf-script.ts';
import type { SymbolResolver } from '../symbols/resolver.ts';

/**
 * The perf parser's resolve hook: frames perf could not name, and every frame
 * of a Go binary whose function agrees with perf's name (its pclntab adds
 * inlined calls, file and line to perf's one name). Other frames keep perf's name.
 */
export function frameResolver(resolver: SymbolResolver): (raw: RawFrame) => Frame[] | null {
  return (raw) => {
    if (raw.symbol === '' || raw.symbol === '[unknown]') return resolver.resolve(raw);
    return resolver.isGoBinary(raw.dso) ? resolver.resolveNamed(raw) : null;
  };
}

/** What the resolver knows of every DSO the frames name (geometry and build-id for pprof mappings). */
export function binariesOf(frames: readonly Frame[], resolver: SymbolResolver): Map<string, BinaryInfo> {
  const out = new Map<string, BinaryInfo>();
  for (const f of frames) if (f.dso && !out.has(f.dso)) out.set(f.dso, resolver.binaryInfo(f.dso));
  return out;
}

/**
 * Each of perf's frames (as the parser keeps them) with what `resolve` makes
 * of it: the frames it stands for, or itself when resolve is null or gives null.
 */
export function expandFrames(raw: readonly Frame[], resolve: ((f: RawFrame) => Frame[] | null) | null): FrameExpansion {
  const frames: Frame[] = [];
  const start = new Int32Array(raw.length + 1);
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i];
    const got = resolve ? resolve({ addr: f.addr, symbol: f.named ? f.name : '[unknown]', offset: '', dso: f.dso }) : null;
    if (got?.length) for (const g of got) frames.push(g);
    else frames.push(f);
    start[i + 1] = frames.length;
  }
  return { frames, start };
}
