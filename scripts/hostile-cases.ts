// The hostile-bundle corpus: how each file in test/hostile/ is made and what
// reading it must produce. scripts/make-hostile.ts writes the files;
// test/hostile-bundles.test.ts reads the committed files and checks them.
import { gzipSync } from 'node:zlib';
import type { ErrorCode } from '../src/errors.ts';
import type { ReadOptions } from '../src/bundle/reader.ts';
import { FORMAT_NAME, FORMAT_VERSION } from '../src/bundle/format.ts';

/** Where escaping entries would land; the test checks none of these exist. */
export const ESCAPE_MARK = 'gbp-hostile-escaped';

export interface HostileCase {
  file: string;
  /** What the file breaks, in one sentence. */
  breaks: string;
  make: () => Buffer;
  /** Options for the refusing read (caps lowered so the files stay tiny). */
  opts?: Partial<ReadOptions>;
  code: ErrorCode;
  /** The message must match this, besides naming the bundle file. */
  message: RegExp;
  /** The entry the error must name, when it is about one. */
  entry?: string;
  /** Options with which the same file opens (the override works). */
  passesWith?: Partial<ReadOptions>;
  /** With partial: true the file opens, and these entries are reported missing. */
  partialMissing?: string[];
}

type TarType = '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x' | 'L' | 'S' | 'Z';

export interface TarEntry {
  name: string;
  type?: TarType;
  body?: Buffer | string;
  linkname?: string;
  /** Declared size, when it should differ from the body length. */
  size?: number;
  /** Break the header checksum. */
  badChecksum?: boolean;
}

/** One 512-byte ustar header, written by hand so that nothing is sanitized. */
function header(e: TarEntry, size: number): Buffer {
  const b = Buffer.alloc(512);
  b.write(e.name, 0, 100, 'latin1');
  b.write('0000644\0', 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  b.write(size.toString(8).padStart(11, '0').slice(-11) + '\0', 124);
  b.write('15000000000\0', 136);
  b.write('        ', 148);
  b.write(e.type ?? '0', 156);
  if (e.linkname) b.write(e.linkname, 157, 100);
  b.write('ustar\0', 257);
  b.write('00', 263);
  let sum = 0;
  for (const x of b) sum += x;
  if (e.badChecksum) sum += 1;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return b;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

/** A pax extended header record: "<len> <key>=<value>\n", len counting itself. */
function paxRecord(key: string, value: string): Buffer {
  const rest = Buffer.from(` ${key}=${value}\n`, 'utf8');
  let len = rest.length + 1;
  while (String(len).length + rest.length > len) len++;
  return Buffer.concat([Buffer.from(String(len)), rest]);
}

/** A tar written by hand: every header exactly as given, nothing sanitized. */
export function tar(entries: TarEntry[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    parts.push(header(e, e.size ?? body.length), body, pad(body.length));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Offset of the `i`-th header in a tar made by tar() (walks the sizes). */
function headerOffset(t: Buffer, i: number): number {
  let off = 0;
  for (let k = 0; k < i; k++) off += 512 + Math.ceil(parseInt(t.subarray(off + 124, off + 135).toString('latin1'), 8) / 512) * 512;
  return off;
}

function fixChecksum(t: Buffer, off: number): Buffer {
  t.fill(32, off + 148, off + 156);
  let sum = 0;
  for (let i = off; i < off + 512; i++) sum += t[i];
  t.write(sum.toString(8).padStart(6, '0') + '\0 ', off + 148, 'latin1');
  return t;
}

/** A pax header giving `path` (and maybe `size`) to the entry that follows. */
function pax(records: [string, string][]): TarEntry {
  return { name: 'PaxHeaders/x', type: 'x', body: Buffer.concat(records.map(([k, v]) => paxRecord(k, v))) };
}

/** A manifest.json that the reader accepts; `over` replaces top-level fields. */
export function validManifest(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: { name: FORMAT_NAME, version: FORMAT_VERSION },
    toolkit: { name: 'go-build-profiler', version: '0.1.0' },
    startNs: '1764140000000000000',
    endNs: '1764140001000000000',
    complete: true,
    host: { hostname: 'ci', kernel: '6.1.0', arch: 'x64', cores: 2, memoryBytes: 4294967296, clkTck: 100, pageSize: 4096, bootNs: '1764100000000000000', monoToEpochNs: '1764100000000000000' },
    go: { version: 'go1.26.0', env: { GOOS: 'linux' } },
    build: { argv: ['go', 'build', './...'], effectiveArgv: ['go', 'build', './...'], cwd: '/src', exitCode: 0, wallNs: 1e9, env: {} },
    perf: { event: null, frequency: null },
    collectors: { golist: { status: 'ok', entries: ['go/list.json'] }, build: { status: 'ok', entries: ['build/stdout.txt', 'build/stderr.txt'] } },
    ...over,
  };
}

const manifest = (over?: Record<string, unknown>): TarEntry => ({ name: 'manifest.json', body: JSON.stringify(validManifest(over), null, 1) });
export const gz = (b: Buffer) => gzipSync(b, { level: 9 });
const goList = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ ImportPath: `example.com/p${i}`, Standard: false, Imports: ['fmt'], GoFiles: ['a.go'] }, null, '\t')).join('\n');
/** A sound bundle: manifest first, then a go list stream and the build output. */
export const soundTar = () => tar([manifest(), { name: 'go/list.json', body: goList(400) }, { name: 'build/stdout.txt', body: '' }, { name: 'build/stderr.txt', body: '' }]);

