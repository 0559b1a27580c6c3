// Streams the top-level JSON objects of a file that is either a stream of
// concatenated objects (`go list -json`) or one array of objects
// (`-debug-actiongraph`, `-debug-trace`), parsing one object at a time so
// memory is bounded by the largest object, not the file.
import type { Warning } from '../model/types.ts';
import { textChunks, type Input } from './input.ts';

export interface JsonObjectItem {
  value: Record<string, unknown>;
  /** 1-based line where the object starts. */
  line: number;
}

export interface JsonStreamOptions {
  /** An object larger than this is skipped with a warning. */
  maxObjectChars: number;
}

export const DEFAULT_JSON_STREAM_OPTIONS: JsonStreamOptions = { maxObjectChars: 64 * 1024 * 1024 };

const LBRACE = 123, RBRACE = 125, LBRACK = 91, RBRACK = 93, QUOTE = 34, BSLASH = 92, NL = 10, COMMA = 44;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Scanner state carried from one chunk to the next. */
interface ScanState {
  line: number;
  depth: number;
  inString: boolean;
  escape: boolean;
  /** 0: not yet known, 1: concatenated objects, 2: one array. */
  shape: number;
  base: number;
  inObject: boolean;
  objLine: number;
  arrayClosed: boolean;
  garbageLine: number;
}

/** What one chunk held: complete objects' [start, end) spans and the lines they start on, and stray characters. */
interface ChunkScan {
  /** Start of the object still open at the chunk's end (or -1). */
  openFrom: number;
  spans: number[];
  lines: number[];
  /** Lines of characters outside any object, and the character. */
  garbage: [number, string][];
}

// Interesting characters inside an object: quotes, backslashes, brackets, newlines.
const INTERESTING = /["\\{}\[\]\n]/g;

/** Scans one chunk synchronously (V8 optimizes this far better than a loop inside an async generator). */
function scanChunk(chunk: string, st: ScanState): ChunkScan {
  const out: ChunkScan = { openFrom: st.inObject ? 0 : -1, spans: [], lines: [], garbage: [] };
  const n = chunk.length;
  let i = 0;
  while (i < n) {
    if (st.inObject) {
      if (st.escape) {
        st.escape = false;
        if (chunk.charCodeAt(i) === NL) st.line++;
        i++;
        continue;
      }
      INTERESTING.lastIndex = i;
      const m = INTERESTING.exec(chunk);
      if (!m) break;
      i = m.index;
      const c = chunk.charCodeAt(i++);
      if (c === NL) st.line++;
      else if (st.inString) {
        if (c === BSLASH) st.escape = true;
        else if (c === QUOTE) st.inString = false;
      } else if (c === QUOTE) st.inString = true;
      else if (c === LBRACE || c === LBRACK) st.depth++;
      else if (c === RBRACE || c === RBRACK) {
        st.depth--;
        if (st.depth === st.base) {
          st.inObject = false;
          out.spans.push(out.openFrom, i);
          out.lines.push(st.objLine);
          out.openFrom = -1;
        }
      }
      continue;
    }
    // Between objects.
    const c = chunk.charCodeAt(i++);
    if (c === NL) st.line++;
    if (isSpace(c)) continue;
    if (st.shape === 0) {
      st.shape = c === LBRACK ? 2 : 1;
      st.base = st.shape === 2 ? 1 : 0;
      if (c === LBRACK) {
        st.depth = 1;
        continue;
      }
    }
    if (c === LBRACE && st.depth === st.base && !st.arrayClosed) {
      st.inObject = true;
      st.depth++;
      st.objLine = st.line;
      out.openFrom = i - 1;
      continue;
    }
    if (st.shape === 2 && st.depth === 1 && c === COMMA) continue;
    if (st.shape === 2 && st.depth === 1 && c === RBRACK) {
      st.depth = 0;
      st.arrayClosed = true;
      continue;
    }
    if (st.garbageLine !== st.line) {
      st.garbageLine = st.line;
      out.garbage.push([st.line, String.fromCharCode(c)]);
    }
  }
  return out;
}

/**
 * Yields the top-level objects a chunk completes, as one batch per chunk (an
 * await per object would cost more than parsing a small one); anything else
 * becomes a warning on `entry`.
 */
export async function* jsonObjectBatches(input: Input, entry: string, warn: (w: Warning) => void, opts: Partial<JsonStreamOptions> = {}): AsyncGenerator<JsonObjectItem[]> {
  const o = { ...DEFAULT_JSON_STREAM_OPTIONS, ...opts };
  const st: ScanState = { line: 1, depth: 0, inString: false, escape: false, shape: 0, base: 0, inObject: false, objLine: 0, arrayClosed: false, garbageLine: -1 };
  let parts: string[] = [];
  let partsLen = 0;
  let tooBig = false;
  const parse = (text: string, line: number): JsonObjectItem | null => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      warn({ entry, line, message: `malformed JSON object: ${(e as Error).message}` });
      return null;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) return { value: value as Record<string, unknown>, line };
    warn({ entry, line, message: 'expected a JSON object' });
    return null;
  };

  for await (const chunk of textChunks(input)) {
    const r = scanChunk(chunk, st);
    const batch: JsonObjectItem[] = [];
    for (const [line, ch] of r.garbage) warn({ entry, line, message: `unexpected ${JSON.stringify(ch)} outside an object; skipped` });
    for (let k = 0; k < r.lines.length; k++) {
      const from = r.spans[2 * k];
      const to = r.spans[2 * k + 1];
      const text = k === 0 && (parts.length || tooBig) ? parts.join('') + chunk.slice(0, to) : chunk.slice(from, to);
      const wasTooBig = k === 0 && tooBig;
      if (k === 0) {
        parts = [];
        partsLen = 0;
        tooBig = false;
      }
      if (wasTooBig) continue;
      const item = parse(text, r.lines[k]);
      if (item) batch.push(item);
    }
    if (batch.length) yield batch;
    if (r.openFrom >= 0 && !tooBig) {
      parts.push(chunk.slice(r.openFrom));
      partsLen += chunk.length - r.openFrom;
      if (partsLen > o.maxObjectChars) {
        tooBig = true;
        parts = [];
        warn({ entry, line: st.objLine, message: `object larger than ${o.maxObjectChars} characters; skipped` });
      }
    }
  }
  if (st.inObject) warn({ entry, line: st.objLine, message: 'truncated: the last object is not closed' });
  else if (st.shape === 2 && !st.arrayClosed) warn({ entry, line: st.line, message: 'truncated: the array is not closed' });
}
