// Import-graph metrics from `go list -deps`: how deep each package sits, how
// much hangs below it, who imports it and why it is built at all.
import type { BuildModel, PackageNode } from '../model/types.ts';

/** One package's place in the import graph: depth, height, fan-in/out, dependents, why-chain. */
export interface PackageGraphMetrics {
  importPath: string;
  /** Longest import chain from a root down to this package (roots are 0). */
  depth: number;
  /** Longest import chain from this package down to a leaf (leaves are 0). */
  height: number;
  /** Packages in the build that import this one directly. */
  fanIn: number;
  /** Packages in the build this one imports directly. */
  fanOut: number;
  /** Packages in the build that import this one directly or indirectly. */
  transitiveDependents: number;
  /** Shortest import chain from a root to this package: why it is built. */
  chain: string[];
  /**
   * Set when no import statement leads here but the go command adds the
   * package anyway (runtime/cgo for cgo code, runtime pieces for a link):
   * the package whose Deps hold it although none of its imports' Deps do.
   */
  implicitlyImportedBy?: string;
}

/** Import-graph metrics of every package of the build, with its roots. */
export interface GraphMetrics {
  roots: string[];
  packages: Map<string, PackageGraphMetrics>;
  /** Longest depth seen (the number of levels is maxDepth + 1). */
  maxDepth: number;
  /** Packages not reachable from any root (kept, with depth −1 and an empty chain). */
  unreachable: string[];
}

/** Depth, height, fan-in/out, transitive dependents and "why" chains for every package. */
export function graphMetrics(model: Pick<BuildModel, 'packages'>): GraphMetrics {
  const pkgs = [...model.packages.values()];
  const n = pkgs.length;
  const idx = new Map<string, number>();
  pkgs.forEach((p, i) => idx.set(p.importPath, i));
  // Edges only between packages the build knows; `C` and unresolved imports drop out.
  const out: number[][] = pkgs.map((p) => uniq(p.imports.map((x) => idx.get(x)).filter((j): j is number => j !== undefined && j !== idx.get(p.importPath))));
  const inn: number[][] = Array.from({ length: n }, () => []);
  out.forEach((js, i) => js.forEach((j) => inn[j].push(i)));

  let rootIdx = pkgs.map((p, i) => (p.root ? i : -1)).filter((i) => i >= 0);
  // Without flagged roots, the packages nothing imports are what was asked for.
  if (rootIdx.length === 0) rootIdx = pkgs.map((_, i) => i).filter((i) => inn[i].length === 0);

  // Fan-in/out count real imports only; depth, height and chains also follow
  // the implicit ones (a cgo package's runtime/cgo, a link's runtime pieces).
  const fanIn = inn.map((x) => x.length);
  const fanOut = out.map((x) => x.length);
  const implicit = addImplicitImports(pkgs, idx, rootIdx, out, inn);

  // Importers before importees: a topological order of the import graph.
  const order = topo(out, inn);
  const onCycle = order.length < n; // go list refuses cycles; be safe anyway
  const seq = onCycle ? [...order, ...pkgs.map((_, i) => i).filter((i) => !order.includes(i))] : order;

  const depth = new Array<number>(n).fill(-1);
  for (const r of rootIdx) depth[r] = 0;
  for (const i of seq) {
    if (depth[i] < 0) continue;
    for (const j of out[i]) if (depth[i] + 1 > depth[j]) depth[j] = depth[i] + 1;
  }
  const height = new Array<number>(n).fill(0);
  for (let k = seq.length - 1; k >= 0; k--) {
    const i = seq[k];
    for (const j of out[i]) if (height[j] + 1 > height[i]) height[i] = height[j] + 1;
  }

  // Transitive dependents as bitsets, filled importers-first.
  const words = (n + 31) >>> 5;
  const dependents = new Uint32Array(n * words);
  for (const i of seq) {
    const base = i * words;
    for (const j of out[i]) {
      const jb = j * words;
      for (let w = 0; w < words; w++) dependents[jb + w] |= dependents[base + w];
      dependents[jb + (i >>> 5)] |= 1 << (i & 31);
    }
  }

  // Shortest chains: BFS from all roots at once, importers visited in order.
  const prev = new Array<number>(n).fill(-2);
  const queue: number[] = [];
  for (const r of rootIdx) {
    prev[r] = -1;
    queue.push(r);
  }
  for (let k = 0; k < queue.length; k++) {
    const i = queue[k];
    for (const j of out[i]) {
      if (prev[j] !== -2) continue;
      prev[j] = i;
      queue.push(j);
    }
  }

  const metrics = new Map<string, PackageGraphMetrics>();
  const unreachable: string[] = [];
  let maxDepth = 0;
  pkgs.forEach((p, i) => {
    const chain: string[] = [];
    if (prev[i] !== -2) for (let v = i; v !== -1; v = prev[v]) chain.push(pkgs[v].importPath);
    chain.reverse();
    if (depth[i] < 0) unreachable.push(p.importPath);
    if (depth[i] > maxDepth) maxDepth = depth[i];
    metrics.set(p.importPath, {
      importPath: p.importPath,
      depth: depth[i],
      height: height[i],
      fanIn: fanIn[i],
      fanOut: fanOut[i],
      transitiveDependents: popcount(dependents, i * words, words),
      chain,
      ...(implicit.has(i) ? { implicitlyImportedBy: pkgs[implicit.get(i)!].importPath } : {}),
    });
  });
  return { roots: rootIdx.map((i) => pkgs[i].importPath), packages: metrics, maxDepth, unreachable };
}

