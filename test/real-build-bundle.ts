// A real build captured with `gbp capture` for the analysis tests: a tiny
// main module built with -a (so the ~60 std packages it needs compile too,
// and it links), at a chosen -p. perf is off: these tests need the action
// graph, go list, -bench and the toolexec log, not CPU samples.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENTRY, type Manifest } from '../src/bundle/format.ts';
import { openBundle } from '../src/bundle/reader.ts';
import { packBundle } from './pack-bundle.ts';

export const GO = '/usr/local/go/bin/go';
const GBP = new URL('../src/cli/gbp.mjs', import.meta.url).pathname;

const FILES: Record<string, string> = {
  'go.mod': 'module example.com/app\n\ngo 1.21\n',
  'main.go': 'package main\n\nimport (\n\t"fmt"\n\t"example.com/app/lib"\n)\n\nfunc main() { fmt.Println(lib.Sum(1, 2)) }\n',
  'lib/lib.go': 'package lib\n\nimport "strconv"\n\n// Sum adds and formats.\nfunc Sum(a, b int) string { return strconv.Itoa(a + b) }\n',
};

export interface RealBundle {
  file: string;
  /** The raw -debug-actiongraph JSON and `go list -json -deps` text from the bundle. */
  actionGraph: string;
  goList: string;
  /** toolexec/log.jsonl as the shim wrote it. */
  toolexecLog: string;
  /** Wall of the go build as gbp capture measured it, ns. */
  wallNs: number;
  /** Packs the same entries again into `out`, after `edit` changed the manifest. */
  repack(out: string, edit: (m: Manifest) => void): Promise<void>;
  cleanup(): void;
}

/** Captures `go build -a -p P -o app .` of the tiny module into a bundle. */
export async function realBuildBundle(p: number): Promise<RealBundle> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-anb-'));
  const mod = path.join(dir, 'mod');
  for (const [f, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(mod, f)), { recursive: true });
    writeFileSync(path.join(mod, f), text);
  }
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: path.join(dir, 'cache'), GOFLAGS: '', GOPATH: path.join(dir, 'gopath') };
  const file = path.join(dir, 'build.gbp.tgz');
  const r = spawnSync('node', [GBP, 'capture', '-o', file, '--perf', 'off', '--no-progress', '--', GO, 'build', '-a', '-p', String(p), '-o', path.join(dir, 'app'), '.'], { cwd: mod, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gbp capture failed (status ${r.status}, ${r.signal ?? r.error?.message ?? ''}): ${r.stderr}`);
  const b = await openBundle(file);
  try {
    const entries: Record<string, { data: Buffer }> = {};
    for (const name of b.entries.keys()) if (name !== ENTRY.manifest) entries[name] = { data: readFileSync(b.file(name)) };
    const manifest = b.manifest;
    return {
      file,
      actionGraph: await b.text(ENTRY.actionGraph),
      goList: await b.text(ENTRY.goList),
      toolexecLog: await b.text(ENTRY.toolexec),
      wallNs: manifest.build.wallNs,
      async repack(out, edit) {
        const copy = structuredClone(manifest);
        edit(copy);
        await packBundle(out, copy, entries);
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } finally {
    await b.close();
  }
}
