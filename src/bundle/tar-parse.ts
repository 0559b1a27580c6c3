// A strict, pull-based tar parser for reading untrusted bundles. The caller
// handles one entry at a time and the parser waits for it, so nothing runs
// ahead of the consumer: positions in errors are exact, and no entry can be
// left half-delivered. (tar-stream, which we still use to *write* bundles,
// hangs on a folder header with a non-zero size and reports truncation before
// it has handed over the data it holds.)
//
// Formats: POSIX ustar with pax extended headers (`x`; `g` is read and
// ignored), GNU long names (`L`, `K`) and base-256 sizes, v7 headers.
// Spec: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html

/** Why an archive cannot be read further (a damaged or non-tar stream). */
export class TarFormatError extends Error {}

export type TarEntryType = 'file' | 'directory' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'fifo' | 'contiguous-file' | `unknown (typeflag ${string})`;

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** Body size in bytes; Infinity when the header claims more than 2^53. */
  size: number;
  linkname: string;
}

/** Limits on headers that the parser itself buffers (pax records, GNU long names). */
const MAX_EXTENDED_HEADER = 1 << 20;

/** Reads exact byte counts from an async iterable of chunks. */
class Pull {
  private chunks: Buffer[] = [];
  private have = 0;
  private ended = false;
  private it: AsyncIterator<Buffer>;

  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** Pulls until `n` bytes are buffered or the source ends; false if it ended short. */
  private async fill(n: number): Promise<boolean> {
    while (this.have < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else if (r.value.length) {
        this.chunks.push(r.value);
        this.have += r.value.length;
      }
    }
    return this.have >= n;
  }

  private take(n: number): Buffer {
    const parts: Buffer[] = [];
    for (let need = n; need > 0; ) {
      const c = this.chunks[0];
      if (c.length <= need) {
        parts.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        parts.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    this.have -= n;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  }

  /** Exactly `n` bytes, or null when the source ended cleanly before any of them. */
  async exact(n: number): Promise<Buffer | null> {
    if (await this.fill(n)) return this.take(n);
    if (this.have === 0) return null;
    throw new TarFormatError('Unexpected end of data');
  }

  /** The next `n` bytes in pieces as they arrive. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (this.have === 0 && !(await this.fill(1))) throw new TarFormatError('Unexpected end of data');
      const first = this.chunks[0];
      const piece = first.length <= n ? this.chunks.shift()! : first.subarray(0, n);
      if (piece !== first) this.chunks[0] = first.subarray(n);
      this.have -= piece.length;
      n -= piece.length;
      yield piece;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.pieces(n));
  }

  /** Reads to the end of the source (so that gzip checks its trailer). */
  async drain(): Promise<void> {
    this.chunks = [];
    this.have = 0;
    while (!this.ended) if ((await this.it.next()).done) this.ended = true;
  }
}

function cstr(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return (nul === -1 ? field : field.subarray(0, nul)).toString('utf8');
}

/** A numeric field: octal text, or GNU base-256 when the high bit is set. */
function number(b: Buffer, start: number, len: number, what: string): number {
  const f = b.subarray(start, start + len);
  if (f[0] & 0x80) {
    if (f[0] === 0xff) throw new TarFormatError(`negative ${what} in tar header`);
    let v = f[0] & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i];
    return Number.isSafeInteger(v) ? v : Infinity;
  }
  // e.g. "00000001750\0" or "   1750 \0"
  const text = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]*$/.test(text)) throw new TarFormatError(`invalid ${what} field in tar header: ${JSON.stringify(text)}`);
  const v = text ? parseInt(text, 8) : 0;
  return Number.isSafeInteger(v) ? v : Infinity;
}

function checksumOk(b: Buffer): boolean {
  const stored = number(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const x = i >= 148 && i < 156 ? 32 : b[i];
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  return stored === unsigned || stored === signed;
}

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '1': 'link', '2': 'symlink', '3': 'character-device', '4': 'block-device', '5': 'directory', '6': 'fifo', '7': 'contiguous-file' };

