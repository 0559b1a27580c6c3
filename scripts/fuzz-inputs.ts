// fast-check arbitraries that make hostile inputs: random bytes, and real
// inputs mutated at the byte, line and tar-header level. Shared by the fuzz
// targets in scripts/fuzz-targets.ts.
import fc from 'fast-check';

/** One edit to a byte buffer. Positions are fractions of the length, so one op fits any seed. */
export type ByteOp =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; len: number; times: number }
  | { kind: 'delete'; at: number; len: number };

const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

/** Bytes that break parsers: NUL, newline, quote, brace, high bit, UTF-8 lead. */
const specialByte = fc.constantFrom(0, 10, 13, 32, 34, 41, 44, 58, 91, 93, 123, 125, 0x80, 0xc3, 0xff);

export const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: frac, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: frac, value: fc.oneof(specialByte, fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: frac }),
  fc.record({ kind: fc.constant('insert' as const), at: frac, bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: frac, len: fc.integer({ min: 1, max: 2048 }), times: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: frac, len: fc.integer({ min: 1, max: 4096 }) }),
);

/** Applies the ops in order; never grows the buffer past `maxLength`. */
export function applyByteOps(input: Buffer, ops: ByteOp[], maxLength = 1 << 22): Buffer {
  let b = Buffer.from(input);
  for (const op of ops) {
    const at = Math.floor(op.at * b.length);
    switch (op.kind) {
      case 'flip':
        if (b.length) b[at] ^= 1 << op.bit;
        break;
      case 'set':
        if (b.length) b[at] = op.value;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), op.bytes, b.subarray(at)]);
        break;
      case 'repeat': {
        const piece = b.subarray(at, at + op.len);
        b = Buffer.concat([b.subarray(0, at + piece.length), ...Array(op.times).fill(piece), b.subarray(at + piece.length)]);
        break;
      }
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + op.len)]);
        break;
    }
    if (b.length > maxLength) b = b.subarray(0, maxLength);
  }
  return b;
}

/** Text that parsers of numbers, JSON and /proc fields trip over. */
export const nastyToken = fc.constantFrom(
  '', ' ', '\t', '\r', '\0', '-', '--1', '-0', 'NaN', 'Infinity', '1e309', '9007199254740993', '18446744073709551616', '0x', '0x1p3',
  '{', '}', '[', ']', '"', '\\', '\\u0000', '\\ud800', '{"a":', ']]]]', 'null', 'true', '[]', '{}', '()', ')', '(', ':', '==', '#',
  'é', '\u2028', '\uFEFF', '\uFFFD', '💥', 'ns/op', '%', '+0x', '[unknown]', '(deleted)', '0000000000000000',
);

/** One edit to a text, line-wise. Line indexes are fractions, as for bytes. */
export type LineOp =
  | { kind: 'drop'; at: number }
  | { kind: 'dup'; at: number; times: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'cut'; at: number; col: number }
  | { kind: 'splice'; at: number; col: number; text: string }
  | { kind: 'token'; at: number; which: number; text: string }
  | { kind: 'blank'; at: number }
  | { kind: 'crlf' };

export const lineOp: fc.Arbitrary<LineOp> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: frac }),
  fc.record({ kind: fc.constant('dup' as const), at: frac, times: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('swap' as const), at: frac, with: frac }),
  fc.record({ kind: fc.constant('cut' as const), at: frac, col: frac }),
  fc.record({ kind: fc.constant('splice' as const), at: frac, col: frac, text: fc.oneof(nastyToken, fc.string({ maxLength: 20 })) }),
  fc.record({ kind: fc.constant('token' as const), at: frac, which: frac, text: fc.oneof(nastyToken, fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant('blank' as const), at: frac }),
  fc.record({ kind: fc.constant('crlf' as const) }),
);

/** Applies line edits to a text (kept under `maxLines` lines). */
export function applyLineOps(text: string, ops: LineOp[], maxLines = 200_000): string {
  let lines = text.split('\n');
  let crlf = false;
  for (const op of ops) {
    const i = Math.floor(('at' in op ? op.at : 0) * lines.length);
    switch (op.kind) {
      case 'drop':
        lines.splice(i, 1);
        break;
      case 'dup':
        if (lines.length + op.times <= maxLines) lines.splice(i, 0, ...Array(op.times).fill(lines[i] ?? ''));
        break;
      case 'swap': {
        const j = Math.floor(op.with * lines.length);
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        break;
      }
      case 'cut':
        lines[i] = (lines[i] ?? '').slice(0, Math.floor(op.col * (lines[i] ?? '').length));
        break;
      case 'splice': {
        const l = lines[i] ?? '';
        const c = Math.floor(op.col * l.length);
        lines[i] = l.slice(0, c) + op.text + l.slice(c);
        break;
      }
      case 'token': {
        // Replaces one whitespace- or punctuation-separated token: numbers and names mostly.
        const parts = (lines[i] ?? '').split(/(\s+|[,:"{}[\]()=])/);
        const words = parts.map((p, k) => (/^\s*$|^[,:"{}[\]()=]$/.test(p) ? -1 : k)).filter((k) => k >= 0);
        if (words.length) parts[words[Math.floor(op.which * words.length)]] = op.text;
        lines[i] = parts.join('');
        break;
      }
      case 'blank':
        lines.splice(i, 0, '');
        break;
      case 'crlf':
        crlf = !crlf;
        break;
    }
  }
  if (lines.length > maxLines) lines = lines.slice(0, maxLines);
  return lines.join(crlf ? '\r\n' : '\n');
}

/** Random text with a bias to the characters that structure our inputs. */
export const structuredNoise = fc
  .array(fc.oneof(nastyToken, fc.string({ maxLength: 12 }), fc.constantFrom('\n', '\t', ' ', ': ', '==', '\n== 1 2 stat 5\n')), { maxLength: 200 })
  .map((parts) => parts.join(''));

/** Inputs for a text importer: noise, random bytes, and mutations of the seeds (line- then byte-level). */
export function textInputs(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const arbs: fc.Arbitrary<Buffer>[] = [fc.uint8Array({ maxLength: 4096 }).map((u) => Buffer.from(u)), structuredNoise.map((s) => Buffer.from(s))];
  if (seeds.length) {
    const seed = fc.integer({ min: 0, max: seeds.length - 1 });
    arbs.push(
      fc.tuple(seed, fc.array(lineOp, { minLength: 1, maxLength: 6 })).map(([s, ops]) => Buffer.from(applyLineOps(seeds[s].toString('utf8'), ops))),
      fc.tuple(seed, fc.array(byteOp, { minLength: 1, maxLength: 4 })).map(([s, ops]) => applyByteOps(seeds[s], ops)),
      fc.tuple(seed, fc.array(lineOp, { minLength: 1, maxLength: 3 }), fc.array(byteOp, { maxLength: 2 })).map(([s, l, b]) => applyByteOps(Buffer.from(applyLineOps(seeds[s].toString('utf8'), l)), b)),
    );
    // Unmutated seeds too, now and then: the importer must take its own real input.
    arbs.push(seed.map((s) => seeds[s]));
  }
  return fc.oneof(...arbs);
}
