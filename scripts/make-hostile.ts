// Writes the hostile-bundle corpus into test/hostile/ (run after changing
// scripts/hostile-cases.ts; the files are committed):
//   node --import tsx scripts/make-hostile.ts
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CASES } from './hostile-cases.ts';

const out = new URL('../test/hostile/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.gbp.tgz')) rmSync(path.join(out, f));
const index = [
  '# test/hostile: one file per way a bundle can be broken or hostile',
  '',
  'Made by `node --import tsx scripts/make-hostile.ts` from `scripts/hostile-cases.ts`; checked by `test/hostile-bundles.test.ts`.',
  '',
  '| file | breaks | refused with |',
  '| --- | --- | --- |',
];
let total = 0;
for (const c of CASES) {
  const bytes = c.make();
  total += bytes.length;
  writeFileSync(path.join(out, c.file), bytes);
  index.push(`| \`${c.file}\` | ${c.breaks.replace(/\|/g, '\\|')} | \`${c.code}\`${c.opts ? ` (with ${JSON.stringify(c.opts)})` : ''} |`);
}
writeFileSync(path.join(out, 'README.md'), index.join('\n') + '\n');
console.log(`wrote ${CASES.length} files, ${total} bytes, to ${out}`);
