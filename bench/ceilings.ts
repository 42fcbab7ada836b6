/**
 * The local ceilings the product is measured against: what DynamoDB Local can deliver when the
 * client does nothing but the API calls.
 *
 * - Scan ceiling: a parallel Scan with the same segment count as the engine, that only drains
 *   the pages (no unmarshalling, no serialisation, no compression, no upload).
 * - Write ceiling: BatchWriteItem of the same items at the same concurrency as the restore
 *   (see parallelBatchWrite in harness.ts), with items already in memory.
 */
import { AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** Result of {@link rawParallelScan}. */
export interface RawScanResult {
  readonly items: number;
  readonly pages: number;
}

/** Scans `table` with `segments` parallel segments, counting items and dropping them. */
export async function rawParallelScan(ddb: DynamoDBClient, table: string, segments: number): Promise<RawScanResult> {
  let items = 0;
  let pages = 0;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await ddb.send(new ScanCommand({ TableName: table, Segment: segment, TotalSegments: segments, ExclusiveStartKey: startKey }));
        items += page.Count ?? 0;
        pages++;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  return { items, pages };
}

/** Reads a whole table into memory with a parallel Scan (used to prepare the write ceiling). */
export async function scanAll(ddb: DynamoDBClient, table: string, segments: number): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await ddb.send(new ScanCommand({ TableName: table, Segment: segment, TotalSegments: segments, ExclusiveStartKey: startKey }));
        out.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  return out;
}
