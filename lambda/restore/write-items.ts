/**
 * The restore's write loop: items into a table with parallel BatchWriteItem (25 per batch, a
 * bounded number in flight), unprocessed items retried with backoff.
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';

/** BatchWriteItem's maximum. */
const BATCH_SIZE = 25;

/** Options of {@link writeItems}. */
export interface WriteItemsOptions {
  /** @default 16 */
  readonly concurrency?: number;
  /** Retries of unprocessed items per batch. @default 12 */
  readonly maxRetries?: number;
  /** First backoff, ms. @default 50 */
  readonly baseDelayMs?: number;
  /** Called with the running total after each batch. */
  readonly onItems?: (written: number) => void;
}

/** Writes items with parallel BatchWriteItem (25 per batch), retrying unprocessed items with backoff. Returns the count. */
export async function writeItems(
  dynamodb: DynamoDBClient,
  table: string,
  items: AsyncIterable<Record<string, AttributeValue>>,
  opts: WriteItemsOptions = {},
): Promise<number> {
  async function* single(): AsyncGenerator<Record<string, AttributeValue>[]> {
    for await (const item of items) yield [item];
  }
  return writeItemBatches(dynamodb, table, single(), opts);
}

/**
 * {@link writeItems} for items that arrive in arrays (a data file's chunk at a time): one await
 * per array, not per item, which is what the restore's CPU per item needed.
 */
export async function writeItemBatches(
  dynamodb: DynamoDBClient,
  table: string,
  chunks: AsyncIterable<Record<string, AttributeValue>[]>,
  opts: WriteItemsOptions = {},
): Promise<number> {
  const concurrency = opts.concurrency ?? 16;
  let inFlight = 0;
  let slotFree: (() => void) | undefined;
  const all = new Set<Promise<void>>();
  let written = 0;
  let failure: unknown;
  const launch = (batch: Record<string, AttributeValue>[]) => {
    inFlight++;
    const p = writeBatch(dynamodb, table, batch, opts.maxRetries ?? 12, opts.baseDelayMs ?? 50)
      .then(() => {
        written += batch.length;
        opts.onItems?.(written);
      })
      .catch((e) => {
        failure ??= e;
      })
      .finally(() => {
        inFlight--;
        all.delete(p);
        slotFree?.();
      });
    all.add(p);
  };
  let batch: Record<string, AttributeValue>[] = [];
  reading: for await (const chunk of chunks) {
    for (const item of chunk) {
      batch.push(item);
      if (batch.length < BATCH_SIZE) continue;
      launch(batch);
      batch = [];
      // Backpressure: the reader waits while `concurrency` batches are in flight.
      while (inFlight >= concurrency) await new Promise<void>((r) => (slotFree = r));
      slotFree = undefined;
      if (failure) break reading;
    }
  }
  if (batch.length && !failure) launch(batch);
  await Promise.all(all);
  if (failure) throw failure;
  return written;
}

async function writeBatch(
  dynamodb: DynamoDBClient,
  table: string,
  items: Record<string, AttributeValue>[],
  maxRetries: number,
  baseDelayMs: number,
): Promise<void> {
  let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length; attempt++) {
    if (attempt > maxRetries)
      throw new Error(
        `BatchWriteItem into "${table}": ${requests.length} items still unprocessed after ${maxRetries} retries (throttled: raise capacity or lower --concurrency)`,
      );
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(10000, baseDelayMs * 2 ** attempt)));
    const res = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    requests = res.UnprocessedItems?.[table] ?? [];
  }
}
