// Chart 2: an icicle (flame graph, root on top) of the CPU samples, rooted at
// tool → package so each package's compile is its own tower. A dropdown
// re-draws it for one tool. Frames narrower than a minimum share of the
// samples are hidden (their samples stay in their caller), which bounds the
// rows to roughly depth / minShare and keeps big profiles responsive.
import type { CpuProfile, Frame } from '../model/types.ts';
import { base, type ChartResult, type Row } from './common.ts';
import type { ChartContext } from './context.ts';

export const FLAME_QUESTION = 'Where did the CPU time go?';

/** Options of flameChart; defaults in DEFAULT_FLAME_OPTIONS. */
export interface FlameOptions {
  /** Hide frames with fewer than this share of the view's samples (0.001 = 0.1 %). */
  minShare: number;
  /** If the rows still exceed this, double minShare until they fit. */
  maxRows: number;
  /** Tools with at least this share of all samples get views of their own. */
  minToolShare: number;
  /** Chart width in px (labels are cut to what fits). */
  width: number;
}

/** Frames under 0.1% of the samples hidden, at most 12000 rows, a view per tool with 1% of the samples, 1080 px wide. */
export const DEFAULT_FLAME_OPTIONS: FlameOptions = { minShare: 0.001, maxRows: 12000, minToolShare: 0.01, width: 1080 };

interface Node {
  name: string;
  /** Interned name, for merging siblings. */
  label: number;
  kind: string;
  parent: number;
  depth: number;
  samples: number;
  period: number;
  children: number[];
}

