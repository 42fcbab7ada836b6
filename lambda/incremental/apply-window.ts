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
/** BatchWriteItem requests in flight, as the base restore's write path. */
const DEFAULT_CONCURRENCY = 16;
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
  /** BatchWriteItem requests in flight. @default 16 */
  readonly concurrency?: number;
}

/** Applies one window (puts, deletes, changes after `at` skipped); returns the counts. */
export async function applyWindow(o: ApplyWindowOptions): Promise<AppliedWindow> {
  const atMicros = o.at ? o.at.getTime() * 1000 : Number.MAX_SAFE_INTEGER;
  const writer = new BatchPool(o.dynamodb, o.target, o.concurrency ?? DEFAULT_CONCURRENCY);
  let puts = 0;
  let deletes = 0;
  let skipped = 0;
  try {
    for (const f of o.window.files) {
      const file = await openChangeFile(o.s3, o.bucket, f.key);
      let batch: ChangeLine[] = [];
      const inBatch = new Set<string>();
      for await (const chunk of file.chunks) {
        for (const c of chunk) {
          if (c.writeMicros > atMicros) {
            skipped++;
            continue;
          }
          const key = JSON.stringify(c.keys);
          // BatchWriteItem refuses one key twice in a request: the earlier change goes first.
          if (inBatch.has(key)) {
            await writer.send(batch);
            batch = [];
            inBatch.clear();
          }
          batch.push(c);
          inBatch.add(key);
          if (c.newImage) puts++;
          else deletes++;
          if (batch.length === MAX_BATCH) {
            await writer.send(batch);
            batch = [];
            inBatch.clear();
          }
        }
      }
      if (batch.length) await writer.send(batch);
      const d = file.digest();
      if (d.sha256Hex !== f.sha256 || d.lines !== f.lines) {
        throw new Error(
          `window ${describeWindow(windowOf(o.window))}: data file ${f.key} has sha256 ${d.sha256Hex} and ${d.lines} lines, window.json says ${f.sha256} and ${f.lines}: the file changed after the window was committed; run "dr validate" on the chain`,
        );
      }
    }
  } finally {
    await writer.drain();
  }
  writer.throwIfFailed();
  return { puts, deletes, skipped };
}

/**
 * Up to `concurrency` BatchWriteItem requests in flight. An export holds one line per key per
 * window, so the batches of a window commute; should a key come twice all the same, the batch
 * holding it again waits until every earlier batch is written, so the later change wins.
 */
class BatchPool {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly keysInFlight = new Map<string, number>();
  private error: unknown;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly concurrency: number,
  ) {}

  async send(lines: readonly ChangeLine[]): Promise<void> {
    const keys = lines.map((c) => JSON.stringify(c.keys));
    if (keys.some((k) => this.keysInFlight.has(k))) await this.drain();
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    for (const k of keys) this.keysInFlight.set(k, (this.keysInFlight.get(k) ?? 0) + 1);
    const p: Promise<void> = writeBatch(this.dynamodb, this.table, lines.map(requestOf))
      .catch((e: unknown) => {
        this.error ??= e;
      })
      .finally(() => {
        this.inFlight.delete(p);
        for (const k of keys) {
          const n = this.keysInFlight.get(k)! - 1;
          if (n) this.keysInFlight.set(k, n);
          else this.keysInFlight.delete(k);
        }
      });
    this.inFlight.add(p);
  }

  /** Waits for every batch in flight. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  throwIfFailed(): void {
    if (this.error) throw this.error;
  }
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
