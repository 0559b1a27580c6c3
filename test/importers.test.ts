// Importers on real inputs (a real `go build` with both Go versions, real
// /proc reads) checked against independent counts, plus edge-case fixtures
// named for their edge, and every parser re-run with tiny chunks.
import { parsePerfScript } from '../src/importers/perf-script.ts';
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { fileInput, chunked } from '../src/importers/input.ts';
import { parseGoList, detectGoList } from '../src/importers/go-list.ts';
import { parseActionGraph, detectActionGraph } from '../src/importers/actiongraph.ts';
import { parseCompileBench, detectCompileBench, isAggregatePhase } from '../src/importers/compile-bench.ts';
import { parseGoTrace, detectGoTrace } from '../src/importers/go-trace.ts';
import { parseToolexecLog } from '../src/importers/toolexec-log.ts';
import { parseProcSnapshots, parseStat } from '../src/importers/proc-snapshots.ts';
import { detectRawFormat } from '../src/importers/index.ts';
import { rfc3339ToEpochNs, relFromMicros } from '../src/importers/time.ts';
import { buildRawInputs, haveGo, GO_119, GO_126, type RawInputs } from './go-raw-inputs.ts';

const fixture = (name: string) => new URL(`./fixtures/importers/${name}`, import.meta.url).pathname;

