// Every chart of the report, in reading order.
import { type ChartResult } from './common.ts';
import { chartContext, type ChartContext } from './context.ts';
import { timelineChart } from './timeline.ts';
import { flameChart, type FlameOptions } from './flamegraph.ts';
import { stageHeatmap, depthStageHeatmap } from './stage-heatmap.ts';
import { memoryChart, type MemoryOptions } from './memory.ts';
import { depthScatter } from './depth-scatter.ts';
import { ioChart } from './io.ts';
import { compareChart } from './compare.ts';
import type { BuildModel } from '../model/types.ts';

/** Per-chart options for buildCharts. */
export interface ChartsOptions {
  flame: Partial<FlameOptions>;
  memory: Partial<MemoryOptions>;
}

/** The report's charts for one build, plus the comparison ones when a base build is given. */
export function buildCharts(model: BuildModel, baseModel?: BuildModel, opts: Partial<ChartsOptions> = {}): { ctx: ChartContext; baseCtx?: ChartContext; charts: ChartResult[] } {
  const ctx = chartContext(model, baseModel ? 'new' : undefined);
  const baseCtx = baseModel ? chartContext(baseModel, 'base') : undefined;
  const end = baseModel ? Math.max(model.meta.wallNs, baseModel.meta.wallNs) : undefined;
  const charts: ChartResult[] = [];
  if (baseCtx) charts.push(compareChart(baseCtx, ctx));
  charts.push(timelineChart(ctx, 'timeline', end));
  if (baseCtx) charts.push(timelineChart(baseCtx, 'timeline-base', end));
  charts.push(
    flameChart(ctx, opts.flame),
    stageHeatmap(ctx),
    depthStageHeatmap(ctx),
    memoryChart(ctx, opts.memory),
    depthScatter(ctx),
    ioChart(ctx),
  );
  return { ctx, baseCtx, charts };
}
