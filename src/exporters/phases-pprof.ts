// DIR/phases.pb.gz: the compiler's own phase timings (`-gcflags=all=-bench`),
// stack `compile` → package → phase, so the flame graph of
// `go tool pprof -http` shows which phase dominates which package.
import type { BuildModel } from '../model/types.ts';
import { isAggregatePhase } from '../importers/compile-bench.ts';
import { PprofBuilder } from './pprof-builder.ts';

/** Builds the phases profile: one sample per (compile, leaf phase), value in ns. Roll-ups (`total`, `*:subtotal`) are left out: they would count twice. */
export function phasesProfile(model: BuildModel): PprofBuilder {
  const b = new PprofBuilder({
    sampleTypes: [['time', 'nanoseconds']],
    defaultSampleType: 'time',
    timeNanos: model.meta.startNs,
    durationNanos: model.meta.wallNs,
    comments: ['gbp phases: compile -bench timings per package and phase'],
  });
  const mapping = b.mapping({ file: 'gbp-phases', hasFunctions: true });
  const loc = (kind: string, name: string) => b.location({ mapping, lines: [{ name }] }, `${kind}\0${name}`);
  const root = loc('root', 'compile');
  for (const p of model.phases) {
    if (isAggregatePhase(p.phase)) continue;
    b.sample([loc('phase', p.phase), loc('pkg', p.package), root], [p.ns], { package: p.package, phase: p.phase });
  }
  return b;
}
