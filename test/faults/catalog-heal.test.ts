/**
 * Fault (issue #23, defect 6): a committed set never vanishes from the catalog. A run killed
 * between metadata.json and its catalog entry (the entry deleted, as the kill leaves it), then a
 * newer set: `dr list` without --scan and `latest --before` no longer see the set. The slot's
 * redelivery writes the entry (self-heal), and `dr catalog rebuild` writes every missing one.
 * Against DynamoDB Local and s3rver.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runBackup } from '../../lambda/backup/backup';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { catalogEntryKey } from '../../lambda/format/catalog-entry';
import { listCatalog } from '../../lambda/store/catalog';
import { registerCatalogCommand } from '../../cli/catalog';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(300_000);
const bucket = 'catalog-heal-faults';
const table = 'heal_orders';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
const HOUR = 3_600_000;

const backupAt = (now: Date) => runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'daily', engine: 'scan', now, segments: 2 });
/** A set whose run was killed after metadata.json and before its entry, with a set on each side so the bounded scan does not reach it. */
async function setWithoutEntry(at: number): Promise<BackupMetadata> {
  await backupAt(new Date(at - HOUR));
  const md = await backupAt(new Date(at));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: catalogEntryKey('daily', md.backupId) }));
  await backupAt(new Date(at + HOUR));
  return md;
}
const listed = async (id: string) => (await listCatalog({ s3, bucket })).sets.some((s) => s.backupId === id);

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTestTable(dynamodb, table);
  await batchWriteAll(
    dynamodb,
    table,
    Array.from({ length: 20 }, (_, i) => ({ pk: { S: `o-${i}` } })),
  );
});

test('the redelivery of a slot whose entry was never written writes it: the set is listed again without --scan', async () => {
  const at = Date.UTC(2026, 11, 1, 2, 0);
  const md = await setWithoutEntry(at);
  expect(await listed(md.backupId)).toBe(false);
  const again = await backupAt(new Date(at));
  expect(again.backupId).toBe(md.backupId);
  expect(await listed(md.backupId)).toBe(true);
});

test('dr catalog rebuild writes every missing entry and says which', async () => {
  const md = await setWithoutEntry(Date.UTC(2026, 11, 2, 2, 0));
  expect(await listed(md.backupId)).toBe(false);
  const r = await runCli(testProgram(registerCatalogCommand), ['--bucket', bucket, 'catalog', 'rebuild']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`1 catalog entry written: daily/${md.backupId}`);
  expect(await listed(md.backupId)).toBe(true);
});
