// DIR/stages.pb.gz: one sample per tool run, stack `go build` → tool →
// package, so `go tool pprof -top -sample_index=peak_rss stages.pb.gz`
// ranks packages by memory and the flame graph splits CPU by tool.
import type { BuildModel } from '../model/types.ts';
import { runCosts, type RunCost } from '../analyze/run-costs.ts';
import { PprofBuilder } from './pprof-builder.ts';

/** Sample types of stages.pb.gz, in order; `wall` is the default. */
export const STAGES_SAMPLE_TYPES: [string, string][] = [
  ['wall', 'nanoseconds'],
  ['cpu', 'nanoseconds'],
  ['peak_rss', 'bytes'],
  ['read', 'bytes'],
  ['write', 'bytes'],
];

/** The root frame of every stack. */
export const ROOT_FRAME = 'go build';
/** The package frame of runs that name no package (e.g. `gcc -###` probes go runs through toolexec). */
export const NO_PACKAGE = '(no package)';

/** Builds the stages profile from the model (runCosts picks each number's source). */
export function stagesProfile(model: BuildModel, runs: RunCost[] = runCosts(model)): PprofBuilder {
  const b = new PprofBuilder({
    sampleTypes: STAGES_SAMPLE_TYPES,
    defaultSampleType: 'wall',
    timeNanos: model.meta.startNs,
    durationNanos: model.meta.wallNs,
    comments: [`gbp stages: one sample per tool run of ${model.meta.argv.join(' ') || 'the build'}`],
  });
  // Frames are names, not addresses: one mapping that says so, so pprof never re-symbolizes.
  const mapping = b.mapping({ file: 'gbp-stages', hasFunctions: true });
  const loc = (kind: string, name: string) => b.location({ mapping, lines: [{ name }] }, `${kind}\0${name}`);
  const root = loc('root', ROOT_FRAME);
  for (const r of runs) {
    const pkg = r.package || NO_PACKAGE;
    b.sample([loc('pkg', pkg), loc('tool', r.tool), root], [r.wallNs, r.cpuNs, r.peakRssBytes, r.readBytes, r.writeBytes], {
      tool: r.tool,
      package: r.package,
      pid: r.pid ?? undefined,
      cpu_source: r.cpuSource,
    });
  }
  return b;
}