/** The icicle spec over all tools and per tool, or why it cannot be drawn. */
export function flameChart(ctx: ChartContext, opts: Partial<FlameOptions> = {}): ChartResult {
  const o = { ...DEFAULT_FLAME_OPTIONS, ...opts };
  const name = 'flamegraph';
  const cpu = ctx.model.cpu;
  if (!cpu || cpu.totalSamples === 0) {
    return { name, question: FLAME_QUESTION, reason: 'the build has no CPU samples (perf was not recorded, or its samples could not be read)' };
  }
  const { nodes, merged } = buildTree(ctx, cpu);
  const total = nodes[0].samples;
  // Tools with a view of their own: the ones with a real share of the samples.
  const tools = nodes[0].children.filter((t) => nodes[t].samples >= o.minToolShare * total).sort((a, b) => nodes[b].samples - nodes[a].samples);
  const views: [number, string][] = [[0, 'all tools']];
  for (const t of tools) {
    views.push([t, nodes[t].name]);
    views.push([nodes[merged].children.find((m) => nodes[m].name === nodes[t].name)!, `${nodes[t].name}, packages merged`]);
  }
  let minShare = o.minShare;
  let rows: Row[];
  for (;;) {
    rows = views.flatMap(([root, view]) => [...layout(nodes, root, view, minShare, o.width)]);
    if (rows.length <= o.maxRows || minShare >= 0.05) break;
    minShare *= 2;
  }
  const timeUnit = cpu.event === 'cpu-clock' || cpu.event === 'task-clock';
  const maxDepth = rows.reduce((m, r) => Math.max(m, Number(r.depth)), 0);
  const minSamples = Math.ceil(minShare * total);
  const subtitle = [
    `${nodes[0].samples.toLocaleString('en-US')} samples of ${cpu.event}, rooted at tool → package → call stack (callers above callees); width = share of samples.`,
    `Frames under ${(minShare * 100).toFixed(2)} % of the view's samples (${minSamples.toLocaleString('en-US')} in the all-tools view) are hidden; their samples stay in the caller.`,
    `Pick a view below: one tool by package, or with its packages merged (tools under ${o.minToolShare * 100} % of the samples have no view of their own). Drag to pan, wheel to zoom.`,
  ];
  const spec = {
    ...base(`Flame graph — ${FLAME_QUESTION}`, subtitle),
    width: o.width,
    // The y domain follows the view picked, so a shallow view gets tall rows.
    height: Math.min(900, Math.max(240, (maxDepth + 1) * 12)),
    data: { values: rows },
    params: [
      { name: 'flame_tool', value: 'all tools', bind: { input: 'select' as const, options: views.map((v) => v[1]), name: 'view: ' } },
    ],
    transform: [{ filter: 'datum.view === flame_tool' }],
    encoding: {
      x: { field: 'x0', type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: { format: '.0%', title: 'share of samples', orient: 'top' as const } },
      y: { field: 'depth', type: 'quantitative' as const, scale: { reverse: true, nice: false, zero: true }, axis: null },
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

/**
 * Merges the sample trie into two trees: node 0 is tool → package → frames
 * (outermost first); the node `merged` is tool → frames, every package of a
 * tool folded together. Frames with the same label under one parent merge
 * (e.g. `[unknown]` frames of one DSO).
 */
function buildTree(ctx: ChartContext, cpu: CpuProfile): { nodes: Node[]; merged: number } {
  const byPid = new Map<number, { tool: string; pkg: string }>();
  for (const inv of ctx.model.invocations) byPid.set(inv.pid, { tool: inv.tool, pkg: inv.importPath || `(${inv.tool})` });
  const nodes: Node[] = [];
  const labelIds = new Map<string, number>();
  const add = (name: string, label: number, kind: string, parent: number): number => {
    const id = nodes.push({ name, label, kind, parent, depth: parent < 0 ? 0 : nodes[parent].depth + 1, samples: 0, period: 0, children: [] }) - 1;
    if (parent >= 0) nodes[parent].children.push(id);
    return id;
  };
  const labelOf = (name: string): number => {
    let l = labelIds.get(name);
    if (l === undefined) labelIds.set(name, (l = labelIds.size));
    return l;
  };
  // Children are few per node, so a scan beats a Map per node (250k Maps cost seconds in GC).
  const child = (p: number, name: string, label: number, kind: string): number => {
    for (const c of nodes[p].children) if (nodes[c].label === label) return c;
    return add(name, label, kind, p);
  };
  const named = (p: number, name: string, kind: string) => child(p, name, labelOf(name), kind);
  const root = add('all', -1, 'tool', -1);
  const merged = add('all', -1, 'tool', -1);
  const frameNames = cpu.frames.map(frameLabel);
  const frameLabels = frameNames.map(labelOf);
  const frameKinds = cpu.frames.map(frameKind);
  // trie node → tree node for the current top node (a package or a tool), so
  // stacks shared by many samples are walked once. Groups are visited pid by
  // pid; a generation stamp per slot makes "clearing" the memo free.
  const memoNode = [new Int32Array(cpu.stackFrame.length), new Int32Array(cpu.stackFrame.length)];
  const memoGen = [new Int32Array(cpu.stackFrame.length), new Int32Array(cpu.stackFrame.length)];
  const path: number[] = [];
  const mapped = (which: 0 | 1, gen: number, top: number, trie: number): number => {
    const mn = memoNode[which];
    const mg = memoGen[which];
    path.length = 0;
    let at = top;
    for (let t = trie; t > 0; t = cpu.stackParent[t]) {
      if (mg[t] === gen) {
        at = mn[t];
        break;
      }
      path.push(t);
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const f = cpu.stackFrame[path[i]];
      at = child(at, frameNames[f], frameLabels[f], frameKinds[f]);
      mn[path[i]] = at;
      mg[path[i]] = gen;
    }
    return at;
  };
  const credit = (leaf: number, count: number, period: number) => {
    // Inclusive counts: every node on the path gets the sample.
    for (let n = leaf; n >= 0; n = nodes[n].parent) {
      nodes[n].samples += count;
      nodes[n].period += period;
    }
  };
  // A pid's comm can change at exec (`go` becomes `compile`), so (pid, comm) picks the top.
  const order = cpu.groups.map((_, i) => i).sort((a, b) => cpu.groups[a].pid - cpu.groups[b].pid || (cpu.groups[a].comm < cpu.groups[b].comm ? -1 : cpu.groups[a].comm > cpu.groups[b].comm ? 1 : a - b));
  let gen = 0;
  let pid = NaN;
  let comm = '';
  let top: [number, number] = [0, 0];
  for (const i of order) {
    const g = cpu.groups[i];
    if (g.pid !== pid || g.comm !== comm) {
      pid = g.pid;
      comm = g.comm;
      gen++;
      const who = byPid.get(g.pid) ?? { tool: g.comm || 'other', pkg: `(pid ${g.pid})` };
      top = [named(named(root, who.tool, 'tool'), who.pkg, 'package'), named(merged, who.tool, 'tool')];
    }
    credit(mapped(0, gen, top[0], g.stack), g.count, g.period);
    credit(mapped(1, gen, top[1], g.stack), g.count, g.period);
  }
  return { nodes, merged };
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
    const chars = Math.floor((share * width - 4) / 6);
    // Frames show the symbol without its import path (`ssa.(*Func).fuse`); the tooltip has it all.
    const short = node.depth - base > 0 && node.kind !== 'tool' && node.kind !== 'package' ? node.name.slice(node.name.lastIndexOf('/', node.name.indexOf('.') < 0 ? undefined : node.name.indexOf('.')) + 1) : node.name;
    yield {
      view,
      depth: node.depth - base,
      depth1: node.depth - base + 1,
      x0: round6(x0),
      x1: round6(x0 + share),
      name: node.name,
      label: chars >= 3 ? (short.length <= chars ? short : `${short.slice(0, chars - 1)}…`) : '',
      kind: node.kind,
      tool: tool(n),
      package: pkgOf(n),
      samples: node.samples,
      share: round6(share),
      cpu_ms: Math.round(node.period / 1e3) / 1e3,
    };
    let x = x0;
    for (const c of [...node.children].sort((p, q) => (nodes[p].name < nodes[q].name ? -1 : nodes[p].name > nodes[q].name ? 1 : 0))) {
      const s = nodes[c].samples / total;
      if (s >= minShare) stack.push([c, x]);
      x += s;
    }
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
