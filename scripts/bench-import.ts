// Benchmark of the perf script importer, against the floor of a plain Node
// line scan of the same file, in the same run.
//
//   node --import tsx scripts/bench-import.ts [FILE.txt] [--runs N] [--keep DIR] [--no-double] [--no-symbols] [--perf-data DATA]
//
// Without FILE it records a real `go build -a std` with `perf record -g` and
// writes its `perf script` text (the -F layout gbp capture uses). If that text
// is under 100 MB, it is repeated whole (the samples again, so the same
// distinct stacks) until it is, and the script says so.
// With the perf.data the text came from (recorded here, or --perf-data),
// each run also times `perf script` writing that text to a file: the rate
// the converter is to beat, measured in the same minutes (this machine's
// speed drifts by ±30% within the hour).
// Prints, per run and as medians: MB/s of `gbp pprof --perf-script FILE -o OUT`
// (a child process: wall time includes node start-up), MB/s of the parser
// alone in this process, MB/s of the floor, the ratios, and peak RSS. Then,
// unless --no-double, the converter once more on the file written twice over
// (the same stacks again): peak RSS must stay flat, bounded by distinct stacks
// and not by input size. --no-symbols is passed on to gbp pprof (no
// symbolization from the binaries on this machine).
import { collectGarbage } from '../src/cli/memory.ts';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePerfScriptFile } from '../src/importers/perf-script.ts';

const MIN_BYTES = 100 * 1e6;
const GO = ['/usr/local/go/bin/go', '/usr/lib/go-1.19/bin/go'].find((g) => existsSync(g));
const gbp = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;

function args() {
  const a = process.argv.slice(2);
  const opt = (name: string) => {
    const i = a.indexOf(name);
    if (i < 0) return undefined;
    const v = a[i + 1];
    a.splice(i, 2);
    return v;
  };
  const runs = Number(opt('--runs') ?? 3);
  const keep = opt('--keep');
  const flag = (name: string) => {
    const i = a.indexOf(name);
    if (i >= 0) a.splice(i, 1);
    return i >= 0;
  };
  const perfData = opt('--perf-data');
  const double = !flag('--no-double');
  const noSymbols = flag('--no-symbols');
  return { file: a[0], runs, keep, double, noSymbols, perfData };
}

const PERF_SCRIPT_FIELDS = 'comm,pid,tid,time,period,event,ip,sym,symoff,dso';

/** `perf script` of `data` into `out` (the -F layout gbp capture uses); its wall seconds and the bytes it wrote. */
async function perfScript(data: string, out: string): Promise<{ seconds: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  const sink = createWriteStream(out);
  const p = spawn('perf', ['script', '-i', data, '-F', PERF_SCRIPT_FIELDS], { stdio: ['ignore', 'pipe', 'inherit'] });
  p.stdout.pipe(sink);
  // Both ends, in whichever order they come: the file may close before or after perf's exit is seen.
  const [code] = await Promise.all([new Promise<number | null>((ok) => p.on('close', ok)), new Promise<void>((ok) => sink.on('close', () => ok()))]);
  if (code !== 0) throw new Error(`perf script exited ${code}`);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes: statSync(out).size };
}

/** Records `go build -a std` under perf and returns the path of its perf script text (≥ 100 MB) and of the perf.data. */
async function generate(dir: string): Promise<{ file: string; data: string }> {
  if (!GO) throw new Error('no go toolchain to record');
  const data = path.join(dir, 'perf.data');
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: path.join(dir, 'gocache'), GOFLAGS: '' };
  console.error(`bench: recording perf record -e cpu-clock -F 1999 -g -- ${GO} build -a std`);
  const rec = spawnSync('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-g', '-o', data, '--', GO, 'build', '-a', 'std'], { env, cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (rec.status !== 0) throw new Error('perf record failed');
  const once = path.join(dir, 'once.txt');
  const size = (await perfScript(data, once)).bytes;
  if (size >= MIN_BYTES) return { file: once, data };
  const times = Math.ceil(MIN_BYTES / size);
  console.error(`bench: the recording gave ${(size / 1e6).toFixed(1)} MB of text; repeating it ${times} times`);
  const text = readFileSync(once);
  const big = path.join(dir, 'script.txt');
  const out = createWriteStream(big);
  for (let i = 0; i < times; i++) if (!out.write(text)) await new Promise<void>((ok) => out.once('drain', () => ok()));
  await new Promise((ok) => out.end(ok));
  return { file: big, data };
}

