// A pprof profile of where the build's time went: package → compiler phase
// (or action mode), valued in wall and CPU nanoseconds. Two of these, from
// a base and a new build, make the pair for `go tool pprof -diff_base`.
import type { BuildModel } from '../model/types.ts';
import { actionDurationNs } from '../analyze/action-dag.ts';
import { phasesByPackage } from '../analyze/package-costs.ts';
import { PprofBuilder } from './pprof-builder.ts';

/** The build-time profile: stacks `phase ← package` (leaf first), values [wall ns, cpu ns]. */
export function buildTimePprof(model: BuildModel): PprofBuilder {
  const b = new PprofBuilder({
    sampleTypes: [['wall', 'nanoseconds'], ['cpu', 'nanoseconds']],
    defaultSampleType: 'wall',
    periodType: ['wall', 'nanoseconds'],
    period: 1,
    timeNanos: model.meta.startNs,
    durationNanos: model.meta.wallNs,
    comments: [`gbp build-time profile: ${model.meta.argv.join(' ')}`],
  });
  // Every location carries its function name: tell pprof not to re-symbolize.
  const mapping = b.mapping({ file: 'go-build', hasFunctions: true });
  const loc = (name: string) => b.location({ mapping, lines: [{ name }] });
  const phases = phasesByPackage(model);
  for (const a of model.actions) {
    const wall = actionDurationNs(a);
    const cpu = a.cmdUserNs + a.cmdSysNs;
    if (wall <= 0 && cpu <= 0) continue;
    const pkg = loc(a.package || `(${a.mode})`);
    const leaf = a.mode === 'build' ? phases.get(a.package)?.leaf : undefined;
    const parts = leaf ? Object.entries(leaf).filter(([, ns]) => ns > 0) : [];
    const inPhases = parts.reduce((s, [, ns]) => s + ns, 0);
    // Phases share the action's CPU in proportion to their time; what the
    // compiler does not time (asm, pack, cache checks) is "(other)".
    const scale = wall > 0 ? cpu / Math.max(wall, inPhases) : 0;
    for (const [ph, ns] of parts) b.sample([loc(ph), pkg], [ns, Math.round(ns * scale)], { mode: a.mode });
    const rest = Math.max(0, wall - inPhases);
    const restCpu = parts.length ? Math.round(rest * scale) : cpu;
    if (rest > 0 || restCpu > 0) b.sample([loc(parts.length ? `${a.mode} (other)` : a.mode), pkg], [rest, restCpu], { mode: a.mode });
  }
  return b;
}
