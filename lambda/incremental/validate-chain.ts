/**
 * `dr validate --chain <table>`: reads a table's chain of incremental export windows back and
 * checks, window by window, what a restore relies on: the catalog entry names its window; the
 * window.json it vouches for has the sha256 and size the entry recorded; every data file has the
 * sha256 and line count window.json recorded and parses as incremental export lines; the puts
 * and deletes counted match window.json's counts; and the windows are contiguous (no gap, no
 * overlap). A damaged window is named with the object at fault; the others are still checked.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeWindow, windowOf, windowPrefix, WINDOW_FILE, type WindowEntry, type WindowMetadata } from '../format/window';
import { getText } from '../store/s3-io';
import { chainShapeProblems } from './chain';
import { openChangeFile } from './window-lines';
import { listWindowEntryKeys } from './window-store';

/** One problem of a chain: the window (as messages name it) and the object at fault, where known. */
export interface ChainProblem {
  readonly window?: string;
  readonly object?: string;
  readonly message: string;
}

/** What {@link validateChain} found. */
export interface ChainValidation {
  readonly table: string;
  readonly valid: boolean;
  /** Windows whose entry could be read. */
  readonly windows: number;
  /** First window's start and last window's end, ISO. */
  readonly from?: string;
  readonly to?: string;
  /** Changed keys read back over every window (puts + deletes). */
  readonly changes: number;
  /** Stored bytes of the data files read back. */
  readonly bytes: number;
  readonly problems: ChainProblem[];
  /**
   * Windows that end before the oldest full set the chain follows (given `fullSets`): no restore
   * can reach them (the sets before them expired; they expire with `retention.windowDays`, and S3
   * may already have removed part of one), so they are not checked. Absent when there are none.
   */
  readonly unreachable?: { readonly count: number; readonly before: string };
}

/** Options of {@link validateChain}. */
export interface ValidateChainOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly table: string;
  /**
   * Recovery points of the complete full sets holding the table. The check then starts at the
   * oldest of them at or after the oldest window's start (the start of `dr list`'s range).
   * @default - every window is checked
   */
  readonly fullSets?: readonly Date[];
}

/** The windows a restore can reach: those ending after the oldest full set at or after the oldest window's start. */
function reachable(entries: readonly WindowEntry[], fullSets: readonly Date[] | undefined): { checked: WindowEntry[]; start?: Date } {
  const first = entries[0];
  if (!first || !fullSets?.length) return { checked: [...entries] };
  const followed = fullSets.map((d) => d.getTime()).filter((p) => p >= Date.parse(first.from));
  if (!followed.length) return { checked: [...entries] };
  const start = Math.min(...followed);
  return { checked: entries.filter((e) => Date.parse(e.to) > start), start: new Date(start) };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Checks one window against its entry; returns its problems, and what it read. */
async function checkWindow(s3: S3Client, bucket: string, entry: WindowEntry): Promise<{ problems: ChainProblem[]; changes: number; bytes: number }> {
  const name = describeWindow(windowOf(entry));
  const metadataKey = `${windowPrefix(windowOf(entry))}${WINDOW_FILE}`;
  const problem = (object: string | undefined, message: string) => ({ window: name, object, message });
  let raw: string;
  try {
    raw = await getText(s3, bucket, metadataKey);
  } catch (e) {
    return { problems: [problem(metadataKey, `window.json cannot be read: ${(e as Error).message}`)], changes: 0, bytes: 0 };
  }
  if (sha256(raw) !== entry.metadataSha256 || Buffer.byteLength(raw) !== entry.metadataBytes)
    return {
      problems: [
        problem(
          metadataKey,
          `window.json has sha256 ${sha256(raw)} (${Buffer.byteLength(raw)} bytes); its catalog entry recorded ${entry.metadataSha256} (${entry.metadataBytes} bytes): it changed after the commit`,
        ),
      ],
      changes: 0,
      bytes: 0,
    };
  const metadata = JSON.parse(raw) as WindowMetadata;
  const problems: ChainProblem[] = [];
  let puts = 0;
  let deletes = 0;
  let bytes = 0;
  for (const f of metadata.files) {
    try {
      const file = await openChangeFile(s3, bucket, f.key);
      for await (const chunk of file.chunks)
        for (const c of chunk)
          if (c.newImage) puts++;
          else deletes++;
      const d = file.digest();
      bytes += d.bytes;
      if (d.sha256Hex !== f.sha256 || d.lines !== f.lines)
        problems.push(problem(f.key, `data file has sha256 ${d.sha256Hex} and ${d.lines} lines; window.json recorded ${f.sha256} and ${f.lines}`));
    } catch (e) {
      problems.push(problem(f.key, `data file cannot be read: ${(e as Error).message}`));
    }
  }
  if (!problems.length && (puts !== metadata.counts.puts || deletes !== metadata.counts.deletes))
    problems.push(
      problem(
        metadataKey,
        `the data files hold ${puts} puts and ${deletes} deletes; window.json counts ${metadata.counts.puts} and ${metadata.counts.deletes}`,
      ),
    );
  return { problems, changes: puts + deletes, bytes };
}

/** Reads a table's chain back; `valid` when no window a restore can reach and no seam between them has a problem. */
export async function validateChain(o: ValidateChainOptions): Promise<ChainValidation> {
  const entries: WindowEntry[] = [];
  const problems: ChainProblem[] = [];
  for (const key of await listWindowEntryKeys(o.s3, o.bucket, o.table)) {
    try {
      const e = JSON.parse(await getText(o.s3, o.bucket, key)) as WindowEntry;
      if (e.kind !== 'incremental' || e.table !== o.table || Number.isNaN(Date.parse(e.from)) || Number.isNaN(Date.parse(e.to)))
        throw new Error(`it is not an incremental window entry of table "${o.table}"`);
      entries.push(e);
    } catch (e) {
      problems.push({ object: key, message: `catalog entry cannot be used: ${(e as Error).message}; the window it stands for is missing from the chain` });
    }
  }
  entries.sort((a, b) => Date.parse(a.from) - Date.parse(b.from));
  const { checked, start } = reachable(entries, o.fullSets);
  let changes = 0;
  let bytes = 0;
  for (const e of checked) {
    const checked = await checkWindow(o.s3, o.bucket, e);
    problems.push(...checked.problems);
    changes += checked.changes;
    bytes += checked.bytes;
  }
  problems.push(...chainShapeProblems(checked).map((message) => ({ message })));
  const skipped = entries.length - checked.length;
  return {
    table: o.table,
    valid: problems.length === 0,
    windows: checked.length,
    from: checked[0]?.from,
    to: checked.at(-1)?.to,
    changes,
    bytes,
    problems,
    ...(skipped && start ? { unreachable: { count: skipped, before: start.toISOString() } } : {}),
  };
}
