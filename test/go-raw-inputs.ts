// Real raw inputs for importer tests: a tiny library module (no main, so no
// runtime and no link: about a second) built from scratch with the debug
// flags gbp capture uses. Written under a temp dir the caller removes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const GO_126 = '/usr/local/go/bin/go';
export const GO_119 = '/usr/lib/go-1.19/bin/go';

export interface RawInputs {
  dir: string;
  goVersion: string;
  list: string;
  actionGraph: string;
  trace: string;
  bench: string;
  /** `go list ./...` run separately: the packages named on the command line. */
  roots: string[];
  cleanup(): void;
}

const FILES: Record<string, string> = {
  'go.mod': 'module example.com/tiny\n\ngo 1.19\n',
  'a/a.go': 'package a\n\n// Sum adds.\nfunc Sum(xs ...int) (t int) {\n\tfor _, x := range xs {\n\t\tt += x\n\t}\n\treturn\n}\n',
  'b/b.go': 'package b\n\nimport "example.com/tiny/a"\n\n// Twice doubles.\nfunc Twice(x int) int { return a.Sum(x, x) }\n',
  'c/c.go': 'package c\n\nimport (\n\t"example.com/tiny/a"\n\t"example.com/tiny/b"\n)\n\n// Four quadruples.\nfunc Four(x int) int { return b.Twice(a.Sum(x, x)) }\n',
};

export function haveGo(go: string): boolean {
  return existsSync(go);
}

/** Writes the tiny module (packages a, b, c; no main) into `mod`. */
export function writeTinyModule(mod: string): void {
  for (const [f, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(mod, f)), { recursive: true });
    writeFileSync(path.join(mod, f), text);
  }
}

/** Builds the tiny module with `go`, returning the raw files it wrote. */
export function buildRawInputs(go: string): RawInputs {
  const dir = mkdtempSync(path.join(tmpdir(), 'gbp-raw-'));
  const mod = path.join(dir, 'mod');
  writeTinyModule(mod);
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOCACHE: path.join(dir, 'cache'), GOFLAGS: '', GO111MODULE: 'on', GOPATH: path.join(dir, 'gopath') };
  const run = (args: string[]) => execFileSync(go, args, { cwd: mod, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const r: RawInputs = {
    dir,
    goVersion: run(['env', 'GOVERSION']).trim(),
    list: path.join(dir, 'list.json'),
    actionGraph: path.join(dir, 'actiongraph.json'),
    trace: path.join(dir, 'trace.json'),
    bench: path.join(dir, 'compile-bench.txt'),
    roots: [],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  run(['build', `-debug-actiongraph=${r.actionGraph}`, `-debug-trace=${r.trace}`, `-gcflags=all=-bench=${r.bench}`, './...']);
  writeFileSync(r.list, run(['list', '-json', '-deps', './...']));
  r.roots = run(['list', './...']).trim().split('\n');
  return r;
}