for (const go of [GO_126, GO_119]) {
  describe(`importers on a real build with ${go}`, { skip: !haveGo(go) && `${go} not installed` }, () => {
    let r: RawInputs;
    before(() => {
      r = buildRawInputs(go);
    });
    after(() => r?.cleanup());

    test('detectors recognize each raw file by content alone', () => {
      for (const [file, fmt] of [[r.list, 'go-list'], [r.actionGraph, 'actiongraph'], [r.trace, 'go-trace'], [r.bench, 'compile-bench']] as const) {
        assert.equal(detectRawFormat(readFileSync(file, 'utf8').slice(0, 4096)), fmt, file);
      }
      assert.ok(detectGoList(readFileSync(r.list, 'utf8').slice(0, 4096)));
      assert.ok(!detectActionGraph(readFileSync(r.trace, 'utf8').slice(0, 4096)));
    });

    test('go list: one package per object, roots are the command-line packages', async () => {
      const text = readFileSync(r.list, 'utf8');
      // Top-level keys are indented by exactly one tab in go list's output.
      const objects = text.match(/^\t"ImportPath": /gm)!.length;
      const res = await parseGoList(fileInput(r.list));
      assert.deepEqual(res.warnings, []);
      assert.equal(res.packages.size, objects);
      const roots = [...res.packages.values()].filter((p) => p.root).map((p) => p.importPath).sort();
      assert.deepEqual(roots, [...r.roots].sort());
      assert.deepEqual(res.packages.get('example.com/tiny/c')!.imports, ['example.com/tiny/a', 'example.com/tiny/b']);
      assert.deepEqual(await parseGoList(chunked(text, 3)), res);
    });

    test('action graph: every action, CPU sums and times agree with a plain JSON.parse', async () => {
      const raw = JSON.parse(readFileSync(r.actionGraph, 'utf8')) as Record<string, any>[];
      const res = await parseActionGraph(fileInput(r.actionGraph));
      assert.deepEqual(res.warnings, []);
      assert.equal(res.actions.length, raw.length);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      assert.equal(sum(res.actions.map((a) => a.cmdUserNs + a.cmdSysNs)), sum(raw.map((a) => (a.CmdUser ?? 0) + (a.CmdSys ?? 0))));
      for (const a of raw) {
        const m = res.actions.find((x) => x.id === a.ID)!;
        assert.equal(m.start === null, a.TimeStart.startsWith('0001-'), `action ${a.ID} start`);
        if (m.start !== null) {
          // Independent: millisecond Date.parse of both ends agrees to within 1 ms.
          const ms = Date.parse(a.TimeDone) - Date.parse(a.TimeStart);
          assert.ok(Math.abs((m.done! - m.start) / 1e6 - ms) <= 1, `action ${a.ID} duration`);
        }
      }
      const compiles = res.actions.filter((a) => a.mode === 'build' && a.cmdCount > 0).map((a) => a.package).sort();
      assert.deepEqual(compiles, ['example.com/tiny/a', 'example.com/tiny/b', 'example.com/tiny/c']);
      assert.deepEqual(await parseActionGraph(chunked(readFileSync(r.actionGraph), 5)), res);
    });

    test('compile -bench: every line, phases add up to the total, packages match the action graph', async () => {
      const text = readFileSync(r.bench, 'utf8');
      const lines = text.split('\n').filter((l) => l.startsWith('BenchmarkCompile:')).length;
      const res = await parseCompileBench(fileInput(r.bench));
      assert.deepEqual(res.warnings, []);
      assert.equal(res.phases.length, lines);
      assert.deepEqual(res.compilers, [r.goVersion]);
      const pkgs = [...new Set(res.phases.map((p) => p.package))].sort();
      assert.deepEqual(pkgs, ['example.com/tiny/a', 'example.com/tiny/b', 'example.com/tiny/c']);
      for (const pkg of pkgs) {
        const mine = res.phases.filter((p) => p.package === pkg);
        const total = mine.find((p) => p.phase === 'total')!.ns;
        const leaves = mine.filter((p) => !isAggregatePhase(p.phase)).reduce((a, p) => a + p.ns, 0);
        // The compiler prints each phase rounded to the ns; leaves sum to the total within 0.5%.
        assert.ok(Math.abs(leaves - total) <= total * 0.005, `${pkg}: leaves ${leaves} vs total ${total}`);
        assert.ok(mine.find((p) => p.phase === 'fe:parse')!.counters.lines > 0);
      }
      // Phase names are version-specific, and parsed generically.
      const names = new Set(res.phases.map((p) => p.phase));
      if (r.goVersion >= 'go1.2') assert.ok(names.has('fe:devirtualize-and-inline') || names.has('fe:inlining'));
      if (r.goVersion === 'go1.19.8') assert.ok(names.has('fe:inlining'));
      assert.deepEqual(await parseCompileBench(chunked(text, 2)), res);
    });

    test('trace: one span per B or X event; action spans line up with the action graph', async () => {
      const raw = JSON.parse(readFileSync(r.trace, 'utf8')) as { ph: string; ts: number }[];
      const ag = await parseActionGraph(fileInput(r.actionGraph));
      const res = await parseGoTrace(fileInput(r.trace), { originNs: ag.originNs });
      assert.deepEqual(res.warnings, []);
      assert.equal(res.spans.length, raw.filter((e) => e.ph === 'B' || e.ph === 'X').length);
      let checked = 0;
      for (const s of res.spans) {
        const m = /^Executing action \((\S+) (.+)\)$/.exec(s.name);
        if (!m || m[1] !== 'build') continue;
        const a = ag.actions.find((x) => x.mode === 'build' && x.package === m[2] && x.cmdCount > 0);
        if (!a) continue;
        // Two clock reads in the go command around the same work: within 2 ms.
        assert.ok(Math.abs(s.start - a.start!) < 2e6, `${s.name}: trace ${s.start} vs actiongraph ${a.start}`);
        checked++;
      }
      assert.equal(checked, 3);
      assert.deepEqual(await parseGoTrace(chunked(readFileSync(r.trace), 7), { originNs: ag.originNs }), res);
    });
  });
}

