/**
 * Applies one committed window to a table by the write path: a put of the new image for each
 * changed key, a delete where the new image is absent (the item was deleted in the window), and
 * nothing for a change written after the restore point (`at`), which leaves the key as the
 * previous windows left it: as of the window's start.
 *
 * Incremental exports are compacted to each key's last change in the window, so a key written
 * both before and after `at` inside the last window comes back as of the window's start; every
 * other key comes back exactly as of `at`. (Bulk put cannot delete, so windows always take this
 * path, whatever engine loaded the base.)
 *
 * Each data file's stored bytes are checked against window.json (sha256, line count) once read;
 * a mismatch fails the window, which the journal then leaves unfinished.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeWindow, windowOf, type ChangeLine, type WindowMetadata } from '../format/window';
import { openChangeFile } from './window-lines';

/** BatchWriteItem's limit of requests per call. */
const MAX_BATCH = 25;
/** Rounds of unprocessed items before the window fails (each waits twice as long, from 50 ms). */
const MAX_ROUNDS = 10;

/** What applying a window did. */
export interface AppliedWindow {
  readonly puts: number;
  readonly deletes: number;
  /** Changes written after `at`, left out. */
  readonly skipped: number;
}

/** Options of {@link applyWindow}. */
export interface ApplyWindowOptions {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly bucket: string;
  readonly window: WindowMetadata;
  /** The restore's target table. */
  readonly target: string;
  /** The restore point: changes written after it are skipped. @default - the whole window */
  readonly at?: Date;
}

/** Applies one window (puts, deletes, changes after `at` skipped); returns the counts. */
export async function applyWindow(o: ApplyWindowOptions): Promise<AppliedWindow> {
  const atMicros = o.at ? o.at.getTime() * 1000 : Number.MAX_SAFE_INTEGER;
  let puts = 0;
  let deletes = 0;
  let skipped = 0;
  for (const f of o.window.files) {
    const file = await openChangeFile(o.s3, o.bucket, f.key);
    let batch: WriteRequest[] = [];
    for await (const chunk of file.chunks) {
      for (const c of chunk) {
        if (c.writeMicros > atMicros) {
          skipped++;
          continue;
        }
        batch.push(requestOf(c));
        if (c.newImage) puts++;
        else deletes++;
        if (batch.length === MAX_BATCH) {
          await writeBatch(o.dynamodb, o.target, batch);
          batch = [];
        }
      }
    }
    if (batch.length) await writeBatch(o.dynamodb, o.target, batch);
    const d = file.digest();
    if (d.sha256Hex !== f.sha256 || d.lines !== f.lines) {
      throw new Error(
        `window ${describeWindow(windowOf(o.window))}: data file ${f.key} has sha256 ${d.sha256Hex} and ${d.lines} lines, window.json says ${f.sha256} and ${f.lines}: the file changed after the window was committed; run "dr validate" on the chain`,
      );
    }
  }
  return { puts, deletes, skipped };
}

function requestOf(c: ChangeLine): WriteRequest {
  return c.newImage ? { PutRequest: { Item: c.newImage } } : { DeleteRequest: { Key: c.keys } };
}

/** One BatchWriteItem, unprocessed requests retried with backoff a bounded number of times. */
async function writeBatch(dynamodb: DynamoDBClient, table: string, batch: WriteRequest[]): Promise<void> {
  let pending = batch;
  for (let round = 0; round < MAX_ROUNDS && pending.length; round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** (round - 1)));
    const res = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = res.UnprocessedItems?.[table] ?? [];
  }
  if (pending.length)
    throw new Error(
      `${pending.length} writes to "${table}" still unprocessed after ${MAX_ROUNDS} rounds of BatchWriteItem (throttled): run the restore again with --resume`,
    );
}
