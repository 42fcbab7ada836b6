/**
 * A naive exporter, written the way hand-made backup scripts usually are: one sequential Scan,
 * the whole table collected in memory, one JSON.stringify, one PutObject.
 *
 * It is the comparison point of figure 2 in BENCHMARKS.md, never product code. Its memory grows
 * with the table (every item as a JS object, then the whole JSON string), and its speed is one
 * Scan page at a time.
 */
import { DynamoDBClient, ScanCommand, ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** Options of {@link naiveExport}. */
export interface NaiveExportOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly table: string;
  readonly bucket: string;
  /** Object key of the single JSON file. */
  readonly key: string;
}

/** What {@link naiveExport} wrote. */
export interface NaiveExportResult {
  readonly items: number;
  /** Bytes of the JSON body. */
  readonly bytes: number;
}

/** Exports a whole table as one JSON array in one object. */
export async function naiveExport(opts: NaiveExportOptions): Promise<NaiveExportResult> {
  const all: Record<string, unknown>[] = [];
  let startKey: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await opts.dynamodb.send(new ScanCommand({ TableName: opts.table, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) all.push(unmarshall(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const body = JSON.stringify(all);
  await opts.s3.send(new PutObjectCommand({ Bucket: opts.bucket, Key: opts.key, Body: body, ContentType: 'application/json' }));
  return { items: all.length, bytes: Buffer.byteLength(body) };
}