/** The floor: 1 MiB chunks, counting lines with indexOf('\n'). */
async function floorScan(file: string): Promise<{ seconds: number; lines: number }> {
  const t0 = process.hrtime.bigint();
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, lines };
}

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CLI_FLAGS: string[] = [];

/**
 * Runs the CLI and takes its peak RSS: from GNU time's maxrss (exact, adds
 * ~1 ms) when /usr/bin/time exists, else by polling the child's VmHWM (a
 * peak in the last 20 ms before exit can be missed).
 */
async function cliRun(file: string, out: string): Promise<{ seconds: number; cpuSeconds: number | null; peakRssMiB: number; phases: string }> {
  rmSync(out, { force: true });
  const argv = ['node', gbp, 'pprof', '--perf-script', file, '-o', out, '--quiet', ...CLI_FLAGS];
  const t0 = process.hrtime.bigint();
  // GBP_TIMINGS: the CLI says where its time went (one stderr line, taken out below).
  const opts = { stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[], env: { ...process.env, GBP_TIMINGS: '1' } };
  const child = GNU_TIME ? spawn(GNU_TIME, ['-f', 'maxrss_kb=%M cpu_s=%U+%S', ...argv], opts) : spawn(argv[0], argv.slice(1), opts);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let hwmKb = 0;
  // Polled only without GNU time: ~15 ms of this process's CPU per run, beside the CLI's.
  const poll = GNU_TIME ? null : setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
    } catch {
      /* exited between polls */
    }
  }, 20);
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (poll) clearInterval(poll);
  const timed = /maxrss_kb=(\d+) cpu_s=([\d.]+)\+([\d.]+)/.exec(stderr);
  const phases = /^gbp: timings: (.*)$/m.exec(stderr)?.[1] ?? '';
  process.stderr.write(stderr.replace(/^maxrss_kb=.*\n?/m, '').replace(/^gbp: timings: .*\n?/m, '').replace(/^Command exited with non-zero status \d+\n?/m, ''));
  if (code !== 0) throw new Error(`gbp pprof exited ${code}`);
  // CPU seconds (user+sys, all threads): steadier than wall time on a machine shared with other jobs.
  return { seconds, cpuSeconds: timed ? Number(timed[2]) + Number(timed[3]) : null, peakRssMiB: (timed ? Number(timed[1]) : hwmKb) / 1024, phases };
}

/**
 * A full GC here, and a pause for V8's helper threads to finish sweeping:
 * else the last in-process parse's garbage (~150 MB of model) is marked and
 * swept beside the next CLI run, on the same 2 CPUs (this process then used
 * 55-61 ms of CPU during a CLI run, 17-21 ms after a settle()).
 */
