// Tidy CSV tables (one observation per row, one variable per column) that
// pandas.read_csv and DuckDB's read_csv_auto load unchanged: a header row
// even when empty, plain numbers (ns, bytes), empty cells for unknown values,
// and formula-looking strings escaped for spreadsheets.
import Papa from 'papaparse';
import type { BuildModel } from '../model/types.ts';
import type { BuildAnalysis } from '../analyze/summary.ts';
import type { OutputDir } from './output-dir.ts';

type Cell = string | number | boolean | null | undefined;

/** One tidy table: its name, column names and rows. */
export interface CsvTable {
  /** File name without `.csv`. */
  name: string;
  columns: string[];
  rows: Cell[][];
}

/** The tables: packages, actions, invocations, phases, proc series, critical path, depth levels, parallelism. */
export function csvTables(model: BuildModel, analysis: BuildAnalysis): CsvTable[] {
  const slack = new Map(analysis.criticalPath.actions.map((a) => [a.id, a]));
  const tables: CsvTable[] = [];

  const pkgCols = [
    'import_path', 'standard', 'module', 'root', 'depth', 'height', 'fan_in', 'fan_out', 'transitive_dependents',
    'ready_ns', 'start_ns', 'done_ns', 'queue_ns', 'duration_ns', 'compile_ns', 'link_ns', 'cpu_ns', 'user_ns', 'sys_ns',
    'peak_rss_bytes', 'peak_rss_tool', 'rchar', 'wchar', 'compiler_total_ns', 'go_files', 'why_chain',
  ];
  tables.push({
    name: 'packages',
    columns: pkgCols,
    rows: analysis.stages.packages.map((p) => {
      const n = model.packages.get(p.importPath);
      return [
        p.importPath, n?.standard, n?.module, n?.root, p.depth, p.height, p.fanIn, p.fanOut, p.transitiveDependents,
        p.readyNs, p.startNs, p.doneNs, p.queueNs, p.durationNs, p.compileNs, p.linkNs, p.cpuNs, p.userNs, p.sysNs,
        p.peakRssBytes, p.peakRssTool, p.readBytes, p.writeBytes, p.compilerTotalNs, n?.goFiles, p.chain.join(' > '),
      ];
    }),
  });

  tables.push({
    name: 'actions',
    columns: ['id', 'mode', 'package', 'priority', 'need_build', 'ready_ns', 'start_ns', 'done_ns', 'duration_ns', 'cmd_real_ns', 'cmd_user_ns', 'cmd_sys_ns', 'cmd_count', 'earliest_start_ns', 'latest_start_ns', 'slack_ns', 'critical'],
    rows: model.actions.map((a) => {
      const s = slack.get(a.id);
      return [a.id, a.mode, a.package, a.priority, a.needBuild, a.ready, a.start, a.done, s?.durationNs, a.cmdRealNs, a.cmdUserNs, a.cmdSysNs, a.cmdCount, s?.earliestStartNs, s?.latestStartNs, s?.slackNs, s?.critical];
    }),
  });

  tables.push({
    name: 'invocations',
    columns: ['seq', 'tool', 'import_path', 'pid', 'start_ns', 'end_ns', 'duration_ns', 'exit_code', 'user_ns', 'sys_ns', 'max_rss_bytes', 'probe', 'argc'],
    rows: model.invocations.map((i) => [i.seq, i.tool, i.importPath, i.pid, i.start, i.end, i.end != null ? i.end - i.start : null, i.exitCode, i.userNs, i.sysNs, i.maxRssBytes, i.probe, i.argv.length]),
  });

  // Counters (lines, funcs) become columns, so every row has the same shape.
  const counters = [...new Set(model.phases.flatMap((p) => Object.keys(p.counters)))].sort();
  tables.push({
    name: 'phases',
    columns: ['package', 'phase', 'ns', 'percent', ...counters],
    rows: model.phases.map((p) => [p.package, p.phase, p.ns, p.percent, ...counters.map((c) => p.counters[c])]),
  });

  const procRows: Cell[][] = [];
  for (const s of model.processes.values()) {
    for (const pt of s.points) {
      procRows.push([s.pid, s.comm, pt.t, pt.cpuNs, pt.utimeNs, pt.stimeNs, pt.rssBytes, pt.vszBytes, pt.hwmBytes, pt.readBytes, pt.writeBytes, pt.rchar, pt.wchar, pt.syscr, pt.syscw]);
    }
  }
  tables.push({
    name: 'proc_series',
    columns: ['pid', 'comm', 't_ns', 'cpu_ns', 'utime_ns', 'stime_ns', 'rss_bytes', 'vsz_bytes', 'hwm_bytes', 'read_bytes', 'write_bytes', 'rchar', 'wchar', 'syscr', 'syscw'],
    rows: procRows,
  });

  tables.push({
    name: 'critical_path',
    columns: ['step', 'action_id', 'mode', 'package', 'start_ns', 'done_ns', 'duration_ns', 'queue_ns', 'why_chain'],
    rows: analysis.criticalPath.steps.map((s, k) => [k + 1, s.id, s.mode, s.package, s.startNs, s.doneNs, s.durationNs, s.queueNs, s.chain.join(' > ')]),
  });

  tables.push({
    name: 'depth_levels',
    columns: ['depth', 'packages', 'built', 'total_ns', 'max_ns', 'slowest', 'first_start_ns', 'last_done_ns', 'parallelism'],
    rows: analysis.stages.levels.map((l) => [l.depth, l.packages, l.built, l.totalNs, l.maxNs, l.slowest, l.firstStartNs, l.lastDoneNs, l.parallelism]),
  });

  const par = analysis.parallelism;
  tables.push({
    name: 'parallelism',
    columns: ['t_ns', 'bucket_ns', 'running', 'workers', 'cores'],
    rows: par.running.map((r, b) => [par.startNs + b * par.bucketNs, par.bucketNs, r, par.workers, par.cores]),
  });
  return tables;
}

/** One table as CSV text (RFC 4180, `\n` line ends, formulae escaped). */
export function tableToCsv(t: CsvTable): string {
  const data = t.rows.map((r) => r.map((c) => (c === undefined ? null : c)));
  const text = Papa.unparse({ fields: t.columns, data }, { escapeFormulae: true, newline: '\n' });
  // papaparse ends a header-only table with a newline but not a table with rows.
  return text.endsWith('\n') ? text : text + '\n';
}

/** Writes every table as NAME.csv into the output folder; returns the paths written. */
export async function writeCsvTables(model: BuildModel, analysis: BuildAnalysis, out: OutputDir): Promise<string[]> {
  const written: string[] = [];
  for (const t of csvTables(model, analysis)) written.push(await out.write(`${t.name}.csv`, tableToCsv(t)));
  return written;
}
