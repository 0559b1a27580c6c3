// `go list -json -deps PKGS`: a stream of concatenated JSON objects, one per
// package, dependencies before dependents. Roots are the packages named on
// the command line, which go list marks by leaving out `"DepOnly": true`.
//   {
//   	"Dir": "/usr/local/go/src/internal/goarch",
//   	"ImportPath": "internal/goarch",
//   	"Standard": true,
//   	"DepOnly": true,
//   	...
import type { PackageNode, Warning } from '../model/types.ts';
import { ENTRY } from '../bundle/format.ts';
import type { Input } from './input.ts';
import { jsonObjectBatches } from './json-stream.ts';
import { DEFAULT_MAX_WARNINGS, WarningSink } from './warnings.ts';

/** Options of parseGoList; defaults in DEFAULT_GO_LIST_OPTIONS. */
export interface GoListOptions {
  /** Entry name used in warnings. */
  entry: string;
  /** Import paths to mark as roots instead of trusting `DepOnly`. */
  roots: string[] | null;
  /** Warnings kept beyond which they are only counted. */
  maxWarnings: number;
}

/** Warnings name `go/list.json`; roots come from `DepOnly`; 1000 warnings kept. */
export const DEFAULT_GO_LIST_OPTIONS: GoListOptions = { entry: ENTRY.goList, roots: null, maxWarnings: DEFAULT_MAX_WARNINGS };

export interface GoListResult {
  packages: Map<string, PackageNode>;
  warnings: Warning[];
}

/** Cheap sniff: a JSON object stream whose objects carry `ImportPath`. */
export function detectGoList(head: string): boolean {
  return /^\s*\{/.test(head) && /"ImportPath"\s*:/.test(head);
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** Reads the package graph; malformed objects become warnings. */
export async function parseGoList(input: Input, opts: Partial<GoListOptions> = {}): Promise<GoListResult> {
  const o = { ...DEFAULT_GO_LIST_OPTIONS, ...opts };
  const sink = new WarningSink(o.entry, o.maxWarnings);
  const warn = sink.push;
  const packages = new Map<string, PackageNode>();
  const roots = o.roots ? new Set(o.roots) : null;
  for await (const batch of jsonObjectBatches(input, o.entry, warn)) for (const { value: p, line } of batch) {
    if (typeof p.ImportPath !== 'string' || !p.ImportPath) {
      warn({ entry: o.entry, line, message: 'package object without ImportPath; skipped' });
      continue;
    }
    const err = p.Error as { Err?: unknown } | undefined;
    if (err && typeof err === 'object') warn({ entry: o.entry, line, message: `package ${p.ImportPath}: ${String(err.Err ?? 'error')}` });
    if (packages.has(p.ImportPath)) warn({ entry: o.entry, line, message: `package ${p.ImportPath} listed twice; the last one wins` });
    const mod = p.Module as { Path?: unknown } | undefined;
    const node: PackageNode = {
      importPath: p.ImportPath,
      imports: strings(p.Imports),
      deps: strings(p.Deps),
      standard: p.Standard === true,
      goFiles: count(p.GoFiles),
      cgoFiles: count(p.CgoFiles),
      sFiles: count(p.SFiles),
      root: roots ? roots.has(p.ImportPath) : p.DepOnly !== true,
    };
    if (mod && typeof mod.Path === 'string') node.module = mod.Path;
    if (typeof p.Stale === 'boolean') node.stale = p.Stale;
    if (typeof p.StaleReason === 'string') node.staleReason = p.StaleReason;
    packages.set(node.importPath, node);
  }
  return { packages, warnings: sink.done() };
}