describe('edge cases', () => {
  test('detectRawFormat: toolexec log and /proc snapshots by content, any format by entry name', () => {
    assert.equal(detectRawFormat(readFileSync(fixture('toolexec-log-bad-lines.jsonl'), 'utf8')), 'toolexec-log');
    assert.equal(detectRawFormat(readFileSync(fixture('proc-snapshots-truncated-frame.txt'), 'utf8')), 'proc-snapshots');
    assert.equal(detectRawFormat('whatever', 'go/compile-bench.txt'), 'compile-bench');
    assert.equal(detectRawFormat('hello\nworld\n'), null);
  });

  test('rfc3339: zones, short fractions, Go zero time', () => {
    assert.equal(rfc3339ToEpochNs('1970-01-01T00:00:01.5Z'), 1_500_000_000n);
    assert.equal(rfc3339ToEpochNs('1970-01-01T02:00:01.000000007+02:00'), 1_000_000_007n);
    assert.equal(rfc3339ToEpochNs('0001-01-01T00:00:00Z'), null);
    assert.equal(rfc3339ToEpochNs('yesterday'), undefined);
    // µs floats near 2^50 keep sub-µs precision after the origin split.
    assert.equal(relFromMicros(1795675573756712.25, 1795675573756000000n), 712250);
  });

  test('go-list-truncated: the cut object is one warning, the others are read', async () => {
    const res = await parseGoList(fileInput(fixture('go-list-truncated.json')));
    assert.equal(res.packages.size, 3);
    assert.equal(res.warnings.length, 1);
    assert.match(res.warnings[0].message, /truncated/);
    assert.equal(res.warnings[0].line, readFileSync(fixture('go-list-truncated.json'), 'utf8').split('\n').lastIndexOf('{') + 1);
  });

  test('go-list-garbage-between-objects: one warning with its line', async () => {
    const res = await parseGoList(fileInput(fixture('go-list-garbage-between-objects.json')));
    assert.equal(res.packages.size, 2);
    const lineNo = readFileSync(fixture('go-list-garbage-between-objects.json'), 'utf8').split('\n').indexOf('go: warning: something odd') + 1;
    assert.deepEqual(res.warnings.map((w) => w.line), [lineNo]);
  });

  test('actiongraph-zone-offsets-and-zero-times: offsets convert, zero times are null, bad times warn', async () => {
    const res = await parseActionGraph(fileInput(fixture('actiongraph-zone-offsets-and-zero-times.json')));
    const [goBuild, fmt, unsafe, bad] = res.actions;
    assert.equal(res.originNs, rfc3339ToEpochNs('2026-11-26T06:46:33Z'));
    assert.equal(fmt.start, 0);
    assert.equal(fmt.ready, 439675808);
    assert.equal(fmt.done, 730547306);
    assert.equal(goBuild.done, 920270000);
    assert.deepEqual([unsafe.ready, unsafe.start, unsafe.done], [null, null, null]);
    assert.equal(bad.start, null);
    assert.deepEqual(res.warnings.map((w) => w.message), [
      'action 3: TimeStart is not an RFC 3339 time: "yesterday"',
    ]);
    assert.equal(fmt.cmdUserNs + fmt.cmdSysNs, 453000000);
  });

  test('compile-bench-malformed-lines: each bad line is one numbered warning', async () => {
    const res = await parseCompileBench(fileInput(fixture('compile-bench-malformed-lines.txt')));
    assert.deepEqual(res.warnings.map((w) => w.line), [6, 7, 8]);
    assert.deepEqual(res.phases.map((p) => p.phase), ['fe:init', 'fe:parse', 'total']);
  });

  test('compile-bench-crlf: carriage returns are not part of the values', async () => {
    const res = await parseCompileBench(fileInput(fixture('compile-bench-crlf.txt')));
    assert.deepEqual(res.warnings, []);
    assert.deepEqual(res.compilers, ['go1.19.8']);
    assert.equal(res.phases[1].percent, 100);
  });

  test('go-trace-unmatched-events: interleaved spans match by name, strays warn', async () => {
    const res = await parseGoTrace(fileInput(fixture('go-trace-unmatched-events.json')));
    assert.deepEqual(
      res.spans.map((s) => [s.name, s.end - s.start]),
      [
        ['Running build command', undefined],
        ['load.loadPackageData a', 200000],
        ['load.loadPackageData b', 300000],
        ['complete event', 250500],
      ].filter((x) => x[1] !== undefined),
    );
    assert.deepEqual(res.warnings.map((w) => [w.line, /without a begin|never ends/.exec(w.message)?.[0]]), [
      [6, 'without a begin'],
      [2, 'never ends'],
    ]);
  });

  test('toolexec-log-bad-lines: cut and invalid records warn with their line; times are relative', async () => {
    const res = await parseToolexecLog(fileInput(fixture('toolexec-log-bad-lines.jsonl')));
    assert.deepEqual(res.warnings.map((w) => w.line), [2, 3]);
    assert.deepEqual(res.invocations.map((i) => [i.seq, i.tool, i.start, i.end, i.maxRssBytes]), [
      [1, 'compile', 0, 290849736, 81234 * 1024],
      [4, 'link', 360302430, null, null],
    ]);
  });

  test('proc-snapshots-comm-with-parens-and-extra-fields', async () => {
    const res = await parseProcSnapshots(fileInput(fixture('proc-snapshots-comm-with-parens-and-extra-fields.txt')));
    assert.deepEqual(res.warnings, []);
    const p = res.processes.get(500)!;
    assert.equal(p.comm, 'weird) (name');
    assert.equal(p.points.length, 2);
    assert.deepEqual(
      // rss is status VmRSS (2048 kB) where a status frame follows, not stat's 389 pages.
      p.points.map((x) => [x.t, x.cpuNs, x.rssBytes, x.vszBytes, x.hwmBytes, x.rchar, x.wchar, x.readBytes, x.writeBytes, x.syscr, x.syscw]),
      [
        [0, 120_000_000, 2048 * 1024, 3133440, 2048 * 1024, 6976, 100, 4096, 8192, 10, 3],
        [100_000_000, 300_000_000, 2048 * 1024, 3133440, 4000 * 1024, 90000, 200, 4096, 8192, 10, 3],
      ],
    );
  });

  test('proc-snapshots-truncated-frame: one warning, the complete frames kept', async () => {
    const res = await parseProcSnapshots(fileInput(fixture('proc-snapshots-truncated-frame.txt')));
    assert.equal(res.processes.get(600)!.points.length, 1);
    assert.equal(res.warnings.length, 1);
    assert.match(res.warnings[0].message, /^truncated: frame for pid 600 status/);
    assert.equal(res.warnings[0].line, 5); // real stat text ends in '\n', then the frame's own '\n'
  });

  test('proc-snapshots-wrong-length-and-pid-reuse: damage is warned, status before stat is kept', async () => {
    const res = await parseProcSnapshots(fileInput(fixture('proc-snapshots-wrong-length-and-pid-reuse.txt')));
    assert.deepEqual(res.warnings.map((w) => w.line), [2, 3, 5, 17]);
    assert.match(res.warnings[0].message, /not followed by a newline/);
    assert.match(res.warnings[3].message, /pid 701 was reused/);
    assert.equal(res.processes.has(700), false);
    const p = res.processes.get(701)!;
    assert.equal(p.points.length, 1);
    assert.equal(p.points[0].hwmBytes, 777 * 1024);
  });

  test('every fixture parses the same with 1-byte chunks', async () => {
    const parsers: [RegExp, (i: any) => Promise<unknown>][] = [
      [/^go-list/, parseGoList],
      [/^actiongraph/, parseActionGraph],
      [/^compile-bench/, parseCompileBench],
      [/^go-trace/, parseGoTrace],
      [/^toolexec/, parseToolexecLog],
      [/^proc/, parseProcSnapshots],
      [/^perf-script/, parsePerfScript],
    ];
    const dir = new URL('./fixtures/importers/', import.meta.url).pathname;
    for (const f of readdirSync(dir)) {
      const parse = parsers.find(([re]) => re.test(f))![1];
      assert.deepEqual(await parse(chunked(readFileSync(dir + f), 1)), await parse(fileInput(dir + f)), f);
    }
  });
});

