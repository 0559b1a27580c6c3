// Chart 2: an icicle (flame graph, root on top) of the CPU samples, rooted at
// tool → package so each package's compile is its own tower. A dropdown
// re-draws it for one tool. Frames narrower than a minimum share of the
// samples are hidden (their samples stay in their caller), which bounds the
// rows to roughly depth / minShare and keeps big profiles responsive.
import type { CpuProfile, Frame } from '../model/types.ts';
import { base, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const FLAME_QUESTION = 'Where did the CPU time go?';

export interface FlameOptions {
  /** Hide frames with fewer than this share of the view's samples (0.001 = 0.1 %). */
  minShare: number;
  /** If the rows still exceed this, double minShare until they fit. */
  maxRows: number;
  /** Chart width in px (labels are cut to what fits). */
  width: number;
}

export const DEFAULT_FLAME_OPTIONS: FlameOptions = { minShare: 0.001, maxRows: 8000, width: 1080 };

interface Node {
  name: string;
  kind: string;
  parent: number;
  depth: number;
  samples: number;
  period: number;
  children: Map<string, number>;
}

/** The icicle spec over all tools and per tool, or why it cannot be drawn. */
export function flameChart(ctx: ChartContext, opts: Partial<FlameOptions> = {}): ChartResult {
  const o = { ...DEFAULT_FLAME_OPTIONS, ...opts };
  const name = 'flamegraph';
  const cpu = ctx.model.cpu;
  if (!cpu || cpu.totalSamples === 0) {
    return { name, question: FLAME_QUESTION, reason: 'the build has no CPU samples (perf was not recorded, or its samples could not be read)' };
  }
  const nodes = buildTree(ctx, cpu);
  const tools = [...nodes[0].children.keys()].sort();
  let minShare = o.minShare;
  let rows: Row[];
  for (;;) {
    rows = [...layout(nodes, 0, 'all tools', minShare, o.width)];
    for (const t of tools) rows.push(...layout(nodes, nodes[0].children.get(t)!, t, minShare, o.width));
    if (rows.length <= o.maxRows || minShare >= 0.05) break;
    minShare *= 2;
  }
  const timeUnit = cpu.event === 'cpu-clock' || cpu.event === 'task-clock';
  const maxDepth = Math.max(...rows.map((r) => Number(r.depth)));
  const minSamples = Math.ceil(minShare * nodes[0].samples);
  const subtitle = [
    `${nodes[0].samples.toLocaleString('en-US')} samples of ${cpu.event}, rooted at tool → package → call stack (callers above callees); width = share of samples.`,
    `Frames under ${(minShare * 100).toFixed(2)} % of the view's samples (${minSamples.toLocaleString('en-US')} of all) are hidden; their samples stay in the caller. Pick a tool below; drag to pan, wheel to zoom.`,
  ];
  const spec = {
    ...base(`Flame graph — ${FLAME_QUESTION}`, subtitle),
    width: o.width,
    height: Math.min(1800, (maxDepth + 1) * 15),
    data: { values: rows },
    params: [
      { name: 'flame_tool', value: 'all tools', bind: { input: 'select' as const, options: ['all tools', ...tools], name: 'tool: ' } },
    ],
    transform: [{ filter: 'datum.view === flame_tool' }],
    encoding: {
      x: { field: 'x0', type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: { format: '.0%', title: 'share of samples', orient: 'top' as const } },
      y: { field: 'depth', type: 'quantitative' as const, scale: { domain: [0, maxDepth + 1], reverse: true, nice: false, zero: true }, axis: null },
    },
    layer: [
      {
        // A selection must live in one unit view of the layer.
        params: [{ name: 'flame_zoom', select: { type: 'interval' as const, encodings: ['x' as const] }, bind: 'scales' as const }],
        mark: { type: 'rect' as const, stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x2: { field: 'x1' },
          y2: { field: 'depth1' },
          color: {
            field: 'kind',
            type: 'nominal' as const,
            title: 'frame kind',
            scale: {
              domain: ['tool', 'package', 'compiler', 'linker', 'Go runtime', 'other Go', 'kernel', 'unknown'],
              range: ['#9e9ac8', '#bcbddc', '#fdae6b', '#fd8d3c', '#74c476', '#fdd0a2', '#e377c2', '#c7c7c7'],
            },
          },
          tooltip: [
            { field: 'name', title: 'frame' },
            { field: 'tool', title: 'tool' },
            { field: 'package', title: 'package' },
            { field: 'samples', title: 'samples', format: ',' },
            { field: 'share', title: 'share of view', format: '.2%' },
            ...(timeUnit ? [{ field: 'cpu_ms', title: 'CPU (ms)', format: ',.1f' }] : []),
          ],
        },
      },
      {
        mark: { type: 'text' as const, align: 'left' as const, baseline: 'middle' as const, dx: 3, dy: 7, fontSize: 10, clip: true },
        encoding: { text: { field: 'label' } },
      },
    ],
  };
  return { name, question: FLAME_QUESTION, spec: spec as never, rows };
}

/** Merges the sample trie into tool → package → frames (outermost first). */
function buildTree(ctx: ChartContext, cpu: CpuProfile): Node[] {
  const byPid = new Map<number, { tool: string; pkg: string }>();
  for (const inv of ctx.model.invocations) byPid.set(inv.pid, { tool: inv.tool, pkg: inv.importPath || `(${inv.tool})` });
  const nodes: Node[] = [{ name: 'all', kind: 'tool', parent: -1, depth: 0, samples: 0, period: 0, children: new Map() }];
  const child = (p: number, name: string, kind: string): number => {
    let id = nodes[p].children.get(name);
    if (id === undefined) {
      id = nodes.push({ name, kind, parent: p, depth: nodes[p].depth + 1, samples: 0, period: 0, children: new Map() }) - 1;
      nodes[p].children.set(name, id);
    }
    return id;
  };
  // (package node, trie node) → merged node, so shared stacks are walked once.
  const memo = new Map<string, number>();
  const mapped = (top: number, trie: number): number => {
    if (trie <= 0) return top;
    const key = `${top}:${trie}`;
    let id = memo.get(key);
    if (id === undefined) {
      const f = cpu.frames[cpu.stackFrame[trie]];
      id = child(mapped(top, cpu.stackParent[trie]), frameLabel(f), frameKind(f));
      memo.set(key, id);
    }
    return id;
  };
  for (const g of cpu.groups) {
    const who = byPid.get(g.pid) ?? { tool: g.comm || 'other', pkg: `(pid ${g.pid})` };
    const top = child(child(0, who.tool, 'tool'), who.pkg, 'package');
    const leaf = mapped(top, g.stack);
    // Inclusive counts: every node on the path gets the sample.
    for (let n = leaf; n >= 0; n = nodes[n].parent) {
      nodes[n].samples += g.count;
      nodes[n].period += g.period;
    }
  }
  return nodes;
}

function frameLabel(f: Frame): string {
  if (f.named) return f.name;
  const dso = f.dso.split('/').pop() || f.dso;
  return `[unknown] ${dso}`;
}

function frameKind(f: Frame): string {
  if (!f.named) return 'unknown';
  if (f.dso.startsWith('[kernel')) return 'kernel';
  if (f.name.startsWith('runtime.')) return 'Go runtime';
  if (f.name.startsWith('cmd/compile/')) return 'compiler';
  if (f.name.startsWith('cmd/link/')) return 'linker';
  return 'other Go';
}

/** Rows of one view: the subtree under `root`, x in [0,1] of its samples, children alphabetical. */
function* layout(nodes: Node[], root: number, view: string, minShare: number, width: number): Generator<Row> {
  const total = nodes[root].samples;
  if (total === 0) return;
  const base = nodes[root].depth;
  const tool = (n: number): string => {
    let t = n;
    while (nodes[t].depth > 1) t = nodes[t].parent;
    return nodes[t].depth === 1 ? nodes[t].name : '';
  };
  const pkgOf = (n: number): string => {
    let t = n;
    while (nodes[t].depth > 2) t = nodes[t].parent;
    return nodes[t].depth === 2 ? nodes[t].name : '';
  };
  const stack: [number, number][] = [[root, 0]];
  while (stack.length) {
    const [n, x0] = stack.pop()!;
    const node = nodes[n];
    const share = node.samples / total;
    const px = share * width;
    const chars = Math.floor((px - 4) / 6);
    yield {
      view,
      depth: node.depth - base,
      depth1: node.depth - base + 1,
      x0,
      x1: x0 + share,
      name: node.name,
      label: chars >= 3 ? (node.name.length <= chars ? node.name : `${node.name.slice(0, chars - 1)}…`) : '',
      kind: node.kind,
      tool: tool(n),
      package: pkgOf(n),
      samples: node.samples,
      share,
      cpu_ms: Math.round(node.period / 1e3) / 1e3,
    };
    let x = x0;
    for (const key of [...node.children.keys()].sort()) {
      const c = node.children.get(key)!;
      const s = nodes[c].samples / total;
      if (s >= minShare) stack.push([c, x]);
      x += s;
    }
  }
}
