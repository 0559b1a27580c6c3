// Writes the pprof files of a loaded build into an output folder: what
// `gbp pprof BUNDLE -o DIR` produces. Files with nothing to show are skipped
// (and named in the result) rather than written empty.
import type { BuildModel } from '../model/types.ts';
import type { OutputDir } from './output-dir.ts';
import { stagesProfile } from './stages-pprof.ts';
import { phasesProfile } from './phases-pprof.ts';
import type { PprofBuilder } from './pprof-builder.ts';
import { buildCpuPprof } from './pprof-cpu.ts';

/** What writePprofFiles wrote and what it skipped (with why). */
export interface PprofFilesResult {
  /** Paths written, absolute. */
  written: string[];
  /** File name → why it was not written. */
  skipped: Record<string, string>;
}

/**
 * Writes stages.pb.gz, phases.pb.gz and cpu.pb.gz (and any `extra` profiles) into `out`; a file with nothing to show is skipped with a reason.
 * Profiles built elsewhere (e.g. cpu.pb.gz from perf samples) can be passed in to be written alongside. */
export async function writePprofFiles(model: BuildModel, out: OutputDir, extra: Record<string, PprofBuilder | string> = {}): Promise<PprofFilesResult> {
  const res: PprofFilesResult = { written: [], skipped: {} };
  const stages = stagesProfile(model);
  const candidates: Record<string, PprofBuilder | string> = {
    ...extra,
    'stages.pb.gz': stages.sampleCount ? stages : 'no tool runs (neither a toolexec log nor an action graph with commands)',
    'phases.pb.gz': model.phases.length ? phasesProfile(model) : 'no compiler phase timings (go/compile-bench.txt absent or empty)',
    'cpu.pb.gz': model.cpu?.totalSamples
      ? buildCpuPprof(model.cpu, model.invocations, { timeNanos: model.meta.startNs, durationNanos: model.meta.wallNs })
      : 'no perf samples (perf/script.txt.gz absent or empty)',
  };
  for (const [name, p] of Object.entries(candidates)) {
    if (typeof p === 'string') res.skipped[name] = p;
    else res.written.push(await out.write(name, await p.encodeGzip()));
  }
  return res;
}