test('proc snapshots of a real process agree with ps', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await new Promise((ok) => setTimeout(ok, 100));
    const pid = child.pid!;
    const parts: Buffer[] = [Buffer.from('gbp-proc-snapshots 1 clk_tck=100 page_size=4096\n')];
    const t = BigInt(Date.now()) * 1_000_000n;
    for (const kind of ['stat', 'status', 'io']) {
      const body = readFileSync(`/proc/${pid}/${kind}`);
      parts.push(Buffer.from(`== ${t} ${pid} ${kind} ${body.length}\n`), body, Buffer.from('\n'));
    }
    const res = await parseProcSnapshots(Buffer.concat(parts), { clkTck: Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) });
    assert.deepEqual(res.warnings, []);
    const p = res.processes.get(pid)!;
    assert.equal(p.comm, 'sleep');
    const [rss, vsz] = execFileSync('ps', ['-o', 'rss=,vsz=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    const pt = p.points[0];
    assert.equal(pt.rssBytes, rss * 1024); // ps shows status VmRSS
    assert.equal(pt.vszBytes, vsz * 1024);
    assert.ok(pt.hwmBytes! >= pt.rssBytes);
    assert.ok(pt.rchar! > 0);
    assert.deepEqual(parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))!.comm, 'sleep');
  } finally {
    child.kill();
  }
});
