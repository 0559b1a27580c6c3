// Fuzz inputs for the bundle reader: random bytes, gzip'd noise, tars built
// from hostile names and types, and real bundles mutated in their tar headers
// (with the checksum fixed, so the mutation gets past the first check).
import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { byteOp, applyByteOps } from './fuzz-inputs.ts';
import { soundTar, tar, validManifest, type TarEntry } from './hostile-cases.ts';

/** Sample bundles (gunzipped to tar), capped so that one case stays cheap. */
export function readerSeeds(repo: string, maxTar = 256 << 10): Buffer[] {
  const seeds = [soundTar()];
  const dir = path.join(repo, 'samples');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.gbp.tgz')).sort()) {
      const t = gunzipSync(readFileSync(path.join(dir, f)));
      // Whole entries up to maxTar, then a proper end marker: a sound seed.
      const cut = headerOffsets(t).filter((o) => o > 0 && o <= maxTar).pop();
      seeds.push(t.length > maxTar && cut ? Buffer.concat([t.subarray(0, cut), Buffer.alloc(1024)]) : t);
    }
  }
  return seeds;
}

/** Offsets of the 512-byte headers in a tar (walking sizes, stopping at the end marker). */
export function headerOffsets(t: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 512 <= t.length; ) {
    const h = t.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    out.push(off);
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8) || 0;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const FIELDS = { name: [0, 100], size: [124, 12], type: [156, 1], linkname: [157, 100], magic: [257, 8], prefix: [345, 155], mode: [100, 8] } as const;
type Field = keyof typeof FIELDS;

const hostileName = fc.oneof(
  fc.constantFrom('../x', '../../gbp-fuzz-escaped', '/tmp/gbp-fuzz-escaped', 'a\\..\\b', 'manifest.json', 'go/list.json', 'go', 'go/', '.', './', '', 'a//b', './manifest.json', 'a/./b', 'x'.repeat(99), '\0x', 'é/ü', 'PaxHeaders/x'),
  fc.array(fc.constantFrom('..', '.', 'a', 'go', '', 'manifest.json', '\\', '\0', 'é'), { minLength: 1, maxLength: 5 }).map((p) => p.join('/')),
);

const fieldValue = (f: Field): fc.Arbitrary<Buffer> => {
  switch (f) {
    case 'size':
      return fc.oneof(
        fc.constantFrom('77777777777\0', '00000000000\0', '-0000000001\0', 'zzzzzzzzzzz\0', '           \0').map((s) => Buffer.from(s, 'latin1')),
        // base-256 sizes (tar-stream decodes these): huge and negative
        fc.constantFrom(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])),
        fc.nat({ max: 1 << 22 }).map((n) => Buffer.from(n.toString(8).padStart(11, '0') + '\0')),
      );
    case 'type':
      return fc.oneof(fc.constantFrom(...'0123456789xgLKSDMNVZ\0 '.split('')).map((c) => Buffer.from(c, 'latin1')), fc.integer({ min: 0, max: 255 }).map((n) => Buffer.from([n])));
    case 'magic':
      return fc.constantFrom('ustar\x0000', 'ustar  \0', '\0\0\0\0\0\0\0\0', 'junkjunk').map((s) => Buffer.from(s, 'latin1'));
    default:
      return fc.oneof(hostileName.map((s) => Buffer.from(s, 'utf8')), fc.uint8Array({ maxLength: 100 }).map((u) => Buffer.from(u)));
  }
};

interface HeaderOp {
  header: number;
  field: Field;
  value: Buffer;
  fixChecksum: boolean;
}

const headerOp: fc.Arbitrary<HeaderOp> = fc
  .constantFrom(...(Object.keys(FIELDS) as Field[]))
  .chain((field) => fc.record({ header: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), field: fc.constant(field), value: fieldValue(field), fixChecksum: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }));

function applyHeaderOps(t: Buffer, ops: HeaderOp[]): Buffer {
  const b = Buffer.from(t);
  const offs = headerOffsets(b);
  for (const op of ops) {
    if (!offs.length) break;
    const off = offs[Math.floor(op.header * offs.length)];
    const [start, len] = FIELDS[op.field];
    b.fill(0, off + start, off + start + len);
    op.value.copy(b, off + start, 0, Math.min(len, op.value.length));
    if (op.fixChecksum) {
      b.fill(32, off + 148, off + 156);
      let sum = 0;
      for (let i = off; i < off + 512; i++) sum += b[i];
      b.write(sum.toString(8).padStart(6, '0') + '\0 ', off + 148, 'latin1');
    }
  }
  return b;
}

const tarType = fc.constantFrom<NonNullable<TarEntry['type']>>('0', '0', '0', '0', '5', '1', '2', '3', '4', '6', 'x', 'L', 'S', 'Z');

/** A tar built from hostile entries, usually after a valid manifest. */
const structuredTar = fc
  .record({
    manifest: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    entries: fc.array(fc.record({ name: hostileName, type: tarType, body: fc.oneof(fc.constant(''), fc.string({ maxLength: 64 })), linkname: fc.constantFrom(undefined, '/etc/passwd', '../x') }), { maxLength: 8 }),
    end: fc.boolean(),
  })
  .map(({ manifest, entries, end }) => {
    const all: TarEntry[] = manifest ? [{ name: 'manifest.json', body: JSON.stringify(validManifest()) }] : [];
    for (const e of entries) all.push({ ...e, body: e.type === 'x' ? `${e.body.length + 10} path=${e.body}\n` : e.body });
    return tar(all, { end });
  });

/** What the reader fuzz target feeds openBundle: the bytes, and caps for the read. */
export interface ReaderCase {
  bytes: Buffer;
  opts: { maxEntries?: number; maxEntryBytes?: number; maxTotalBytes?: number; partial: boolean };
}

export function readerCases(seeds: Buffer[]): fc.Arbitrary<ReaderCase> {
  const seed = fc.integer({ min: 0, max: seeds.length - 1 });
  const gz = (b: Buffer) => gzipSync(b, { level: 1 });
  const bytes = fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((u) => Buffer.from(u)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((u) => gz(Buffer.from(u))) },
    { weight: 3, arbitrary: structuredTar.map(gz) },
    { weight: 4, arbitrary: fc.tuple(seed, fc.array(headerOp, { minLength: 1, maxLength: 3 })).map(([s, ops]) => gz(applyHeaderOps(seeds[s], ops))) },
    { weight: 3, arbitrary: fc.tuple(seed, fc.array(byteOp, { minLength: 1, maxLength: 4 })).map(([s, ops]) => gz(applyByteOps(seeds[s], ops))) },
    { weight: 1, arbitrary: fc.tuple(seed, fc.array(byteOp, { minLength: 1, maxLength: 3 })).map(([s, ops]) => applyByteOps(gz(seeds[s]), ops)) },
  );
  const opts = fc.record({
    maxEntries: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    maxEntryBytes: fc.option(fc.integer({ min: 1, max: 1 << 16 }), { nil: undefined }),
    maxTotalBytes: fc.option(fc.integer({ min: 1, max: 1 << 18 }), { nil: undefined }),
    partial: fc.boolean(),
  });
  return fc.record({ bytes, opts });
}
