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

/** Yields each top-level object; anything else becomes a warning on `entry`. */
export async function* jsonObjects(input: Input, entry: string, warn: (w: Warning) => void, opts: Partial<JsonStreamOptions> = {}): AsyncGenerator<JsonObjectItem> {
  const o = { ...DEFAULT_JSON_STREAM_OPTIONS, ...opts };
  let line = 1;
  let depth = 0;
  let inString = false;
  let escape = false;
  /** 0: not yet known, 1: concatenated objects, 2: one array. */
  let shape = 0;
  let base = 0;
  let inObject = false;
  let objLine = 0;
  let parts: string[] = [];
  let partsLen = 0;
  let tooBig = false;
  let garbageLine = -1;
  let arrayClosed = false;

  const garbage = (what: string) => {
    if (garbageLine === line) return;
    garbageLine = line;
    warn({ entry, line, message: `unexpected ${what} outside an object; skipped` });
  };

  for await (const chunk of textChunks(input)) {
    let from = 0; // start of the current object's text within this chunk
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NL) line++;
      if (inObject) {
        if (inString) {
          if (escape) escape = false;
          else if (c === BSLASH) escape = true;
          else if (c === QUOTE) inString = false;
          continue;
        }
        if (c === QUOTE) inString = true;
        else if (c === LBRACE || c === LBRACK) depth++;
        else if (c === RBRACE || c === RBRACK) {
          depth--;
          if (depth === base) {
            inObject = false;
            const text = parts.length ? parts.join('') + chunk.slice(from, i + 1) : chunk.slice(from, i + 1);
            parts = [];
            partsLen = 0;
            if (tooBig) {
              tooBig = false;
              continue;
            }
            let value: unknown;
            try {
              value = JSON.parse(text);
            } catch (e) {
              warn({ entry, line: objLine, message: `malformed JSON object: ${(e as Error).message}` });
              continue;
            }
            if (value && typeof value === 'object' && !Array.isArray(value)) yield { value: value as Record<string, unknown>, line: objLine };
            else warn({ entry, line: objLine, message: 'expected a JSON object' });
          }
        }
        continue;
      }
      // Between objects.
      if (isSpace(c)) continue;
      if (shape === 0) {
        shape = c === LBRACK ? 2 : 1;
        base = shape === 2 ? 1 : 0;
        if (c === LBRACK) {
          depth = 1;
          continue;
        }
      }
      if (c === LBRACE && depth === base && !arrayClosed) {
        inObject = true;
        depth++;
        objLine = line;
        from = i;
        continue;
      }
      if (shape === 2 && depth === 1 && c === COMMA) continue;
      if (shape === 2 && depth === 1 && c === RBRACK) {
        depth = 0;
        arrayClosed = true;
        continue;
      }
      garbage(JSON.stringify(String.fromCharCode(c)));
    }
    if (inObject) {
      if (!tooBig) {
        parts.push(chunk.slice(from));
        partsLen += n - from;
        if (partsLen > o.maxObjectChars) {
          tooBig = true;
          parts = [];
          warn({ entry, line: objLine, message: `object larger than ${o.maxObjectChars} characters; skipped` });
        }
      }
    }
  }
  if (inObject) warn({ entry, line: objLine, message: 'truncated: the last object is not closed' });
  else if (shape === 2 && !arrayClosed) warn({ entry, line, message: 'truncated: the array is not closed' });
}
