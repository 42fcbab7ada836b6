/**
 * The lines of a gunzipped data file, checked as they stream by: split on the bytes (no UTF-8
 * decoding of good lines), each checked by the byte scanner of format/line-scan.ts (JSON shape,
 * and the table's key rules and DynamoDB's item rules as far as bytes show them), and a line it
 * refuses parsed and judged the slow way: `parseExportLine` (not DynamoDB JSON: a bad line) and
 * `itemRuleProblem` (an item DynamoDB would refuse: a data error).
 */
import { MAX_ITEM_BYTES, oversizeItemProblem } from '../format/item-size';
import { itemRuleProblem, scanKeys, type KeyRule, type ScanKey } from '../format/item-rules';
import { scanExportLine } from '../format/line-scan';
import { parseExportLine } from '../store/export-reader';

/** Data errors kept word for word per file (the rest are counted). */
const MAX_DATA_ERRORS = 10;

const NEWLINE = 0x0a;

/** Counts and checks the lines of one data file, chunk by chunk. */
export class LineCheck {
  /** Non-blank lines seen. */
  items = 0;
  /** Lines that are not DynamoDB JSON. */
  badLines = 0;
  /** The first bad line's number and why. */
  firstBad = '';
  /** Items DynamoDB would refuse (key schema, type rules, 400 KB), which no restore could write: `line N: item {...}: why` (the first ten). */
  readonly dataErrors: string[] = [];
  /** How many items DynamoDB would refuse. */
  dataErrorCount = 0;
  private rest: Buffer | undefined;
  private readonly scanRules: ScanKey[];

  /** @param rules the table's key rules (`keyRules(schema)`); none: only the type rules are checked. */
  constructor(private readonly rules: readonly KeyRule[] = []) {
    this.scanRules = scanKeys(rules);
  }

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
    if (scanExportLine(buf, start, stop, this.scanRules)) {
      // A line is at least as long as its item's stored size: only long lines can hold an item
      // over 400 KB (refused at validation, before any write).
      if (stop - start > MAX_ITEM_BYTES / 4) this.dataError(oversizeItemProblem(parseExportLine(buf.toString('utf8', start, stop))));
      return;
    }
    let item;
    try {
      item = parseExportLine(buf.toString('utf8', start, stop));
    } catch (e) {
      this.badLines++;
      this.firstBad ||= `line ${this.items}: ${(e as Error).message}`;
      return;
    }
    this.dataError(itemRuleProblem(item, this.rules));
  }

  private dataError(problem: string | undefined): void {
    if (!problem) return;
    if (++this.dataErrorCount <= MAX_DATA_ERRORS) this.dataErrors.push(`line ${this.items}: ${problem}`);
  }
}
