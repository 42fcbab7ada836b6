/**
 * The lines of a gunzipped data file, checked as they stream by: split on the bytes (no UTF-8
 * decoding of good lines), each checked by the byte scanner of format/line-scan.ts, and a line
 * it refuses by `checkExportLine` (which decides, and names what is wrong).
 */
import { MAX_ITEM_BYTES, oversizeItemProblem } from '../format/item-size';
import { scanExportLine } from '../format/line-scan';
import { checkExportLine, parseExportLine } from '../store/export-reader';

const NEWLINE = 0x0a;

/** Counts and checks the lines of one data file, chunk by chunk. */
export class LineCheck {
  /** Non-blank lines seen. */
  items = 0;
  /** Lines that are not DynamoDB JSON. */
  badLines = 0;
  /** The first bad line's number and why. */
  firstBad = '';
  /** Items over DynamoDB's 400 KB limit, which no restore could write: `line N: why`. */
  readonly oversize: string[] = [];
  private rest: Buffer | undefined;

  /** Checks the whole lines of `chunk` (with what the last chunk left over). */
  push(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    for (let nl = buf.indexOf(NEWLINE, pos); nl !== -1; nl = buf.indexOf(NEWLINE, pos)) {
      this.line(buf, pos, nl);
      pos = nl + 1;
    }
    this.rest = pos < buf.length ? buf.subarray(pos) : undefined;
  }

  /** Checks what is left after the last newline. */
  end(): void {
    if (this.rest) this.line(this.rest, 0, this.rest.length);
    this.rest = undefined;
  }

  private line(buf: Buffer, start: number, end: number): void {
    // `\r\n` line ends and blank lines, as the string reader treats them.
    const stop = end > start && buf[end - 1] === 0x0d ? end - 1 : end;
    if (buf[start] !== 0x7b && buf.toString('utf8', start, stop).trim() === '') return;
    this.items++;
    if (scanExportLine(buf, start, stop)) {
      // A line is at least as long as its item's stored size: only long lines can hold an item
      // over 400 KB (refused at validation, before any write).
      if (stop - start > MAX_ITEM_BYTES / 4) {
        const problem = oversizeItemProblem(parseExportLine(buf.toString('utf8', start, stop)));
        if (problem) this.oversize.push(`line ${this.items}: ${problem}`);
      }
      return;
    }
    try {
      checkExportLine(buf.toString('utf8', start, stop));
    } catch (e) {
      this.badLines++;
      this.firstBad ||= `line ${this.items}: ${(e as Error).message}`;
    }
  }
}
