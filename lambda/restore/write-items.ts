/**
 * The restore's write loop: items into a table with parallel BatchWriteItem (25 per batch, a
 * bounded number in flight), unprocessed items retried with backoff; and the stream of data files
 * that feeds it, each file checked (every line, md5, sha256, count) as it is written.
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DataFileRecord, ManifestFileEntry } from '../format/backup-set';
import { openDataFile, parseExportLine } from '../store/export-reader';
import { isNotFound } from '../store/s3-io';
import { dataFileProblems, ValidationProblem } from '../validate/validate';

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
  chunks: AsyncIterable<Record<string, AttributeValue>[] | WriteCheckpoint>,
  opts: WriteItemsOptions = {},
): Promise<number> {
  const concurrency = opts.concurrency ?? 16;
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
  const launch = (batch: Record<string, AttributeValue>[]) => {
    inFlight++;
    const seq = launched++;
    unfinished.add(seq);
    const p = writeBatch(dynamodb, table, batch, opts.maxRetries ?? 12, opts.baseDelayMs ?? 50)
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
  let batch: Record<string, AttributeValue>[] = [];
  reading: for await (const chunk of chunks) {
    if (!Array.isArray(chunk)) {
      if (batch.length) launch(batch);
      batch = [];
      checkpoints.push({ before: launched, reached: chunk.reached });
      fireCheckpoints();
      while (inFlight >= concurrency) await new Promise<void>((r) => (slotFree = r));
      slotFree = undefined;
      if (failure) break;
      continue;
    }
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
 * The items of `parts`, file after file, in chunks for {@link writeItemBatches}. Every line is
 * parsed and checked as DynamoDB JSON on the way; at the end of each file its md5, sha256 and
 * count are compared with the manifest and metadata.json, and only then comes the file's
 * checkpoint, which calls `onChecked` once the file's items are all written. A bad line or digest
 * throws {@link CorruptDataFileError}: the writes stop and the file is never marked done.
 */
export async function* readCheckedParts(
  s3: S3Client,
  bucket: string,
  parts: readonly RestorePart[],
  onChecked: (part: RestorePart) => void,
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
        try {
          items.push(parseExportLine(line));
        } catch (e) {
          throw new CorruptDataFileError([{ object: `s3://${bucket}/${key}`, message: `line ${lineNo}: ${(e as Error).message}` }]);
        }
      }
      yield items;
    }
    const problems = dataFileProblems(bucket, part.entry, part.record, file.digest(), lineNo);
    if (problems.length) throw new CorruptDataFileError(problems);
    yield { reached: () => onChecked(part) };
  }
}
