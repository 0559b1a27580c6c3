// Counted warnings with a cap, so a file of garbage costs a bounded list:
// the first `max` warnings are kept and the rest are summed up in one line.
import type { Warning } from '../model/types.ts';

export const DEFAULT_MAX_WARNINGS = 1000;

export class WarningSink {
  readonly list: Warning[] = [];
  private dropped = 0;

  constructor(
    readonly entry: string,
    readonly max = DEFAULT_MAX_WARNINGS,
  ) {}

  /** Records one warning at `line` (1-based) of the entry, or counts it past the cap. */
  at(line: number | undefined, message: string): void {
    if (this.list.length < this.max) this.list.push(line === undefined ? { entry: this.entry, message } : { entry: this.entry, line, message });
    else this.dropped++;
  }

  /** For code that produces whole Warning objects (e.g. the JSON stream). */
  readonly push = (w: Warning): void => this.at(w.line, w.message);

  /** Total warnings seen, including those past the cap. */
  get count(): number {
    return this.list.length + this.dropped;
  }

  /** The kept warnings, plus one that says how many more there were. */
  done(): Warning[] {
    if (this.dropped) this.list.push({ entry: this.entry, message: `${this.dropped} more warnings not listed (first ${this.max} kept)` });
    this.dropped = 0;
    return this.list;
  }
}
