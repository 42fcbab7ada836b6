/**
 * The restore's write loop: items into a table with parallel BatchWriteItem (a bounded number in
 * flight), unprocessed items retried with backoff; and the stream of data files that feeds it,
 * each file checked (every line, md5, sha256, count) as it is written.
 *
 * A batch holds at most 25 items AND at most 16 MB of request (BatchWriteItem's two limits, see
 * format/item-size.ts for the AWS documentation) and never two items with the same key
 * (DynamoDB refuses such a request). An item over 400 KB is refused before it is sent, naming
 * its key. A request still refused as too large (HTTP 413, which the SDK surfaces as
 * `UnknownError`) is split in two and sent again; a single item refused so is named.
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DataFileRecord, ManifestFileEntry } from '../format/backup-set';
import { describeKey, MAX_BATCH_ITEMS, MAX_BATCH_REQUEST_BYTES, oversizeItemProblem, wireItemSize } from '../format/item-size';
import { itemRuleProblem, type KeyRule } from '../format/item-rules';
import { openDataFile, parseExportLine } from '../store/export-reader';
import { isNotFound } from '../store/s3-io';
import { dataFileProblems, ValidationProblem } from '../validate/validate';

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
 * A marker in the stream of chunks: `reached` is called once every item before it is written
 * (the restore journal marks a data file done with it). The partial batch before it is sent.
 */
export interface WriteCheckpoint {
  readonly reached: () => void;
}

/**
 * {@link writeItems} for items that arrive in arrays (a data file's chunk at a time): one await
 * per array, not per item, which is what the restore's CPU per item needed. Checkpoints between
 * the arrays fire in order once everything before them is written; none fires after a failure.
 */
export async function writeItemBatches(
  dynamodb: DynamoDBClient,
  table: string,
  chunks: AsyncIterable<Item[] | WriteCheckpoint>,
  opts: WriteItemsOptions = {},
): Promise<number> {
  const concurrency = opts.concurrency ?? 16;
  const maxBytes = opts.maxBatchBytes ?? MAX_BATCH_REQUEST_BYTES;
  const keys = opts.keyAttributes?.length ? opts.keyAttributes : undefined;
  let inFlight = 0;
  let slotFree: (() => void) | undefined;
  const all = new Set<Promise<void>>();
  let written = 0;
  let failure: unknown;
  // Batches are numbered as launched; a checkpoint waits for every batch numbered below it.
  let launched = 0;
  const unfinished = new Set<number>();
  const checkpoints: { readonly before: number; readonly reached: () => void }[] = [];
  const fireCheckpoints = () => {
    let lowest = Infinity;
    for (const n of unfinished) lowest = Math.min(lowest, n);
    try {
      while (!failure && checkpoints.length && checkpoints[0].before <= lowest) checkpoints.shift()!.reached();
    } catch (e) {
      failure ??= e;
    }
  };
  const launch = (batch: Item[]) => {
    inFlight++;
    const seq = launched++;
    unfinished.add(seq);
    const p = writeBatch(dynamodb, table, batch, opts.maxRetries ?? 12, opts.baseDelayMs ?? 50, keys)
      .then(() => {
        written += batch.length;
        unfinished.delete(seq);
        opts.onItems?.(written);
        fireCheckpoints();
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
  try {
    reading: for await (const chunk of chunks) {
      if (!Array.isArray(chunk)) {
        if (batch.length) launch(batch);
        batch = [];
        batchBytes = 0;
        batchKeys = new Map();
        checkpoints.push({ before: launched, reached: chunk.reached });
        fireCheckpoints();
        while (inFlight >= concurrency) await new Promise<void>((r) => (slotFree = r));
        slotFree = undefined;
        if (failure) break;
        continue;
      }
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
  } catch (e) {
    // The reader failed (a data error, a lost connection): the batches already sent finish
    // before this throws, so nothing lands in the table after the run has reported.
    failure ??= e;
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

/** One data file of a restore: its manifest entry and metadata.json's record of it (none for a bare native export). */
export interface RestorePart {
  readonly entry: ManifestFileEntry;
  readonly record?: DataFileRecord;
}

/** A data file failed its checks while it was restored: the backup set is corrupt (rerunning will not help). */
export class CorruptDataFileError extends Error {
  constructor(readonly problems: ValidationProblem[]) {
    super(problems.map((p) => `${p.object ? `${p.object}: ` : ''}${p.message}`).join('; '));
    this.name = 'CorruptDataFileError';
  }
}

/**
 * An item of the backup set that DynamoDB cannot store (key schema, type rules, size): the set's
 * fault, found before the item's batch is sent; no rerun or --resume can write it.
 */
export class DataItemError extends CorruptDataFileError {
  constructor(problem: ValidationProblem) {
    super([problem]);
    this.name = 'DataItemError';
  }
}

/**
 * The items of `parts`, file after file, in chunks for {@link writeItemBatches}. Every line is
 * parsed and checked as DynamoDB JSON on the way, and each item against the table's key rules and
 * DynamoDB's item rules (format/item-rules.ts: a {@link DataItemError} names the file, line and item); at the end of each file its md5, sha256 and
 * count are compared with the manifest and metadata.json, and only then comes the file's
 * checkpoint, which calls `onChecked` once the file's items are all written. A bad line or digest
 * throws {@link CorruptDataFileError}: the writes stop and the file is never marked done.
 */
export async function* readCheckedParts(
  s3: S3Client,
  bucket: string,
  parts: readonly RestorePart[],
  onChecked: (part: RestorePart) => void,
  rules: readonly KeyRule[] = [],
): AsyncGenerator<Record<string, AttributeValue>[] | WriteCheckpoint> {
  for (const part of parts) {
    const key = part.entry.dataFileS3Key;
    let file;
    try {
      file = await openDataFile(s3, bucket, key);
    } catch (e) {
      if (isNotFound(e)) throw new CorruptDataFileError([{ object: `s3://${bucket}/${key}`, message: 'data file is missing' }]);
      throw e;
    }
    let lineNo = 0;
    const lines = file.chunks[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<string[]>;
      try {
        next = await lines.next();
      } catch (e) {
        // Bad gzip bytes are the set's fault; anything else (a connection lost) is not.
        if (!/^Z_/.test((e as { code?: string }).code ?? '')) throw e;
        const why = (e as Error).message.replace(/^s3:\/\/\S+: /, '');
        throw new CorruptDataFileError([{ object: `s3://${bucket}/${key}`, message: `data file cannot be read to the end (truncated or corrupt): ${why}` }]);
      }
      if (next.done) break;
      const items: Record<string, AttributeValue>[] = [];
      for (const line of next.value) {
        lineNo++;
        let item;
        try {
          item = parseExportLine(line);
        } catch (e) {
          throw new CorruptDataFileError([{ object: `s3://${bucket}/${key}`, message: `line ${lineNo}: ${(e as Error).message}` }]);
        }
        const problem = itemRuleProblem(item, rules);
        if (problem) throw new DataItemError({ object: `s3://${bucket}/${key}`, message: `line ${lineNo}: ${problem}` });
        items.push(item);
      }
      yield items;
    }
    const problems = dataFileProblems(bucket, part.entry, part.record, file.digest(), lineNo);
    if (problems.length) throw new CorruptDataFileError(problems);
    yield { reached: () => onChecked(part) };
  }
}
