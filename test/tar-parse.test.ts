// The strict tar parser against an independent reader (Python's tarfile),
// at every chunk size from 1 byte up, on a sound archive with pax and GNU
// long names and on the sample bundles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readTar, TarFormatError } from '../src/bundle/tar-parse.ts';
import { soundTar, tar } from '../scripts/hostile-cases.ts';

type Listing = [name: string, type: string, size: number, sha256: string][];

async function* chunks(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function ours(t: Buffer, chunk: number): Promise<Listing> {
  const out: Listing = [];
  await readTar(chunks(t, chunk), async (h, body) => {
    const hash = createHash('sha256');
    let n = 0;
    for await (const p of body()) {
      hash.update(p);
      n += p.length;
    }
    assert.equal(n, h.size);
    out.push([h.name, h.type === 'file' ? 'file' : h.type, n, hash.digest('hex')]);
  });
  return out;
}

/** The same listing from Python's tarfile module. */
function python(t: Buffer): Listing {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gbp-tar-parse-'));
  try {
    const f = path.join(dir, 'a.tar');
    writeFileSync(f, t);
    const py = `import tarfile,hashlib,json,sys
out=[]
for m in tarfile.open(sys.argv[1], 'r:'):
    data = tarfile.open(sys.argv[1], 'r:').extractfile(m.name).read() if m.isfile() else b''
    out.append([m.name + ('/' if m.isdir() else ''), 'file' if m.isfile() else 'directory' if m.isdir() else 'other', len(data), hashlib.sha256(data).hexdigest()])
print(json.dumps(out))`;
    return JSON.parse(execFileSync('python3', ['-c', py, f], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A sound tar with the extended headers a real tar writer uses: pax path and size, GNU long name, a folder. */
function extendedTar(): Buffer {
  const long = 'symbols/' + 'x'.repeat(150) + '.json.gz';
  const paxBody = (k: string, v: string) => {
    const rest = ` ${k}=${v}\n`;
    let len = rest.length + 1;
    while (String(len).length + rest.length > len) len++;
    return `${len}${rest}`;
  };
  return tar([
    { name: 'manifest.json', body: '{}' },
    { name: 'go/', type: '5' },
    { name: 'PaxHeaders/1', type: 'x', body: paxBody('path', long) },
    { name: 'short-name-replaced', body: 'pax named me' },
    { name: '././@LongLink', type: 'L', body: 'perf/' + 'y'.repeat(120) + '.txt\0' },
    { name: 'ignored', body: Buffer.alloc(3000, 7) },
    { name: 'empty.txt', body: '' },
  ]);
}

for (const [label, make] of [
  ['sound bundle tar', soundTar],
  ['pax and GNU long names', extendedTar],
] as const) {
  test(`readTar matches Python's tarfile on a ${label}, at chunk sizes 1 to 64 KiB`, async () => {
    const t = make();
    const want = python(t);
    assert.ok(want.length >= 4);
    for (const size of [1, 7, 511, 512, 513, 4096, 65536]) assert.deepEqual(await ours(t, size), want, `chunk size ${size}`);
  });
}

test("readTar matches Python's tarfile on every sample bundle", async (t) => {
  const dir = new URL('../samples/', import.meta.url).pathname;
  const samples = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.gbp.tgz')) : [];
  if (!samples.length) return t.skip('no samples/ yet');
  for (const s of samples) {
    const tarBytes = gunzipSync(readFileSync(path.join(dir, s)));
    assert.deepEqual(await ours(tarBytes, 65536), python(tarBytes), s);
  }
});

test('readTar refuses what Python would also refuse, with a reason', async () => {
  const good = soundTar();
  const cases: [string, Buffer, RegExp][] = [
    ['cut inside an entry', good.subarray(0, 2000), /Unexpected end of data/],
    ['no end marker', good.subarray(0, good.length - 1024), /without an end-of-archive marker/],
    ['bad checksum', Buffer.concat([Buffer.from(good.subarray(0, 512)).fill(65, 0, 1), good.subarray(512)]), /checksum mismatch/],
  ];
  for (const [what, bytes, msg] of cases) {
    await assert.rejects(ours(bytes, 100), (e) => e instanceof TarFormatError && msg.test(e.message), what);
  }
});