/** Deterministic bytes (mulberry32), so the corpus regenerates identically. */
export function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let a = seed;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    b[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return b;
}

const esc = (what: string) => `${ESCAPE_MARK}-${what}`;
const sound = soundTar;

export const CASES: HostileCase[] = [
  // --- names that try to leave the extraction folder
  { file: 'absolute-path.gbp.tgz', breaks: 'an entry with an absolute path', make: () => gz(tar([manifest(), { name: `/tmp/${esc('absolute')}`, body: 'x' }])), code: 'unsafe-entry', message: /refusing entry '\/tmp\/gbp-hostile-escaped-absolute': absolute path/, entry: `/tmp/${esc('absolute')}` },
  { file: 'dotdot-path.gbp.tgz', breaks: "an entry whose path climbs out with '..'", make: () => gz(tar([manifest(), { name: `go/../../${esc('dotdot')}`, body: 'x' }])), code: 'unsafe-entry', message: /refusing entry 'go\/\.\.\/\.\.\/gbp-hostile-escaped-dotdot': path contains '\.\.'/, entry: `go/../../${esc('dotdot')}` },
  { file: 'dotdot-folder.gbp.tgz', breaks: "a folder entry named with '..'", make: () => gz(tar([manifest(), { name: `../${esc('dir')}/`, type: '5' }])), code: 'unsafe-entry', message: /path contains '\.\.'/ },
  { file: 'dotdot-pax-path.gbp.tgz', breaks: "a pax header that renames a harmless entry to '../…'", make: () => gz(tar([manifest(), pax([['path', `../${esc('pax')}`]]), { name: 'harmless.txt', body: 'x' }])), code: 'unsafe-entry', message: /refusing entry '\.\.\/gbp-hostile-escaped-pax': path contains '\.\.'/, entry: `../${esc('pax')}` },
  { file: 'dotdot-gnu-longname.gbp.tgz', breaks: "a GNU long-name header that renames an entry to '../…'", make: () => gz(tar([manifest(), { name: '././@LongLink', type: 'L', body: `../../${esc('gnu')}/${'n'.repeat(120)}\0` }, { name: 'harmless.txt', body: 'x' }])), code: 'unsafe-entry', message: /path contains '\.\.'/ },
  { file: 'backslash-path.gbp.tgz', breaks: 'an entry with Windows separators', make: () => gz(tar([manifest(), { name: `..\\..\\${esc('backslash')}`, body: 'x' }])), code: 'unsafe-entry', message: /name contains a backslash/ },
  { file: 'nul-in-name.gbp.tgz', breaks: 'a pax path with a NUL byte in it', make: () => gz(tar([manifest(), pax([['path', `go/list.json\0../../${esc('nul')}`]]), { name: 'harmless.txt', body: 'x' }])), code: 'unsafe-entry', message: /refusing entry 'go\/list\.json\\u0000\.\.\/\.\.\/gbp-hostile-escaped-nul': name contains NUL/ },
  { file: 'dot-component.gbp.tgz', breaks: "an entry with a '.' path component", make: () => gz(tar([manifest(), { name: 'go/./list.json', body: '{}' }])), code: 'unsafe-entry', message: /path contains '\.'/ },
  { file: 'empty-component.gbp.tgz', breaks: "an entry with '//' in its path", make: () => gz(tar([manifest(), { name: 'go//list.json', body: '{}' }])), code: 'unsafe-entry', message: /empty component/ },
  { file: 'name-too-long.gbp.tgz', breaks: 'a pax path with a 300-byte component', make: () => gz(tar([manifest(), pax([['path', 'go/' + 'a'.repeat(300)]]), { name: 'x', body: 'x' }])), code: 'unsafe-entry', message: /component is longer than 255 bytes/ },
  // --- entry types that are not regular files
  { file: 'symlink-entry.gbp.tgz', breaks: 'a symlink pointing outside', make: () => gz(tar([manifest(), { name: 'go/list.json', type: '2', linkname: '/etc/passwd' }])), code: 'unsafe-entry', message: /refusing entry 'go\/list\.json': entry type 'symlink' is not allowed/, entry: 'go/list.json' },
  { file: 'symlink-then-write.gbp.tgz', breaks: 'a symlinked folder, then a file written through it', make: () => gz(tar([manifest(), { name: 'go', type: '2', linkname: '/tmp' }, { name: `go/${esc('symlink')}`, body: 'x' }])), code: 'unsafe-entry', message: /refusing entry 'go': entry type 'symlink'/, entry: 'go' },
  { file: 'hardlink-entry.gbp.tgz', breaks: 'a hard link to a file outside', make: () => gz(tar([manifest(), { name: 'go/list.json', type: '1', linkname: '/etc/passwd' }])), code: 'unsafe-entry', message: /entry type 'link' is not allowed/ },
  { file: 'char-device-entry.gbp.tgz', breaks: 'a character device entry', make: () => gz(tar([manifest(), { name: 'dev-null', type: '3' }])), code: 'unsafe-entry', message: /entry type 'character-device' is not allowed/ },
  { file: 'block-device-entry.gbp.tgz', breaks: 'a block device entry', make: () => gz(tar([manifest(), { name: 'dev-sda', type: '4' }])), code: 'unsafe-entry', message: /entry type 'block-device' is not allowed/ },
  { file: 'fifo-entry.gbp.tgz', breaks: 'a named pipe entry (reading it would block)', make: () => gz(tar([manifest(), { name: 'go/list.json', type: '6' }])), code: 'unsafe-entry', message: /entry type 'fifo' is not allowed/ },
  { file: 'unknown-typeflag.gbp.tgz', breaks: "a GNU sparse entry (typeflag 'S'), which would extract as its sparse map", make: () => gz(tar([manifest(), { name: 'go/list.json', type: 'S', body: '{}' }])), code: 'unsafe-entry', message: /entry type 'unknown \(typeflag S\)' is not allowed/ },
  // --- names that collide
  { file: 'duplicate-entry.gbp.tgz', breaks: 'the same entry twice (the second would replace the first)', make: () => gz(tar([manifest(), { name: 'go/list.json', body: '{}' }, { name: 'go/list.json', body: '{"evil":1}' }])), code: 'unsafe-entry', message: /refusing entry 'go\/list\.json': appears twice/, entry: 'go/list.json' },
  { file: 'duplicate-manifest.gbp.tgz', breaks: 'a second manifest.json after the first', make: () => gz(tar([manifest(), manifest({ complete: false })])), code: 'unsafe-entry', message: /'manifest\.json': appears twice/ },
  { file: 'file-then-folder.gbp.tgz', breaks: 'a file, then entries under it as if it were a folder', make: () => gz(tar([manifest(), { name: 'go', body: 'x' }, { name: 'go/list.json', body: '{}' }])), code: 'unsafe-entry', message: /'go' is a file, not a folder/ },
  { file: 'folder-then-file.gbp.tgz', breaks: 'a folder, then a file of the same name', make: () => gz(tar([manifest(), { name: 'go/', type: '5' }, { name: 'go', body: 'x' }])), code: 'unsafe-entry', message: /a folder of that name exists/ },
  // --- caps against decompression bombs (lowered caps keep the files tiny; passesWith shows the override)
  { file: 'too-many-entries.gbp.tgz', breaks: '12 entries against a cap of 10', make: () => gz(tar([manifest(), ...Array.from({ length: 11 }, (_, i) => ({ name: `symbols/${i}.json.gz`, body: 'x' }))])), opts: { maxEntries: 10 }, code: 'limit', message: /more than 10 entries \(raise with --max-entries\)/, passesWith: { maxEntries: 12 } },
  { file: 'entry-too-big.gbp.tgz', breaks: 'a 1 MiB entry against a per-entry cap of 64 KiB', make: () => gz(tar([manifest(), { name: 'perf/perf.data', body: Buffer.alloc(1 << 20) }])), opts: { maxEntryBytes: 65536 }, code: 'limit', message: /entry 'perf\/perf\.data' is 1048576 bytes, more than 65536 \(raise with --max-entry-bytes\)/, entry: 'perf/perf.data', passesWith: { maxEntryBytes: 1 << 20 } },
  { file: 'total-too-big.gbp.tgz', breaks: 'four 256 KiB entries against a total cap of 512 KiB', make: () => gz(tar([manifest(), ...[0, 1, 2, 3].map((i) => ({ name: `symbols/${i}.json.gz`, body: Buffer.alloc(1 << 18) }))])), opts: { maxTotalBytes: 1 << 19 }, code: 'limit', message: /bundle expands to more than 524288 bytes at entry 'symbols\/1\.json\.gz' \(raise with --max-total-bytes\)/, passesWith: { maxTotalBytes: 1 << 21 } },
  { file: 'declared-size-huge.gbp.tgz', breaks: 'a pax size of 1 TB on a tiny entry (refused before reading, at the default caps)', make: () => gz(tar([manifest(), pax([['size', String(1e12)]]), { name: 'perf/perf.data', body: 'x' }], { end: false })), code: 'limit', message: /entry 'perf\/perf\.data' is 1000000000000 bytes, more than 4294967296 \(raise with --max-entry-bytes\)/ },
  { file: 'zero-block-bomb.gbp.tgz', breaks: '64 MiB of empty tar blocks (no entry carries them) against a 1 MiB cap', make: () => gz(Buffer.concat([tar([manifest()], { end: false }), Buffer.alloc(64 << 20)])), opts: { maxTotalBytes: 1 << 20 }, code: 'limit', message: /bundle expands to more than 1048576 bytes \(raise with --max-total-bytes\)/, passesWith: {} },
  // --- damaged archives
  { file: 'truncated-gzip.gbp.tgz', breaks: 'a gzip stream cut off inside go/list.json', make: () => { const z = gz(sound()); return z.subarray(0, Math.floor(z.length / 2)); }, code: 'damaged', message: /damaged archive while reading entry 'go\/list\.json': unexpected end of file/, entry: 'go/list.json', partialMissing: ['build/stderr.txt', 'build/stdout.txt', 'go/list.json'] },
  { file: 'truncated-tar.gbp.tgz', breaks: 'a complete gzip of a tar cut off inside go/list.json', make: () => gz(sound().subarray(0, 1024 + 9000)), code: 'damaged', message: /damaged archive while reading entry 'go\/list\.json': Unexpected end of data/, entry: 'go/list.json', partialMissing: ['build/stderr.txt', 'build/stdout.txt', 'go/list.json'] },
  { file: 'corrupt-gzip-crc.gbp.tgz', breaks: 'a gzip whose CRC trailer is wrong (zlib drops the last inflated block, so the cut lands in go/list.json)', make: () => { const z = Buffer.from(gz(sound())); z[z.length - 6] ^= 0xff; return z; }, code: 'damaged', message: /damaged archive while reading entry 'go\/list\.json': incorrect data check/, entry: 'go/list.json', partialMissing: ['build/stderr.txt', 'build/stdout.txt', 'go/list.json'] },
  { file: 'corrupt-tar-header.gbp.tgz', breaks: 'a tar header with a wrong checksum after the manifest', make: () => gz(tar([manifest(), { name: 'go/list.json', body: '{}', badChecksum: true }])), code: 'damaged', message: /damaged archive after entry 'manifest\.json' \(1 entries read\): Invalid tar header/, partialMissing: ['build/stderr.txt', 'build/stdout.txt', 'go/list.json'] },
  { file: 'trailing-garbage.gbp.tgz', breaks: 'random bytes after the gzip member', make: () => Buffer.concat([gz(sound()), randomBytes(600, 7)]), code: 'damaged', message: /damaged archive while reading entry 'go\/list\.json': incorrect header check/, partialMissing: ['build/stderr.txt', 'build/stdout.txt', 'go/list.json'] },
  { file: 'folder-with-size.gbp.tgz', breaks: 'a folder header that claims 4 bytes of data (hung tar-stream; found by fuzzing)', make: () => gz(tar([manifest(), { name: 'go/', type: '5', body: 'abcd' }, { name: 'go/list.json', body: '{}' }])), code: 'damaged', message: /damaged archive after entry 'go\/' \(1 entries read\): Invalid tar header/, partialMissing: ['build/stderr.txt', 'build/stdout.txt', 'go/list.json'] },
  { file: 'no-end-marker.gbp.tgz', breaks: 'a tar without its end-of-archive blocks (cut at an entry boundary, then gzip\'d)', make: () => gz(tar([manifest(), { name: 'go/list.json', body: '{}' }], { end: false })), code: 'damaged', message: /damaged archive after entry 'go\/list\.json' \(2 entries read\): archive ends without an end-of-archive marker/, partialMissing: ['build/stderr.txt', 'build/stdout.txt'] },
  { file: 'pax-malformed.gbp.tgz', breaks: 'a pax record whose length runs past the header', make: () => gz(tar([manifest(), { name: 'PaxHeaders/x', type: 'x', body: '99 path=go/list.json\n' }, { name: 'x', body: '{}' }])), code: 'damaged', message: /after entry 'manifest\.json' \(1 entries read\): malformed pax header record at byte 0/ },
  { file: 'pax-huge.gbp.tgz', breaks: 'a 2 MiB pax header (the parser buffers these)', make: () => gz(tar([manifest(), { name: 'PaxHeaders/x', type: 'x', body: Buffer.alloc(2 << 20, 0x30) }])), code: 'damaged', message: /extended header of 2097152 bytes is larger than 1048576/ },
  { file: 'negative-size.gbp.tgz', breaks: 'a base-256 size field holding a negative number', make: () => { const t = tar([manifest(), { name: 'go/list.json', body: '' }]); const off = headerOffset(t, 1); t.fill(0xff, off + 124, off + 136); return gz(fixChecksum(t, off)); }, code: 'damaged', message: /negative size in tar header/ },
  { file: 'random-bytes.gbp.tgz', breaks: '4 KiB of random bytes', make: () => randomBytes(4096, 1), code: 'not-a-bundle', message: /not a gzip'd tar bundle \(not gzip data\)/ },
  { file: 'random-in-gzip.gbp.tgz', breaks: 'a gzip of random bytes (no tar inside)', make: () => gz(randomBytes(4096, 2)), code: 'not-a-bundle', message: /not a gzip'd tar bundle \(gzip holds no tar archive\)/ },
  { file: 'text-in-gzip.gbp.tgz', breaks: 'a gzip of a text file', make: () => gz(Buffer.from(goList(3))), code: 'not-a-bundle', message: /gzip holds no tar archive/ },
  { file: 'plain-tar.gbp.tgz', breaks: "a tar that was never gzip'd", make: () => sound(), code: 'not-a-bundle', message: /not gzip data/ },
  { file: 'zip-file.gbp.tgz', breaks: 'a zip archive renamed to .gbp.tgz', make: () => Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), randomBytes(200, 3)]), code: 'not-a-bundle', message: /not gzip data/ },
  { file: 'empty-file.gbp.tgz', breaks: 'a zero-byte file', make: () => Buffer.alloc(0), code: 'not-a-bundle', message: /empty file/ },
  { file: 'empty-tar.gbp.tgz', breaks: 'a gzip of an empty tar', make: () => gz(Buffer.alloc(1024)), code: 'not-a-bundle', message: /has no manifest\.json/, entry: 'manifest.json' },
  // --- manifest problems
  { file: 'manifest-missing.gbp.tgz', breaks: 'a tar of entries with no manifest.json', make: () => gz(tar([{ name: 'go/list.json', body: goList(2) }])), code: 'not-a-bundle', message: /has no manifest\.json/, entry: 'manifest.json' },
  { file: 'manifest-invalid-json.gbp.tgz', breaks: 'a manifest.json cut in the middle', make: () => gz(tar([{ name: 'manifest.json', body: JSON.stringify(validManifest()).slice(0, 80) }])), code: 'parse', message: /manifest\.json is not valid JSON/, entry: 'manifest.json' },
  { file: 'manifest-not-gbp.gbp.tgz', breaks: 'a manifest.json from some other tool', make: () => gz(tar([{ name: 'manifest.json', body: '{"format":{"name":"docker-image","version":1}}' }])), code: 'not-a-bundle', message: /manifest\.json does not describe a go-build-profiler-bundle/, entry: 'manifest.json' },
  { file: 'manifest-newer-version.gbp.tgz', breaks: 'a bundle from format version 2', make: () => gz(tar([manifest({ format: { name: FORMAT_NAME, version: FORMAT_VERSION + 1 } }), { name: 'go/list.json', body: goList(1) }])), code: 'version', message: /bundle format version 2 is newer than this gbp understands \(1\)/, entry: 'manifest.json' },
  { file: 'manifest-bad-version.gbp.tgz', breaks: 'a format version that is a string', make: () => gz(tar([manifest({ format: { name: FORMAT_NAME, version: '1' } })])), code: 'parse', message: /format\.version must be a positive integer, not "1"/ },
  { file: 'manifest-bad-field.gbp.tgz', breaks: 'a manifest whose startNs is a float, not a decimal string', make: () => gz(tar([manifest({ startNs: 1.76414e18 })])), code: 'parse', message: /field 'startNs' must be decimal/, entry: 'manifest.json' },
  { file: 'manifest-missing-field.gbp.tgz', breaks: 'a manifest without collectors', make: () => gz(tar([manifest({ collectors: undefined })])), code: 'parse', message: /missing field 'collectors'/ },
  { file: 'manifest-bad-collector.gbp.tgz', breaks: 'a collector whose status is not ok, skipped or failed', make: () => gz(tar([manifest({ collectors: { perf: { status: 'maybe' } } })])), code: 'parse', message: /collectors\.perf\.status must be ok, skipped or failed/ },
  { file: 'manifest-huge.gbp.tgz', breaks: 'a 17 MiB manifest.json (whitespace)', make: () => gz(tar([{ name: 'manifest.json', body: Buffer.alloc(17 << 20, 0x20) }])), code: 'limit', message: /manifest\.json is 17825792 bytes, too large for a manifest/ },
  { file: 'manifest-array.gbp.tgz', breaks: 'a manifest.json that is a JSON array', make: () => gz(tar([{ name: 'manifest.json', body: '[1,2,3]' }])), code: 'not-a-bundle', message: /does not describe a go-build-profiler-bundle/ },
];
