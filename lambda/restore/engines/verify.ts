/**
 * Verification of a loaded table: its item count against the set's metadata (done by the caller
 * with countItems) and a sample of the set's items read back by key and compared by content.
 * Shared by the restore (after an import or bulk put) and the weekly restore test.
 */
import { createHash } from 'node:crypto';
import { AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TableBackupRecord } from '../../format/backup-set';
import { toJsonItem } from '../../format/dynamodb-json';
import { readExportItems } from '../../store/export-reader';

/** Canonical JSON of an item (sorted keys, sorted sets), hashed: equal items, equal hashes. */
export function itemHash(item: Record<string, AttributeValue>): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, ['SS', 'NS', 'BS'].includes(k) && Array.isArray(o[k]) ? [...(o[k] as string[])].sort() : canon(o[k])]),
      );
    }
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canon(toJsonItem(item))))
    .digest('hex');
}

/** Up to `size` items of a stream, uniformly chosen (reservoir sampling: bounded memory). */
export async function sampleItems(items: AsyncIterable<Record<string, AttributeValue>>, size: number): Promise<Record<string, AttributeValue>[]> {
  const sample: Record<string, AttributeValue>[] = [];
  let seen = 0;
  for await (const item of items) {
    seen++;
    if (sample.length < size) sample.push(item);
    else {
      const j = Math.floor(Math.random() * seen);
      if (j < size) sample[j] = item;
    }
  }
  return sample;
}

/** Options of {@link verifySample}. */
export interface VerifySampleOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly source: string;
  readonly target: string;
  readonly record: TableBackupRecord;
  /** @default 100 */
  readonly size?: number;
}

/**
 * Reads up to `size` items of the set (uniform sample), gets each from the target by key
 * (consistent read) and compares content hashes. Throws naming the first missing or different
 * item; returns how many were compared.
 */
export async function verifySample(opts: VerifySampleOptions): Promise<number> {
  const keys = opts.record.schema.keySchema.map((k) => k.AttributeName);
  const sample = await sampleItems(readExportItems({ s3: opts.s3, bucket: opts.bucket, exportFolder: opts.record.exportFolder }), opts.size ?? 100);
  for (const item of sample) {
    const Key = Object.fromEntries(keys.map((k) => [k, item[k]]));
    const got = (await opts.dynamodb.send(new GetItemCommand({ TableName: opts.target, Key, ConsistentRead: true }))).Item;
    if (!got) throw new Error(`item ${JSON.stringify(toJsonItem(Key))} of "${opts.source}" is missing from "${opts.target}"`);
    if (itemHash(got) !== itemHash(item))
      throw new Error(`item ${JSON.stringify(toJsonItem(Key))} of "${opts.source}" differs from the backup in "${opts.target}"`);
  }
  return sample.length;
}
