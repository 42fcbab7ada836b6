/**
 * A large table (25,000 items) through the scan engine against DynamoDB Local and s3rver, split
 * into several data files, read back by the independent export reader and compared item by item.
 *
 * Sized for the suite: the split and the read-back are what is proven, and they need the data to
 * be several files' worth, not a given count. 100,000 items at 2 MiB a file (the size until
 * issue 22) and 25,000 at 512 KiB hold the same number of files; writing the 100,000 items
 * through BatchWriteItem was most of the file's 27 s. Throughput at size is `npm run bench`'s.
 */
import { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { findManifestSummary, readExport } from '../support/export-reader';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { useLocalServers } from '../support/use-local-servers';

const COUNT = 25_000;
/** A quarter of the items, a quarter of the file size: as many files as 100,000 items at 2 MiB. */
const MAX_FILE_BYTES = 512 * 1024;
const bucket = 'backup-large-test';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;

function* items(): Generator<Record<string, AttributeValue>> {
  for (let i = 0; i < COUNT; i++) {
    yield { pk: { S: `order-${String(i).padStart(6, '0')}` }, total: { N: String(i * 3) }, status: { S: i % 3 === 0 ? 'SHIPPED' : 'PAID' } };
  }
}

beforeAll(() => ({ dynamodb, s3 } = local));

it('backs up a 25,000-item table into several files and reads every item back', async () => {
  await createTestTable(dynamodb, 'orders_large');
  const t0 = Date.now();
  expect(await batchWriteAll(dynamodb, 'orders_large', items(), 32)).toBe(COUNT);
  const t1 = Date.now();
  let progressCalls = 0;
  const meta = await runBackup({
    dynamodb,
    s3,
    bucket,
    tables: ['orders_large'],
    tier: 'daily',
    engine: 'scan',
    maxFileBytes: MAX_FILE_BYTES,
    onProgress: () => progressCalls++,
  });
  const t2 = Date.now();
  process.stderr.write(`${COUNT} items: write ${t1 - t0} ms, backup ${t2 - t1} ms\n`);
  expect(meta.recordCounts.orders_large).toBe(COUNT);
  expect(meta.tableDetails.orders_large.files.length).toBeGreaterThanOrEqual(8);
  expect(progressCalls).toBeGreaterThan(0);

  const read = await readExport(s3, bucket, await findManifestSummary(s3, bucket, `backups/daily/${meta.backupId}/orders_large`));
  expect(read.items).toHaveLength(COUNT);
  // Item by item against what was written (the generator is the source of truth).
  // (One expect for the whole table: a per-item expect costs more than the backup itself.)
  const canonical = (i: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(i).sort(([a], [b]) => a.localeCompare(b))));
  const byKey = new Map(read.items.map((i) => [(i.pk as { S: string }).S, canonical(i)]));
  expect(byKey.size).toBe(COUNT);
  const mismatches: string[] = [];
  for (const expected of items()) {
    const key = expected.pk.S!;
    if (byKey.get(key) !== canonical(expected)) mismatches.push(`${key}: ${byKey.get(key)}`);
  }
  expect(mismatches.slice(0, 5)).toEqual([]);
  // A few seconds on 2 idle cores; the limit allows for a busy machine running other suites.
}, 120_000);
