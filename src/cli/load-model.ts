// Opens a bundle with the shared caps and reads it into the model, saying on
// stderr how many warnings the importers recorded.
import type { BuildModel } from '../model/types.ts';
import { loadBuild } from '../importers/index.ts';
import { loadOptionsFromFlags, openBundleFromFlags, type BundleFlags } from './bundle-options.ts';
import { termSafe } from './format.ts';

/** Loads `file` into a BuildModel, honouring the shared bundle flags. */
export async function loadModelFromFlags(file: string, flags: BundleFlags): Promise<BuildModel> {
  const b = await openBundleFromFlags(file, flags);
  try {
    const m = await loadBuild(b, loadOptionsFromFlags(flags));
    if (m.warnings.length) process.stderr.write(termSafe(`gbp: ${file}: ${m.warnings.length} warning(s) while reading; first: ${m.warnings[0].entry}${m.warnings[0].line ? `:${m.warnings[0].line}` : ''}: ${m.warnings[0].message}`) + '\n');
    return m;
  } finally {
    await b.close();
  }
}
