// A real `go build` packed into a bundle, for the analysis tests: a tiny
// main module built with -a (so the std packages it needs compile too),
// at a chosen -p, with the debug files gbp capture records.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENTRY, type Manifest } from '../src/bundle/format.ts';
import { packBundle, testManifest } from './pack-bundle.ts';

export const GO = '/usr/local/go/bin/go';

const FILES: Record<string, string> = {
  'go.mod': 'module example.com/app\n\ngo 1.21\n',
  'main.go': 'package main\n\nimport (\n\t"fmt"\n\t"example.com/app/lib"\n)\n\nfunc main() { fmt.Println(lib.Sum(1, 2)) }\n',
  'lib/lib.go': 'package lib\n\nimport "strconv"\n\n// Sum adds and formats.\nfunc Sum(a, b int) string { return strconv.Itoa(a + b) }\n',
};

export interface RealBundle {
  file: string;
  /** The raw -debug-actiongraph JSON and `go list -json -deps` text, as the go command wrote them. */
  actionGraph: string;
  goList: string;
  /** Wall of the go build process as we timed it, ns. */
  wallNs: number;
  /** Packs the same raw files again into `out`, after `edit` changed the manifest. */
  repack(out: string, edit: (m: Manifest) => void): Promise<void>;
  cleanup(): void;
}

/** Builds the module with `go build -a -p P` and packs a bundle of it. */
export async function realBuildBundle(p: number, extraArgs: string[] = []): Promise<RealBundle> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-anb-'));
  const mod = path.join(dir, 'mod');
  for (const [f, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(mod, f)), { recursive: true });
    writeFileSync(path.join(mod, f), text);
  }
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: path.join(dir, 'cache'), GOFLAGS: '', GOPATH: path.join(dir, 'gopath') };
  const f = (n: string) => path.join(dir, n);
  const argv = ['go', 'build', '-a', '-p', String(p), ...extraArgs, '-o', f('app'), '.'];
  const startNs = BigInt(Date.now()) * 1_000_000n;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(GO, [...argv.slice(1, -1), `-debug-actiongraph=${f('ag.json')}`, `-gcflags=all=-bench=${f('bench.txt')}`, '.'], { cwd: mod, env, encoding: 'utf8' });
  const wallNs = Number(process.hrtime.bigint() - t0);
  if (r.status !== 0) throw new Error(`go build failed (status ${r.status}, ${r.signal ?? r.error?.message ?? ""}): ${r.stderr}`);
  writeFileSync(f('list.json'), execFileSync(GO, ['list', '-json', '-deps', '.'], { cwd: mod, env, encoding: 'utf8' }));
  const file = f('build.gbp.tgz');
  const m = testManifest(startNs);
  m.build = { ...m.build, argv, wallNs };
  m.endNs = (startNs + BigInt(wallNs)).toString();
  const entries = {
    [ENTRY.goList]: { file: f('list.json') },
    [ENTRY.actionGraph]: { file: f('ag.json') },
    [ENTRY.compileBench]: { file: f('bench.txt') },
  };
  await packBundle(file, m, entries);
  return {
    file,
    wallNs,
    actionGraph: readFileSync(f('ag.json'), 'utf8'),
    goList: readFileSync(f('list.json'), 'utf8'),
    async repack(out, edit) {
      const copy = structuredClone(m);
      edit(copy);
      await packBundle(out, copy, entries);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