/** Parses pax records: "<len> <key>=<value>\n", len counting the whole record. */
function paxRecords(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < body.length) {
    if (body[at] === 0) break; // NUL padding after the last record
    const sp = body.indexOf(0x20, at);
    const lenText = sp === -1 ? '' : body.subarray(at, sp).toString('latin1');
    const len = /^\d{1,7}$/.test(lenText) ? Number(lenText) : NaN;
    if (!(len > lenText.length + 1) || at + len > body.length || body[at + len - 1] !== 0x0a) {
      throw new TarFormatError(`malformed pax header record at byte ${at}`);
    }
    const rec = body.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new TarFormatError(`malformed pax header record at byte ${at}`);
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    at += len;
  }
  return out;
}

/**
 * Calls `onEntry` for each entry of the tar read from `src`, one at a time.
 * `body()` streams the entry's bytes; whatever the callback leaves unread is
 * skipped. Ends after the end-of-archive marker, reading the source to its end.
 */
export async function readTar(src: AsyncIterable<Buffer>, onEntry: (h: TarHeader, body: () => AsyncGenerator<Buffer>) => Promise<void>): Promise<void> {
  const pull = new Pull(src);
  let pax: Map<string, string> | null = null;
  let longName: string | null = null;
  for (;;) {
    const block = await pull.exact(512);
    if (!block) throw new TarFormatError('archive ends without an end-of-archive marker');
    if (block.every((x) => x === 0)) {
      if (pax || longName !== null) throw new TarFormatError('extended header with no entry after it');
      await pull.drain();
      return;
    }
    if (!checksumOk(block)) throw new TarFormatError('Invalid tar header (checksum mismatch)');
    const magic = block.subarray(257, 265).toString('latin1');
    const ustar = magic.startsWith('ustar\0');
    if (!ustar && magic !== 'ustar  \0' && !block.subarray(257, 265).every((x) => x === 0)) {
      throw new TarFormatError('Invalid tar header (unknown format)');
    }
    const flag = String.fromCharCode(block[156]);
    let size = number(block, 124, 12, 'size');
    const padded = (n: number) => Math.ceil(n / 512) * 512;

    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_EXTENDED_HEADER) throw new TarFormatError(`extended header of ${size} bytes is larger than ${MAX_EXTENDED_HEADER}`);
      const body = (await pull.exact(padded(size))) ?? Buffer.alloc(0);
      if (body.length < size) throw new TarFormatError('Unexpected end of data');
      const data = body.subarray(0, size);
      if (flag === 'x') pax = new Map([...(pax ?? []), ...paxRecords(data)]);
      else if (flag === 'g') paxRecords(data); // checked, not applied: global names would rename every entry
      else if (flag === 'L') longName = cstr(data, 0, data.length);
      continue;
    }

    let name = longName ?? (ustar && block[345] ? `${cstr(block, 345, 155)}/${cstr(block, 0, 100)}` : cstr(block, 0, 100));
    let linkname = cstr(block, 157, 100);
    if (pax) {
      if (pax.has('path')) name = pax.get('path')!;
      if (pax.has('linkpath')) linkname = pax.get('linkpath')!;
      if (pax.has('size')) {
        const s = pax.get('size')!;
        if (!/^\d{1,30}$/.test(s)) throw new TarFormatError(`invalid pax size ${JSON.stringify(s.slice(0, 40))}`);
        size = Number.isSafeInteger(Number(s)) ? Number(s) : Infinity;
      }
    }
    pax = null;
    longName = null;
    let type: TarEntryType = TYPES[flag] ?? `unknown (typeflag ${JSON.stringify(flag).slice(1, -1)})`;
    if (type === 'file' && name.endsWith('/')) type = 'directory'; // v7 folders
    // Links, devices and folders carry no data, whatever the size field says.
    const dataSize = type === 'file' || type === 'contiguous-file' || type.startsWith('unknown') ? size : 0;

    let read = 0;
    let reading = false;
    async function* body(): AsyncGenerator<Buffer> {
      if (reading) throw new Error('entry body read twice');
      reading = true;
      for await (const p of pull.pieces(dataSize)) {
        read += p.length;
        yield p;
      }
    }
    await onEntry({ name, type, size: dataSize, linkname }, body);
    if (!Number.isFinite(dataSize)) throw new TarFormatError(`entry '${name}' claims an impossible size`);
    await pull.skip(padded(dataSize) - read);
  }
}
