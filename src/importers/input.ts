// What every importer accepts: a stream, any async iterable of chunks, or a
// whole string/Buffer (tests and small inputs). Files are opened with a
// chosen chunk size so tests can exercise chunk boundaries.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** What every importer reads: a stream or async iterable of chunks, or the whole text/Buffer. */
export type Input = AsyncIterable<Buffer | string> | Buffer | string;

/** Default read size for files: large enough to make line scanning cheap. */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

/** Opens a file as an Input read in `chunkSize` pieces. */
export function fileInput(path: string, chunkSize = DEFAULT_CHUNK_SIZE): Input {
  return createReadStream(path, { highWaterMark: chunkSize });
}

/** Splits an in-memory text into chunks of `size` bytes (tests: tiny chunks). */
export async function* chunked(data: string | Buffer, size: number): AsyncGenerator<Buffer> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** The input as Buffers, in order. */
export async function* bufferChunks(input: Input): AsyncGenerator<Buffer> {
  if (typeof input === 'string') return yield Buffer.from(input);
  if (Buffer.isBuffer(input)) return yield input;
  for await (const c of input) yield typeof c === 'string' ? Buffer.from(c) : c;
}

/** The input as UTF-8 text pieces; multi-byte characters split across chunks stay whole. */
export async function* textChunks(input: Input): AsyncGenerator<string> {
  if (typeof input === 'string') return yield input;
  const dec = new StringDecoder('utf8');
  for await (const c of bufferChunks(input)) {
    const s = dec.write(c);
    if (s) yield s;
  }
  const rest = dec.end();
  if (rest) yield rest;
}

/** Lines of the input with 1-based numbers; a trailing '\r' is dropped (CRLF files). */
export async function* lines(input: Input): AsyncGenerator<{ text: string; line: number }> {
  let carry = '';
  let n = 0;
  for await (const chunk of textChunks(input)) {
    let s = carry ? carry + chunk : chunk;
    let from = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', from)) {
      const end = nl > from && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { text: s.slice(from, end), line: ++n };
      from = nl + 1;
    }
    carry = s.slice(from);
    s = '';
  }
  if (carry) yield { text: carry.endsWith('\r') ? carry.slice(0, -1) : carry, line: ++n };
}

/** The first `n` bytes of a file-like input as text, for detectors. */
export function head(data: string | Buffer, n = 4096): string {
  return typeof data === 'string' ? data.slice(0, n) : data.subarray(0, n).toString('utf8');
}

/** true when `b` starts with gzip's magic bytes (1f 8b). */
export function isGzipMagic(b: Uint8Array, length = b.length): boolean {
  return length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}
