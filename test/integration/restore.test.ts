/**
 * Restore end to end against DynamoDB Local and s3rver: back up with the real engine, delete
 * the table, restore, compare item by item; the native-layout fixture; --tables; --into-existing.
 */
import {
  AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { restoreBackupSet, restoreFromExport } from '../../lambda/restore/restore';
import { createTableFromSchema, countItems, tableExists } from '../../lambda/restore/tables';
import { itemHash, runRestoreTest } from '../../lambda/restore/restore-test';
import { validateBackupSet } from '../../lambda/validate/validate';
import { FIXTURE_SCHEMA, makeItems, writeNativeBackupSet, writeNativeExport } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

let dynamodb: DynamoDBClient;
let s3: S3Client;
const bucket = 'restore-e2e-bucket';
const local = useLocalServers({ buckets: [bucket] });
const orders = 'orders-e2e';
const customers = 'customers-e2e';
const orderItems = makeItems(700, 'order');
const customerItems = makeItems(120, 'cust');
let backupId: string;
/** When the set's data was read: its recovery point (trusted time), the origin of the restore test's data age. */
let readAt: number;

async function putAll(table: string, items: Record<string, AttributeValue>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
}

async function scanAll(table: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const res = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Item by item: same set of canonical hashes. */
async function expectSameItems(table: string, expected: Record<string, AttributeValue>[]): Promise<void> {
  const got = (await scanAll(table)).map(itemHash).sort();
  expect(got).toHaveLength(expected.length);
  expect(got).toEqual(expected.map(itemHash).sort());
}

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTableFromSchema(dynamodb, orders, FIXTURE_SCHEMA);
  await createTableFromSchema(dynamodb, customers, {
    ...FIXTURE_SCHEMA,
    globalSecondaryIndexes: [],
    attributeDefinitions: FIXTURE_SCHEMA.attributeDefinitions.slice(0, 2),
  });
  await putAll(orders, orderItems);
  await putAll(customers, customerItems);
  const md = await runBackup({
    dynamodb,
    s3,
    bucket,
    tables: [orders, customers],
    tier: 'daily',
    engine: 'scan',
    now: new Date('2026-11-23T02:00:00.000Z'),
    segments: 8,
    maxFileBytes: 64 * 1024,
  });
  backupId = md.backupId;
  readAt = Date.parse(md.exportTime);
});

test('back up, delete the table, restore: equal item by item, schema (GSI) rebuilt', async () => {
  await dynamodb.send(new DeleteTableCommand({ TableName: orders }));
  const progress: number[] = [];
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: backupId, tables: [orders], onProgress: (p) => progress.push(p.items) });
  expect(report.tables).toEqual([expect.objectContaining({ source: orders, target: `${orders}-restored`, items: 700, verifiedItems: 700 })]);
  await expectSameItems(`${orders}-restored`, orderItems);
  const d = (await dynamodb.send(new DescribeTableCommand({ TableName: `${orders}-restored` }))).Table!;
  expect(d.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['byName']);
  expect(progress.at(-1)).toBe(700);
  // DynamoDB Local has no PITR API: reported as a warning, not a failure.
  expect(report.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/point-in-time recovery on "orders-e2e-restored" not set/)]));
});

test('--tables restores only the chosen table', async () => {
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: 'latest', tables: [customers], suffix: '-sub' });
  expect(report.tables.map((t) => t.target)).toEqual([`${customers}-sub`]);
  expect(await tableExists(dynamodb, `${orders}-sub`)).toBe(false);
  await expectSameItems(`${customers}-sub`, customerItems);
});

test('--into-existing refuses a non-empty table and writes nothing', async () => {
  const before = await countItems(dynamodb, customers);
  await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: backupId, tables: [customers], intoExisting: true })).rejects.toThrow(
    /"customers-e2e" is not empty/,
  );
  expect(await countItems(dynamodb, customers)).toBe(before);
});