/**
 * Packages in the roots' Deps that no import chain reaches get an edge from
 * the package that needs them: the one whose Deps hold them although none of
 * its imports' Deps do (deepest such one). Mutates out/inn; returns child → parent.
 */
function addImplicitImports(pkgs: PackageNode[], idx: Map<string, number>, roots: number[], out: number[][], inn: number[][]): Map<number, number> {
  const added = new Map<number, number>();
  const depsOf = pkgs.map((p) => new Set(p.deps));
  // Only packages some root needs can be attached; their candidate parents
  // are the packages whose Deps name them.
  const needed = new Set<number>();
  for (const r of roots) for (const d of pkgs[r].deps) if (idx.has(d)) needed.add(idx.get(d)!);
  const holders = new Map<number, number[]>();
  pkgs.forEach((p, pi) => {
    for (const d of p.deps) {
      const xi = idx.get(d);
      if (xi === undefined || !needed.has(xi)) continue;
      const l = holders.get(xi) ?? [];
      l.push(pi);
      holders.set(xi, l);
    }
  });
  for (;;) {
    const seen = new Uint8Array(pkgs.length);
    const stack = [...roots];
    roots.forEach((r) => (seen[r] = 1));
    while (stack.length) for (const j of out[stack.pop()!]) if (!seen[j]) (seen[j] = 1), stack.push(j);
    let changed = false;
    for (const xi of needed) {
      if (seen[xi] || added.has(xi)) continue;
      const x = pkgs[xi];
      let parent = -1;
      for (const pi of holders.get(xi) ?? []) {
        if (!seen[pi]) continue;
        if (out[pi].some((q) => depsOf[q].has(x.importPath) || q === xi)) continue;
        // Prefer the package with the fewest deps of its own: the one nearest the leaf.
        if (parent < 0 || depsOf[pi].size < depsOf[parent].size) parent = pi;
      }
      if (parent < 0) continue;
      out[parent].push(xi);
      inn[xi].push(parent);
      added.set(xi, parent);
      changed = true;
    }
    if (!changed) return added;
  }
}

/** The package's import chain, or `[pkg]` when the package is not in the graph. */
export function chainOf(g: GraphMetrics, pkg: string): string[] {
  return g.packages.get(pkg)?.chain ?? (pkg ? [pkg] : []);
}

function topo(out: number[][], inn: number[][]): number[] {
  const pending = inn.map((x) => x.length);
  const order: number[] = [];
  for (let i = 0; i < pending.length; i++) if (pending[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) for (const j of out[order[k]]) if (--pending[j] === 0) order.push(j);
  return order;
}

function uniq(xs: number[]): number[] {
  return [...new Set(xs)];
}

function popcount(bits: Uint32Array, off: number, words: number): number {
  let c = 0;
  for (let w = 0; w < words; w++) {
    let v = bits[off + w];
    v = v - ((v >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    c += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return c;
}