async function settle(): Promise<void> {
  collectGarbage();
  await new Promise((ok) => setTimeout(ok, 200));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { file: given, runs, keep, double, noSymbols, perfData } = args();
  if (noSymbols) CLI_FLAGS.push('--no-symbols');
  // Time what ships: the bundled dist/ (built here if the sources changed), as `gbp` runs it.
  const build = spawnSync(process.execPath, [new URL('./build.mjs', import.meta.url).pathname, '--quiet'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('scripts/build.mjs failed');
  const launch = spawnSync(process.execPath, [gbp, '--version'], { encoding: 'utf8', env: { ...process.env, GBP_TRACE_LAUNCH: '1' } });
  console.log(`bench-import: ${launch.stderr.trim()}`);
  const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'gbp-bench-import-'));
  mkdirSync(dir, { recursive: true });
  try {
    const made = given ? null : await generate(dir);
    const file = given ?? made!.file;
    // perf script's own rate is only comparable when the text is that data's, whole (not repeated).
    const data = perfData ?? (made && made.file.endsWith('once.txt') ? made.data : null);
    const bytes = statSync(file).size;
    const mb = bytes / 1e6;
    console.log(`bench-import: ${file}: ${mb.toFixed(1)} MB; gbp pprof --perf-script${CLI_FLAGS.length ? ' ' + CLI_FLAGS.join(' ') : ''}`);
    const rows: { floor: number; cli: number; cliCpu: number | null; parse: number; parseCpu: number; rss: number; perf: number | null }[] = [];
    for (let r = 0; r < runs; r++) {
      // The CLI first, then this process's own reads and parse.
      await settle();
      const cli = await cliRun(file, path.join(dir, 'cpu.pb.gz'));
      const ps = data ? await perfScript(data, path.join(dir, 'perf-script.txt')) : null;
      if (ps) rmSync(path.join(dir, 'perf-script.txt'), { force: true });
      const floor = await floorScan(file);
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const parsed = await parsePerfScriptFile(file);
      const c1 = process.cpuUsage(c0);
      const parseS = Number(process.hrtime.bigint() - t0) / 1e9;
      // CPU seconds (user+sys) of this process: less sensitive to a machine shared with other jobs than wall time.
      const row = { floor: mb / floor.seconds, cli: mb / cli.seconds, cliCpu: cli.cpuSeconds ? mb / cli.cpuSeconds : null, parse: mb / parseS, parseCpu: mb / ((c1.user + c1.system) / 1e6), rss: cli.peakRssMiB, perf: ps ? ps.bytes / 1e6 / ps.seconds : null };
      rows.push(row);
      console.log(
        `run ${r + 1}: floor ${row.floor.toFixed(0)} MB/s (${floor.lines} lines) | gbp pprof --perf-script ${row.cli.toFixed(0)} MB/s${row.cliCpu ? ` (${row.cliCpu.toFixed(0)} MB/s per CPU second)` : ''}, peak RSS ${row.rss.toFixed(0)} MiB | parser alone ${row.parse.toFixed(0)} MB/s wall, ${row.parseCpu.toFixed(0)} MB/s per CPU second (${parsed.profile.totalSamples} samples, ${parsed.profile.groups.length} groups, ${parsed.profile.frames.length} frames)`,
      );
      if (cli.phases) console.log(`run ${r + 1}: gbp's phases (ms): ${cli.phases}`);
      if (ps) console.log(`run ${r + 1}: perf script writes the text at ${row.perf!.toFixed(0)} MB/s (${ps.bytes === bytes ? 'the same bytes' : `${(ps.bytes / 1e6).toFixed(1)} MB: not this file's text`})`);
    }
    const f = median(rows.map((x) => x.floor));
    const c = median(rows.map((x) => x.cli));
    const p = median(rows.map((x) => x.parse));
    const rss = Math.max(...rows.map((x) => x.rss));
    console.log(
      `median of ${runs}: floor ${f.toFixed(0)} MB/s; gbp pprof --perf-script ${c.toFixed(0)} MB/s (${((100 * c) / f).toFixed(0)}% of floor${rows[0].cliCpu ? `; ${median(rows.map((x) => x.cliCpu ?? 0)).toFixed(0)} MB/s per CPU second` : ''}); parser alone ${p.toFixed(0)} MB/s (${((100 * p) / f).toFixed(0)}% of floor), ${median(rows.map((x) => x.parseCpu)).toFixed(0)} MB/s per CPU second; peak RSS ${rss.toFixed(0)} MiB (max)`,
    );
    let rss2: number | null = null;
    if (double) {
      // The same text twice over: the same distinct stacks, twice the samples.
      const twice = path.join(dir, 'twice.txt');
      const out = createWriteStream(twice);
      for (let i = 0; i < 2; i++) {
        for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) if (!out.write(chunk)) await new Promise<void>((ok) => out.once('drain', () => ok()));
      }
      await new Promise((ok) => out.end(ok));
      await settle();
      const r2 = await cliRun(twice, path.join(dir, 'cpu2.pb.gz'));
      rss2 = r2.peakRssMiB;
      console.log(`same file twice over (${((2 * bytes) / 1e6).toFixed(1)} MB): gbp pprof --perf-script ${((2 * mb) / r2.seconds).toFixed(0)} MB/s, peak RSS ${rss2.toFixed(0)} MiB`);
      rmSync(twice, { force: true });
    }
    const ok = (b: boolean) => (b ? 'met' : 'MISSED');
    const perfRate = rows[0].perf !== null ? median(rows.map((x) => x.perf!)) : null;
    const vsPerf = perfRate !== null ? `; faster than perf script in the same runs: ${ok(c > perfRate)} (${c.toFixed(0)} against ${perfRate.toFixed(0)} MB/s, ${(c / perfRate).toFixed(2)}x)` : '';
    console.log(`targets: >= 200 MB/s end to end: ${ok(c >= 200)} (${c.toFixed(0)})${vsPerf}; peak RSS <= 200 MiB: ${ok(Math.max(rss, rss2 ?? 0) <= 200)} (${rss.toFixed(0)}${rss2 !== null ? `, ${rss2.toFixed(0)} on the doubled file` : ''})`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