test('--into-existing loads an existing empty table', async () => {
  // The original table, recreated empty (as after a bad deploy was rolled back and the table emptied).
  await dynamodb.send(
    new CreateTableCommand({
      TableName: orders,
      KeySchema: FIXTURE_SCHEMA.keySchema,
      AttributeDefinitions: FIXTURE_SCHEMA.attributeDefinitions.slice(0, 2),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: backupId, tables: [orders], intoExisting: true });
  expect(report.tables[0]).toMatchObject({ target: orders, action: 'into-existing', verifiedItems: 700 });
  await expectSameItems(orders, orderItems);
});

test('a new-table restore refuses an existing target', async () => {
  await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: backupId, tables: [customers], suffix: '-sub' })).rejects.toThrow(
    /"customers-e2e-sub" already exists/,
  );
});

test('native export layout (fixture completed like the export finalizer): validates and restores item by item', async () => {
  const items = makeItems(250, 'native');
  const { metadata, fixture } = await writeNativeBackupSet(s3, bucket, {
    tier: 'weekly',
    started: new Date('2026-11-20T03:00:00.000Z'),
    table: 'native-orders',
    items,
  });
  expect(metadata.tableDetails['native-orders'].files.map((f) => f.key).sort()).toEqual([...fixture.dataKeys].sort());
  const v = await validateBackupSet({ s3, bucket, ref: metadata.backupId });
  expect(v.problems).toEqual([]);
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: `weekly/${metadata.backupId}`, suffix: '-from-native' });
  expect(report.tables[0].verifiedItems).toBe(250);
  await expectSameItems('native-orders-from-native', items);
});

test('bare native export folder (no metadata.json) loads into an existing empty table', async () => {
  const items = makeItems(90, 'bare');
  const fx = await writeNativeExport(s3, bucket, 'exports/manual/products', 'products', items);
  await createTableFromSchema(dynamodb, 'products-from-export', FIXTURE_SCHEMA);
  const plan = await restoreFromExport({ dynamodb, s3, bucket, prefix: 'exports/manual/products', target: 'products-from-export' });
  expect(plan).toMatchObject({ written: false, items: 90, exportFolder: fx.exportFolder });
  expect(await countItems(dynamodb, 'products-from-export')).toBe(0);
  const done = await restoreFromExport({ dynamodb, s3, bucket, prefix: 'exports/manual/products', target: 'products-from-export', write: true });
  expect(done.verifiedItems).toBe(90);
  await expectSameItems('products-from-export', items);
  await expect(restoreFromExport({ dynamodb, s3, bucket, prefix: 'exports/manual/products', target: 'products-from-export', write: true })).rejects.toThrow(
    /is not empty/,
  );
});

test('restore test (real servers): restores the latest set into scratch tables, compares a sample, deletes them', async () => {
  const result = await runRestoreTest({ dynamodb, s3, bucket, sampleSize: 20, now: new Date(readAt + 3_600_000) });
  expect(result.backupId).toBe(backupId);
  expect(result.tables.map((t) => [t.items, t.sampled])).toEqual([
    [700, 20],
    [120, 20],
  ]);
  expect(result.dataAgeMinutes).toBeCloseTo(60, 5);
  for (const t of result.scratchTablesDeleted) expect(await tableExists(dynamodb, t)).toBe(false);
  expect(result.scratchTablesDeleted).toHaveLength(2);
});

test('an empty suffix recreates a deleted table under its original name (region down, table deleted)', async () => {
  await dynamodb.send(new DeleteTableCommand({ TableName: customers }));
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: backupId, tables: [customers], suffix: '' });
  expect(report.tables[0]).toMatchObject({ source: customers, target: customers, action: 'create', verifiedItems: 120 });
  await expectSameItems(customers, customerItems);
  await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: backupId, tables: [customers], suffix: '' })).rejects.toThrow(/"customers-e2e" already exists/);
});
