// The shared bundle flags: sizes parse, bad values are usage errors, and the
// caps they set reach the reader (checked on the hostile corpus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { addBundleOptions, damageNote, parseByteSize, readOptionsFromFlags, type BundleFlags } from '../src/cli/bundle-options.ts';
import { DEFAULT_READ_OPTIONS, openBundle } from '../src/bundle/reader.ts';
import { GbpError } from '../src/errors.ts';

const corpus = new URL('./hostile/', import.meta.url).pathname;

test('parseByteSize reads plain bytes and SI/IEC units', () => {
  assert.equal(parseByteSize('4096'), 4096);
  assert.equal(parseByteSize('64KiB'), 65536);
  assert.equal(parseByteSize('64k'), 64000);
  assert.equal(parseByteSize('8GiB'), 8 * 1024 ** 3);
  assert.equal(parseByteSize('1.5 MB'), 1_500_000);
  for (const bad of ['', 'lots', '-1', '0', '12 parsecs', '1e99']) assert.throws(() => parseByteSize(bad), /is not a (positive )?size/, bad);
});

/** Parses argv with a throwaway command carrying the shared flags. */
function parse(argv: string[]): { flags: BundleFlags; bundle: string } {
  let got: { flags: BundleFlags; bundle: string } | undefined;
  const cmd = addBundleOptions(new Command('probe').argument('<bundle>'))
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .action((bundle: string, flags: BundleFlags) => {
      got = { bundle, flags };
    });
  cmd.parse(argv, { from: 'user' });
  return got!;
}

test('no flags give the reader defaults', () => {
  assert.deepEqual(readOptionsFromFlags(parse(['b.gbp.tgz']).flags), DEFAULT_READ_OPTIONS);
});

test('bad flag values are usage errors from commander', () => {
  assert.throws(() => parse(['b', '--max-entries', 'many']), (e) => e instanceof CommanderError && /not a positive whole number/.test(e.message));
  assert.throws(() => parse(['b', '--max-total-bytes', '3 furlongs']), (e) => e instanceof CommanderError && /is not a size/.test(e.message));
});

test('--max-entry-bytes set on the command line refuses, and raising it lets the bundle open', async () => {
  const file = path.join(corpus, 'entry-too-big.gbp.tgz');
  const low = readOptionsFromFlags(parse([file, '--max-entry-bytes', '64KiB']).flags);
  await assert.rejects(openBundle(file, low), (e) => e instanceof GbpError && e.code === 'limit' && /--max-entry-bytes/.test(e.message));
  const high = readOptionsFromFlags(parse([file, '--max-entry-bytes', '1MiB']).flags);
  const b = await openBundle(file, high);
  assert.equal(b.entries.get('perf/perf.data'), 1 << 20);
  await b.close();
});

test('--max-entries and --max-total-bytes reach the reader', async () => {
  const many = path.join(corpus, 'too-many-entries.gbp.tgz');
  await assert.rejects(openBundle(many, readOptionsFromFlags(parse([many, '--max-entries', '10']).flags)), /more than 10 entries/);
  const big = path.join(corpus, 'total-too-big.gbp.tgz');
  await assert.rejects(openBundle(big, readOptionsFromFlags(parse([big, '--max-total-bytes', '512KiB']).flags)), /more than 524288 bytes/);
});

test('--partial opens a truncated bundle and the note names the damage and the missing entries', async () => {
  const file = path.join(corpus, 'truncated-gzip.gbp.tgz');
  const b = await openBundle(file, readOptionsFromFlags(parse([file, '--partial']).flags));
  try {
    const note = damageNote(b)!;
    assert.match(note, /--partial: using what could be read; .*truncated-gzip\.gbp\.tgz: damaged archive while reading entry 'go\/list\.json'/);
    assert.match(note, /missing entries: build\/stderr\.txt, build\/stdout\.txt, go\/list\.json/);
  } finally {
    await b.close();
  }
});
