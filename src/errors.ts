// The only error type the library lets escape on bad input. The CLI prints
// `gbp: <message>` and exits non-zero; it never shows a stack for these.

/** What kind of bad input or failure a GbpError reports. */
export type ErrorCode =
  | 'usage' // bad flags or arguments
  | 'io' // a file could not be read or written
  | 'not-a-bundle' // not gzip, not tar, or no manifest
  | 'damaged' // truncated or corrupt archive or entry
  | 'unsafe-entry' // path traversal, link, device entry
  | 'limit' // a size or count cap was hit
  | 'version' // bundle from a newer format
  | 'parse' // content that cannot be understood at all
  | 'capture'; // the capture itself could not run

/** The error for bad input: a code, a message naming the file, and where (entry, line). */
export class GbpError extends Error {
  readonly code: ErrorCode;
  /** File (bundle path or input path) the error is about. */
  readonly file?: string;
  /** Entry inside the bundle, when there is one. */
  readonly entry?: string;
  readonly line?: number;

  constructor(code: ErrorCode, message: string, where: { file?: string; entry?: string; line?: number } = {}) {
    super(oneLine(message));
    this.name = 'GbpError';
    this.code = code;
    this.file = where.file;
    this.entry = where.entry;
    this.line = where.line;
  }
}

/**
 * The message with control characters escaped: messages quote bundle content
 * (entry names, JSON snippets), which must not break lines or send terminal
 * escape sequences when the CLI prints them.
 */
export function oneLine(message: string): string {
  return message.replace(/[\x00-\x1f\x7f\x9b]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** True when `e` is a GbpError (the only error type the library lets escape on bad input). */
export function isGbpError(e: unknown): e is GbpError {
  return e instanceof GbpError;
}
