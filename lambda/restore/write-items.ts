/**
 * The restore's write loop: items into a table with parallel BatchWriteItem (a bounded number in
 * flight), unprocessed items retried with backoff.
 *
 * A batch holds at most 25 items AND at most 16 MB of request (BatchWriteItem's two limits, see
 * format/item-size.ts for the AWS documentation) and never two items with the same key
 * (DynamoDB refuses such a request). An item over 400 KB is refused before it is sent, naming
 * its key. A request still refused as too large (HTTP 413, which the SDK surfaces as
 * `UnknownError`) is split in two and sent again; a single item refused so is named.
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { describeKey, MAX_BATCH_ITEMS, MAX_BATCH_REQUEST_BYTES, oversizeItemProblem, wireItemSize } from '../format/item-size';

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
  /**
   * The table's key attributes: a batch never holds two items with the same key (the later one
   * replaces the earlier, as two puts in a row would), and messages name the key.
   * @default - keys not checked; messages show the item's first attributes
   */
  readonly keyAttributes?: readonly string[];
  /** Request size limit of one batch (tests lower it). @default MAX_BATCH_REQUEST_BYTES */
  readonly maxBatchBytes?: number;
}

/** Writes items with parallel BatchWriteItem, retrying unprocessed items with backoff. Returns the count. */
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

type Item = Record<string, AttributeValue>;

/** A key's identity inside one batch. */
function keyOf(item: Item, keys: readonly string[]): string {
  let s = '';
  for (const k of keys) {
    const v = item[k];
    s += `${v?.S ?? v?.N ?? (v?.B ? Buffer.from(v.B).toString('base64') : '')}\u0000`;
  }
  return s;
}

/**
 * {@link writeItems} for items that arrive in arrays (a data file's chunk at a time): one await
 * per array, not per item, which is what the restore's CPU per item needed.
 */
export async function writeItemBatches(dynamodb: DynamoDBClient, table: string, chunks: AsyncIterable<Item[]>, opts: WriteItemsOptions = {}): Promise<number> {
  const concurrency = opts.concurrency ?? 16;
  const maxBytes = opts.maxBatchBytes ?? MAX_BATCH_REQUEST_BYTES;
  const keys = opts.keyAttributes?.length ? opts.keyAttributes : undefined;
  let inFlight = 0;
  let slotFree: (() => void) | undefined;
  const all = new Set<Promise<void>>();
  let written = 0;
  let failure: unknown;
  const launch = (batch: Item[]) => {
    inFlight++;
    const p = writeBatch(dynamodb, table, batch, opts.maxRetries ?? 12, opts.baseDelayMs ?? 50, keys)
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
  let batch: Item[] = [];
  let batchBytes = 0;
  let batchKeys = new Map<string, number>();
  reading: for await (const chunk of chunks) {
    for (const item of chunk) {
      const bytes = wireItemSize(item);
      // Only an item whose request form exceeds 400 KB can be over the stored limit (stored <= sent).
      if (bytes > 400 * 1024) {
        const problem = oversizeItemProblem(item, keys);
        if (problem) {
          failure ??= new Error(`restore into "${table}" stopped: ${problem}`);
          break reading;
        }
      }
      if (keys) {
        const k = keyOf(item, keys);
        const at = batchKeys.get(k);
        if (at !== undefined) {
          // Same key twice in one request is refused by DynamoDB; the later item wins, as with two puts.
          batchBytes += bytes - wireItemSize(batch[at]);
          batch[at] = item;
          continue;
        }
      }
      if (batch.length > 0 && (batch.length >= MAX_BATCH_ITEMS || batchBytes + bytes > maxBytes)) {
        launch(batch);
        batch = [];
        batchBytes = 0;
        batchKeys = new Map();
        // Backpressure: the reader waits while `concurrency` batches are in flight.
        while (inFlight >= concurrency) await new Promise<void>((r) => (slotFree = r));
        slotFree = undefined;
        if (failure) break reading;
      }
      if (keys) batchKeys.set(keyOf(item, keys), batch.length);
      batch.push(item);
      batchBytes += bytes;
    }
  }
  if (batch.length && !failure) launch(batch);
  await Promise.all(all);
  if (failure) throw failure;
  return written;
}

/** True for a request refused as too large: HTTP 413 (the SDK names it `UnknownError`). */
export function isRequestTooLarge(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
  return err?.$metadata?.httpStatusCode === 413 || err?.$response?.statusCode === 413 || err?.name === 'RequestEntityTooLarge';
}

async function writeBatch(
  dynamodb: DynamoDBClient,
  table: string,
  items: Item[],
  maxRetries: number,
  baseDelayMs: number,
  keys: readonly string[] | undefined,
): Promise<void> {
  let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length; attempt++) {
    if (attempt > maxRetries)
      throw new Error(
        `BatchWriteItem into "${table}": ${requests.length} items still unprocessed after ${maxRetries} retries (throttled: raise capacity or lower --concurrency)`,
      );
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(10000, baseDelayMs * 2 ** attempt)));
    let res;
    try {
      res = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    } catch (e) {
      if (!isRequestTooLarge(e)) throw e;
      const pending = requests.map((r) => r.PutRequest!.Item!);
      if (pending.length === 1)
        throw new Error(
          `BatchWriteItem into "${table}": the request for item ${describeKey(pending[0], keys)} was refused as too large (HTTP 413): ` +
            'an item is at most 400 KB stored and a request 16 MB; shrink or remove that item',
        );
      // Our size bound missed (string escapes): send the halves.
      const half = Math.ceil(pending.length / 2);
      await writeBatch(dynamodb, table, pending.slice(0, half), maxRetries, baseDelayMs, keys);
      await writeBatch(dynamodb, table, pending.slice(half), maxRetries, baseDelayMs, keys);
      return;
    }
    requests = res.UnprocessedItems?.[table] ?? [];
  }
}
