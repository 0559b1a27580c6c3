// The go command rewriting of `gbp capture`: user flags kept, ours merged in.
// (The capture tests run the real thing; these cover the flag forms cheaply.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIST_FIELDS, planGoCommand, quoteField, splitQuoted } from '../src/capture/go-args.ts';
import { epochRealtimeToNs, isVersionProbe, parseRunFile } from '../src/capture/shim.ts';

const base = { cwd: '/w', goflags: '', shimPath: '/t/gbp-toolexec', outDir: '/t/spool' };

test('splitQuoted follows cmd/internal/quoted: blanks split, quotes group', () => {
  assert.deepEqual(splitQuoted(` a  'b c' "d'e" f `), ['a', 'b c', "d'e", 'f']);
  assert.deepEqual(splitQuoted(''), []);
  assert.throws(() => splitQuoted("'open"), /unterminated/);
  for (const s of ['plain', 'with space', "it's", '']) assert.deepEqual(splitQuoted(quoteField(s)), [s]);
});

test('our flags go first, the user gcflags stay as given (no -bench: go would hash it into cache keys), packages stay last', () => {
  const p = planGoCommand({ ...base, argv: ['/go', 'build', '-a', '-gcflags', 'all=-N -l', '-o', 'out', './...'] });
  assert.deepEqual(p.effectiveArgv, [
    '/go', 'build',
    '-toolexec=/t/gbp-toolexec',
    '-debug-actiongraph=/t/spool/actiongraph.json',
    '-debug-trace=/t/spool/trace.json',
    '-a',
    '-gcflags', 'all=-N -l',
    '-o', 'out',
    './...',
  ]);
  assert.deepEqual(p.listArgv, ['/go', 'list', '-e', `-json=${LIST_FIELDS}`, '-deps', '-gcflags', 'all=-N -l', './...']);
  assert.deepEqual(p.packages, ['./...']);
  assert.equal(p.benchFile, '/t/spool/compile-bench.txt', 'the shim adds -bench=benchFile per compile');
});

test('GOFLAGS are left to go (no -gcflags of ours), a GOFLAGS -toolexec is chained', () => {
  const p = planGoCommand({ ...base, goflags: '-gcflags=example.com/x=-m -toolexec=/usr/bin/env', argv: ['go', 'install', './cmd/x'] });
  assert.ok(!p.effectiveArgv.some((a) => a.startsWith('-gcflags')), 'GOFLAGS -gcflags reach go through the environment, untouched');
  assert.equal(p.effectiveArgv[2], '-toolexec=/t/gbp-toolexec /usr/bin/env');
  assert.deepEqual(p.userToolexec, ['/usr/bin/env']);
});

test('a user -toolexec on the command line is replaced by ours chained to it, quotes kept', () => {
  const p = planGoCommand({ ...base, argv: ['go', 'build', `-toolexec='/my tools/wrap' -v`, '.'] });
  assert.equal(p.effectiveArgv.filter((a) => a.startsWith('-toolexec')).length, 1);
  assert.equal(p.effectiveArgv[2], `-toolexec=/t/gbp-toolexec '/my tools/wrap' -v`);
  assert.deepEqual(p.userToolexec, ['/my tools/wrap', '-v']);
});

test('-C leads, user -debug-actiongraph is read from where the user asked, go test flags after packages', () => {
  const p = planGoCommand({ ...base, argv: ['go', 'test', '-C', 'sub', '-debug-actiongraph=ag.json', './pkg', '-run', 'XXX', '-gcflags=-N', '-args', '-gcflags=not-ours'] });
  assert.deepEqual(p.effectiveArgv.slice(0, 3), ['go', 'test', '-C=sub']);
  assert.equal(p.actionGraphFile, '/w/sub/ag.json');
  assert.ok(!p.effectiveArgv.some((a) => a.startsWith('-debug-actiongraph=/t/')));
  assert.ok(p.effectiveArgv.includes('-gcflags=-N'));
  assert.deepEqual(p.effectiveArgv.slice(-2), ['-args', '-gcflags=not-ours'], 'flags for the test binary are not touched');
  assert.deepEqual(p.listArgv, ['go', 'list', '-C=sub', '-e', `-json=${LIST_FIELDS}`, '-deps', '-test', '-gcflags=-N', './pkg']);
  assert.equal(p.dir, '/w/sub');
});

test('commands other than build, install and test are refused with a usage error', () => {
  assert.throws(() => planGoCommand({ ...base, argv: ['go', 'run', '.'] }), /capture needs a go build, go install or go test/);
  assert.throws(() => planGoCommand({ ...base, argv: ['make'] }), /capture needs/);
});

test('a run file written by the shim parses, with and without its end record', () => {
  const start = ['S', '4243', '1732603590.123456', 'net/http', '0', '/go/pkg/tool/compile', '-p', 'net/http', 'a b.go'].join('\0') + '\0';
  const full = Buffer.from(start + '\0E\0' + '0\0' + '1732603590.223456\0' + '0m0.001s 0m0.000s\n0m0.081s 0m0.012s\n');
  const r = parseRunFile(full, 4242)!;
  assert.equal(r.pid, 4243);
  assert.equal(r.shimPid, 4242);
  assert.equal(r.tool, 'compile');
  assert.deepEqual(r.argv, ['/go/pkg/tool/compile', '-p', 'net/http', 'a b.go']);
  assert.equal(r.startNs, '1732603590123456000');
  assert.equal(r.endNs, '1732603590223456000');
  assert.equal(r.exitCode, 0);
  assert.equal(r.userNs, 81e6);
  assert.equal(r.sysNs, 12e6);
  const cut = parseRunFile(Buffer.from(start), 4242)!;
  assert.deepEqual(cut.argv, r.argv);
  assert.equal(cut.endNs, null);
  assert.equal(cut.exitCode, null);
  assert.equal(parseRunFile(Buffer.from(''), 1), null);
  assert.equal(epochRealtimeToNs('12.5'), '12500000000');
  assert.ok(isVersionProbe(['-V=full']) && !isVersionProbe(['-V=full', 'x.go']));
});
