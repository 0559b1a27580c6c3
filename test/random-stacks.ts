// Random perf stacks for property tests of symbolizing and trimming after the
// parse: raw frames that a resolver expands into 1-3 frames, some unmapped,
// some Go entry frames left unnamed by perf (one inlined inside another
// frame, so a stack can be cut inside an expansion), in two binaries. Every
// branch of the unwind-garbage rule: unmapped prefix, entry frame right after
// it or further in, in the middle of an expansion, the binary's run ending,
// all unmapped, stacks ending while undecided.
import fc from 'fast-check';
import type { RawFrame } from '../src/importers/perf-script.ts';
import type { Frame } from '../src/model/types.ts';

const A = '/bin/a';
const B = '/bin/b';
const fr = (name: string, dso: string, addr: string, inlined = false): Frame => ({ name, dso, addr, named: true, file: `${name}.go`, line: 7, ...(inlined ? { inlined } : {}) });

/** Frame lines as perf prints them, and what the resolver makes of each (null: perf's frame stays). */
export const RAW: { line: string; frames: Frame[] | null }[] = [
  { line: '0 [unknown] ([unknown])', frames: null },
  { line: 'c000038500 [unknown] ([unknown])', frames: null },
  { line: '1000 [unknown] (/bin/a)', frames: [fr('runtime.goexit.abi0', A, '1000')] },
  { line: '1010 [unknown] (/bin/a)', frames: [fr('main.f', A, '1010', true), fr('runtime.mstart', A, '1010')] },
  { line: '1020 [unknown] (/bin/a)', frames: [fr('main.g', A, '1020', true), fr('main.h', A, '1020', true), fr('main.work', A, '1020')] },
  { line: '1030 main.k+0x4 (/bin/a)', frames: null },
  { line: '1040 [unknown] (/bin/a)', frames: [fr('runtime.rt0_go', A, '1040', true), fr('main.x', A, '1040')] },
  { line: '2000 [unknown] (/bin/b)', frames: [fr('runtime.goexit', B, '2000')] },
  { line: '2010 b.work+0x8 (/bin/b)', frames: null },
  { line: 'ffffffff81000c82 asm_exc_page_fault+0x22 ([kernel.kallsyms])', frames: null },
];

const byLine = new Map(RAW.map((r) => [r.line.split(' ')[0] + '|' + r.line.slice(r.line.lastIndexOf('(') + 1, -1), r.frames]));

/** The resolver of RAW's frames, by address and DSO. */
export const resolveRaw = (raw: RawFrame): Frame[] | null => byLine.get(`${raw.addr}|${raw.dso}`) ?? null;

export type RandomSample = { tid: number; stack: number[] };

/** Up to 40 samples of up to 8 RAW frames each (innermost first), on 3 threads. */
export const randomSamples = fc.array(fc.record({ tid: fc.integer({ min: 1, max: 3 }), stack: fc.array(fc.integer({ min: 0, max: RAW.length - 1 }), { minLength: 0, maxLength: 8 }) }), { minLength: 1, maxLength: 40 });

/** The samples as perf script text. */
export function perfText(samples: RandomSample[]): string {
  let text = '';
  samples.forEach((s, i) => {
    text += `prog 100/${s.tid} 1.${String(i).padStart(6, '0')}: 1000 cpu-clock:\n`;
    for (const r of s.stack) text += `\t${RAW[r].line}\n`;
    text += '\n';
  });
  return text;
}
