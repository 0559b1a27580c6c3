// Hand-made BuildModels for the analysis tests: small DAGs whose critical
// path, slack and schedule can be worked out on paper.
import type { Action, BuildModel, PackageNode } from '../src/model/types.ts';

export interface SynAction {
  id: number;
  mode?: string;
  pkg?: string;
  deps?: number[];
  priority: number;
  start: number;
  dur: number;
  /** Defaults to start (no queue wait). */
  ready?: number;
}

export function synModel(opts: {
  packages: Array<{ path: string; imports?: string[]; root?: boolean }>;
  actions: SynAction[];
  wallNs?: number;
  cores?: number;
  argv?: string[];
}): BuildModel {
  const packages = new Map<string, PackageNode>();
  for (const p of opts.packages) {
    packages.set(p.path, {
      importPath: p.path, imports: p.imports ?? [], deps: [], standard: false,
      goFiles: 1, cgoFiles: 0, sFiles: 0, root: !!p.root,
    });
  }
  const actions: Action[] = opts.actions.map((a) => ({
    id: a.id, mode: a.mode ?? 'build', package: a.pkg ?? '', deps: a.deps ?? [], priority: a.priority, needBuild: true,
    ready: a.ready ?? a.start, start: a.start, done: a.start + a.dur,
    cmdRealNs: a.dur, cmdUserNs: a.dur, cmdSysNs: 0, cmdCount: 1,
  }));
  const end = Math.max(...actions.map((a) => a.done ?? 0));
  return {
    meta: {
      argv: opts.argv ?? ['go', 'build', './...'], exitCode: 0, startNs: '0', wallNs: opts.wallNs ?? end, goVersion: 'go1.26',
      goEnv: {}, host: { kernel: 'test', cores: opts.cores ?? 2, memoryBytes: 1 << 30, clkTck: 100, pageSize: 4096 },
      perfEvent: null, incomplete: false, collectors: {},
    },
    packages, actions, invocations: [], processes: new Map(), phases: [], cpu: null, trace: [],
    output: { stdout: '', stderr: '' }, warnings: [],
  };
}

/**
 * main imports a and b; a and b import c. Durations: c 20, a 30, b 10,
 * main compile 5, main link 10. Times are as a 2-worker run would give,
 * starting at 1000. Priorities are the go command's post-order.
 */
export function diamond(): BuildModel {
  return synModel({
    packages: [
      { path: 'main', imports: ['a', 'b'], root: true },
      { path: 'a', imports: ['c'] },
      { path: 'b', imports: ['c'] },
      { path: 'c' },
    ],
    actions: [
      { id: 0, mode: 'go build', deps: [1], priority: 5, start: 1065, dur: 0 },
      { id: 1, mode: 'link', pkg: 'main', deps: [2, 3, 4, 5], priority: 4, start: 1055, dur: 10 },
      { id: 2, pkg: 'main', deps: [3, 4], priority: 3, start: 1050, dur: 5 },
      { id: 3, pkg: 'a', deps: [5], priority: 1, start: 1020, dur: 30 },
      { id: 4, pkg: 'b', deps: [5], priority: 2, start: 1020, dur: 10 },
      { id: 5, pkg: 'c', priority: 0, start: 1000, dur: 20 },
    ],
    wallNs: 1100,
  });
}
