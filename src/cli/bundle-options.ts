// The flags every bundle-reading command shares: the caps against
// decompression bombs, --partial, and where symbols come from. A command adds
// them with addBundleOptions(cmd), opens its bundle with openBundleFromFlags()
// and loads it with loadOptionsFromFlags().
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_READ_OPTIONS, openBundle, type Bundle, type ReadOptions } from '../bundle/reader.ts';
import type { LoadOptions } from '../importers/index.ts';
import { termSafe } from './format.ts';

export interface BundleFlags {
  maxTotalBytes?: number;
  maxEntries?: number;
  maxEntryBytes?: number;
  partial?: boolean;
  binaries?: string;
  goroot?: string;
  /** false with --no-symbols. */
  symbols?: boolean;
  keepUnwindGarbage?: boolean;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** Parses a byte size such as `4096`, `64MiB`, `8GiB` or `1.5G` into bytes. */
export function parseByteSize(text: string): number {
  // e.g. "8GiB", "512 MB", "1000000"
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InvalidArgumentError(`'${text}' is not a size (try 4096, 64MiB, 8GiB)`);
  const n = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`'${text}' is not a positive size`);
  return n;
}

/** Parses a positive whole number flag value. */
export function parseCount(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || !(Number(text) > 0) || !Number.isSafeInteger(Number(text))) {
    throw new InvalidArgumentError(`'${text}' is not a positive whole number`);
  }
  return Number(text);
}

const human = (n: number) => (n % 1024 ** 3 === 0 ? `${n / 1024 ** 3}GiB` : n % 1024 ** 2 === 0 ? `${n / 1024 ** 2}MiB` : String(n));

/** Adds --max-total-bytes, --max-entries, --max-entry-bytes, --partial and the symbol flags to `cmd`. */
export function addBundleOptions(cmd: Command): Command {
  const d = DEFAULT_READ_OPTIONS;
  return addSymbolOptions(
    cmd
      .option('--max-total-bytes <size>', `refuse bundles that expand to more than this (default ${human(d.maxTotalBytes)})`, parseByteSize)
      .option('--max-entries <n>', `refuse bundles with more entries than this (default ${d.maxEntries})`, parseCount)
      .option('--max-entry-bytes <size>', `refuse bundle entries larger than this (default ${human(d.maxEntryBytes)})`, parseByteSize)
      .option('--partial', 'use what can be read from a damaged bundle, and say what is missing'),
  );
}

/** Adds --binaries, --goroot, --no-symbols and --keep-unwind-garbage to `cmd`. */
export function addSymbolOptions(cmd: Command): Command {
  return cmd
    .option(
      '--binaries <dir>',
      'name frames perf left [unknown] from copies of the recorded binaries in DIR (found by base name, or by full path under DIR); ' +
        'tried after the bundle\'s symbol sidecars and the binary at its recorded path; a copy whose build-id differs from the recording is reported and not used',
    )
    .option(
      '--goroot <dir>',
      'like --binaries for a Go toolchain: DIR/pkg/tool/<os_arch>/compile stands in for the recorded .../pkg/tool/<os_arch>/compile, DIR/bin/go for .../bin/go ' +
        '(e.g. --goroot /usr/lib/go-1.19 for a bundle captured with that toolchain elsewhere)',
    )
    .option('--no-symbols', "keep perf's own frame names: no sidecars, no binaries, [unknown] stays [unknown]")
    .option('--keep-unwind-garbage', "keep the frames perf's frame-pointer unwinder read past a stack's real end (by default dropped and counted)");
}

/** The importer options the symbol flags ask for. */
export function loadOptionsFromFlags(flags: BundleFlags): Partial<LoadOptions> {
  return {
    symbols: flags.symbols === false ? null : { binariesDir: flags.binaries ?? null, goroot: flags.goroot ?? null },
    dropUnwindGarbage: !flags.keepUnwindGarbage,
  };
}

/** The reader options the shared flags ask for. */
export function readOptionsFromFlags(flags: BundleFlags): ReadOptions {
  return {
    maxTotalBytes: flags.maxTotalBytes ?? DEFAULT_READ_OPTIONS.maxTotalBytes,
    maxEntries: flags.maxEntries ?? DEFAULT_READ_OPTIONS.maxEntries,
    maxEntryBytes: flags.maxEntryBytes ?? DEFAULT_READ_OPTIONS.maxEntryBytes,
    partial: !!flags.partial,
  };
}

/**
 * Opens `file` with the caps the flags set. When --partial kept a damaged
 * bundle, says so on stderr (what broke and which entries are missing).
 */
export async function openBundleFromFlags(file: string, flags: BundleFlags): Promise<Bundle> {
  const b = await openBundle(file, readOptionsFromFlags(flags));
  const note = damageNote(b);
  if (note) process.stderr.write(termSafe(note) + '\n');
  return b;
}

/** One paragraph about a damaged bundle opened with --partial, or null when it is whole. */
export function damageNote(b: Pick<Bundle, 'damage' | 'missing' | 'manifest'>): string | null {
  const lines: string[] = [];
  if (b.damage) {
    lines.push(`gbp: warning: --partial: using what could be read; ${b.damage}`);
    lines.push(b.missing.length ? `gbp: warning: missing entries: ${b.missing.join(', ')}` : 'gbp: warning: every entry the manifest lists was read');
  } else if (b.missing.length) {
    lines.push(`gbp: warning: the manifest lists entries the bundle does not hold: ${b.missing.join(', ')}`);
  }
  if (b.manifest && b.manifest.complete === false) {
    lines.push(`gbp: warning: the capture was incomplete${b.manifest.incompleteReason ? `: ${b.manifest.incompleteReason}` : ''}`);
  }
  return lines.length ? lines.join('\n') : null;
}
