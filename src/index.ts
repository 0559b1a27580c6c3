// The library API: everything the CLI uses, usable without it (nothing here
// reaches src/cli/). Import it from TypeScript, or from JavaScript (ESM) run
// with `node --import tsx` or Deno; see the README's "Library API" section.
// Every export carries TSDoc: test/library-api.test.ts checks that.
export * from './errors.ts';
export * from './model/types.ts';
export * from './bundle/format.ts';
export { openBundle, DEFAULT_READ_OPTIONS, type Bundle, type ReadOptions } from './bundle/reader.ts';
export { createBundleWriter, type BundleWriter } from './bundle/writer.ts';
export { summarizeBundle, type BundleSummary } from './bundle/summary.ts';
export { startCapture, DEFAULT_CAPTURE_OPTIONS, type CaptureOptions, type CaptureHooks, type CaptureHandle, type CaptureResult, type CaptureProgress } from './capture/capture.ts';
export { prepareOutputDir, type OutputDir } from './exporters/output-dir.ts';
export { PprofBuilder, PprofLabelSet, toAddr, type PprofLabels, type PprofBuilderOptions, type PprofValueType, type PprofMappingInput, type PprofLineInput, type PprofLocationInput, type PprofLabelValue } from './exporters/pprof-builder.ts';
export * from './exporters/jupyter.ts';
export { escapeHtml, jsonForScript } from './exporters/html-escape.ts';
export { loadBuild, detectRawFormat, DEFAULT_LOAD_OPTIONS, type LoadOptions, type RawFormat } from './importers/index.ts';
export { parseGoList, detectGoList, DEFAULT_GO_LIST_OPTIONS, type GoListOptions } from './importers/go-list.ts';
export { parseActionGraph, detectActionGraph, DEFAULT_ACTION_GRAPH_OPTIONS, type ActionGraphOptions } from './importers/actiongraph.ts';
export { parseToolexecLog, detectToolexecLog, DEFAULT_TOOLEXEC_LOG_OPTIONS, type ToolexecLogOptions } from './importers/toolexec-log.ts';
export { parseProcSnapshots, detectProcSnapshots, DEFAULT_PROC_SNAPSHOTS_OPTIONS, type ProcSnapshotsOptions } from './importers/proc-snapshots.ts';
export { parseCompileBench, detectCompileBench, isAggregatePhase, DEFAULT_COMPILE_BENCH_OPTIONS, type CompileBenchOptions } from './importers/compile-bench.ts';
export { parseGoTrace, detectGoTrace, DEFAULT_GO_TRACE_OPTIONS, type GoTraceOptions } from './importers/go-trace.ts';
export { processOf, actionModesForTool } from './importers/join.ts';
export { runCosts, DEFAULT_RUN_COST_OPTIONS, type RunCost, type RunCostOptions } from './analyze/run-costs.ts';
export { modelFacts, type ModelFacts } from './analyze/model-facts.ts';
export { stagesProfile, STAGES_SAMPLE_TYPES } from './exporters/stages-pprof.ts';
export { phasesProfile } from './exporters/phases-pprof.ts';
export { writePprofFiles, type PprofFilesResult } from './exporters/pprof-files.ts';
export { fileInput, type Input } from './importers/input.ts';
export { buildActionDag, actionDurationNs, goPriorities, buildWorkers, type ActionDag } from './analyze/action-dag.ts';
export { graphMetrics, type GraphMetrics, type PackageGraphMetrics } from './analyze/graph-metrics.ts';
export { packageCosts, type PackageCost } from './analyze/package-costs.ts';
export { stageAnalysis, type StageAnalysis, type PackageStage, type DepthLevel } from './analyze/stages.ts';
export { criticalPath, parallelismOverTime, type CriticalPath, type CriticalStep, type ActionTiming, type CriticalPathOptions, type ParallelismProfile } from './analyze/critical-path.ts';
export { simulate, matchPackage, DEFAULT_SIMULATE_OPTIONS, type SimulateOptions, type Simulation, type SimulatedRun, type ScheduledAction, type FasterRule, type CutRule } from './analyze/simulate.ts';
export { diffBuilds, DEFAULT_DIFF_OPTIONS, type DiffOptions, type BuildDiff, type MetricDelta, type PackageDelta, type Verdict } from './analyze/diff.ts';
export { analyzeBuild, type BuildAnalysis, type BuildSummary } from './analyze/summary.ts';
export { symbolCoverage, type SymbolCoverage } from './analyze/symbol-coverage.ts';
export { csvTables, tableToCsv, writeCsvTables, type CsvTable } from './exporters/csv.ts';
export {
  parsePerfScript,
  parsePerfScriptFile,
  parsePerfScriptStacks,
  detectPerfScript,
  parseEventLine,
  parseFrame,
  PerfScriptParser,
  DEFAULT_PERF_SCRIPT_OPTIONS,
  type PerfScriptOptions,
  type PerfScriptResult,
  type PerfScriptStacks,
  type RawFrame,
  type EventLine,
} from './importers/perf-script.ts';
export { CpuProfileBuilder, DEFAULT_CPU_PROFILE_BUILDER_OPTIONS, type CpuProfileBuilderOptions, type CpuProfileState, type FrameExpansion } from './model/cpu-profile-builder.ts';
export { buildCpuPprof, encodeCpuPprof, periodValueType, invocationsByPid, cpuProfileNotes, type CpuPprofOptions } from './exporters/pprof-cpu.ts';
export { buildCpuPprofFromStacks, type StacksPprof } from './exporters/pprof-cpu-stacks.ts';
export { expandFrames, frameResolver } from './importers/symbolize.ts';
export { UnwindGarbageTrimmer, isGoRootFunction, isUnmappedFrame } from './importers/unwind-garbage.ts';
export { chromeTrace, procCounters, DEFAULT_TRACE_OPTIONS, type TraceOptions, type TraceEvent } from './exporters/chrome-trace.ts';
export { renderSvg } from './exporters/chart-svg.ts';
export { renderHtmlReport, type ReportSummary } from './exporters/html-report.ts';
export { reportSummary } from './exporters/report-summary.ts';
export { writeReport, DEFAULT_REPORT_OPTIONS, type ReportOptions, type ReportResult } from './exporters/report.ts';
// Chart builders: each returns a Vega-Lite spec as plain data (or why it cannot be drawn).
export { buildCharts, type ChartsOptions } from './charts/index.ts';
export { chartContext, type ChartContext } from './charts/context.ts';
export { isChart, fmtDuration, fmtBytes, VL_SCHEMA, type Chart, type ChartResult, type MissingChart, type Row } from './charts/common.ts';
export { timelineChart, timelineRows } from './charts/timeline.ts';
export { flameChart, DEFAULT_FLAME_OPTIONS, type FlameOptions } from './charts/flamegraph.ts';
export { stageHeatmap, depthStageHeatmap } from './charts/stage-heatmap.ts';
export { memoryChart, DEFAULT_MEMORY_OPTIONS, type MemoryOptions, type MemoryPeak } from './charts/memory.ts';
export { depthScatter, depthRows } from './charts/depth-scatter.ts';
export { ioChart } from './charts/io.ts';
