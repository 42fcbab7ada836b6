/**
 * The scan engine against real local servers (DynamoDB Local + s3rver): every attribute type,
 * items near the 400 KB limit, an empty table; the output read back by an independent reader of
 * AWS's documented export format and compared item by item with the table.
 */
import { randomBytes } from 'node:crypto';
import { AttributeValue, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { listBackupSets, resolveBackupSet } from '../../lambda/store/catalog';
import { BackupMetadata } from '../../lambda/format/backup-set';
import { listKeys } from '../../lambda/store/s3-io';
import { findManifestSummary, readExport } from '../support/export-reader';
import { batchWriteAll, createTestTable, normalizeSets, scanAsJson } from '../support/ddb-compare';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'backup-engine-test';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
const NUM38 = '12345678901234567890123456789012345678';

const bin = (...bytes: number[]) => Uint8Array.from(bytes);

/** One item with every attribute type, nested values, empty strings and 38-digit numbers. */
function allTypesItem(pk: string): Record<string, AttributeValue> {
  return {
    pk: { S: pk },
    s: { S: 'héllo "quoted" \\ back\nslash ✓' },
    emptyS: { S: '' },
    n38: { N: NUM38 },
    nNeg: { N: '-0.00000000000000000000000000000000000001' },
    nBig: { N: '9.9999999999999999999999999999999999999E+125' },
    b: { B: bin(0, 1, 2, 253, 254, 255) },
    emptyB: { B: new Uint8Array(0) },
    ss: { SS: ['a', 'b', 'ç'] },
    ns: { NS: ['1', '2.5', NUM38] },
    bs: { BS: [bin(1), bin(2, 3), bin(255)] },
    nul: { NULL: true },
    yes: { BOOL: true },
    no: { BOOL: false },
    l: { L: [{ S: 'x' }, { N: '1' }, { NULL: true }, { L: [{ BOOL: false }] }] },
    emptyL: { L: [] },
    emptyM: { M: {} },
    m: {
      M: {
        inner: { M: { deep: { M: { ss: { SS: ['z'] }, bs: { BS: [bin(9)] }, empty: { S: '' }, n: { N: NUM38 } } } } },
        list: { L: [{ M: { b: { B: bin(7, 7) } } }] },
      },
    },
  };
}

beforeAll(() => ({ dynamodb, s3 } = local));

/** Reads a table's export of a set and compares it item by item with the live table. */
async function expectExportMatchesTable(meta: BackupMetadata, table: string): Promise<number> {
  const summaryKey = await findManifestSummary(s3, bucket, `backups/${meta.tier}/${meta.backupId}/${table}`);
  const read = await readExport(s3, bucket, summaryKey);
  const live = await scanAsJson(dynamodb, table, (i) => JSON.stringify(i.pk));
  expect(read.items).toHaveLength(live.size);
  for (const item of read.items) {
    const key = JSON.stringify(item.pk);
    expect(live.has(key)).toBe(true);
    expect(normalizeSets(item)).toEqual(normalizeSets(live.get(key)));
  }
  expect(meta.recordCounts[table]).toBe(live.size);
  expect(read.files.map((f) => f.dataFileS3Key).sort()).toEqual(meta.tableDetails[table].files.map((f) => f.key).sort());
  // Exactly the objects of AWS's documented export layout, nothing else.
  const folder = meta.tableDetails[table].exportFolder;
  const others = (await listKeys(s3, bucket, folder)).filter((k) => !k.startsWith(`${folder}data/`)).map((k) => k.slice(folder.length));
  expect(others.sort()).toEqual(['_started', 'manifest-files.checksum', 'manifest-files.json', 'manifest-summary.checksum', 'manifest-summary.json']);
  return read.items.length;
}

describe('scan engine against DynamoDB Local and s3rver', () => {
  it('backs up every attribute type and reads back identical items', async () => {
    await createTestTable(dynamodb, 'types');
    await batchWriteAll(
      dynamodb,
      'types',
      Array.from({ length: 50 }, (_, i) => allTypesItem(`item-${i}`)),
    );
    const meta = await runBackup({ dynamodb, s3, bucket, tables: ['types'], tier: 'adhoc', engine: 'scan', now: new Date('2026-11-23T01:00:00.000Z') });
    expect(meta.success).toBe(true);
    expect(await expectExportMatchesTable(meta, 'types')).toBe(50);
  });

  it('keeps all 38 digits of a number and base64 of binaries in the raw data file', async () => {
    const meta = (await resolveBackupSet({ s3, bucket, ref: '2026-11-23T01-00-00-000Z' })).metadata!;
    const read = await readExport(s3, bucket, await findManifestSummary(s3, bucket, `backups/adhoc/${meta.backupId}/types`));
    const item = read.items[0] as Record<string, Record<string, unknown>>;
    expect(item.n38).toEqual({ N: NUM38 });
    expect(item.b).toEqual({ B: Buffer.from([0, 1, 2, 253, 254, 255]).toString('base64') });
    expect(item.emptyS).toEqual({ S: '' });
  });

  it('splits items near the 400 KB limit across several multipart data files', async () => {
    await createTestTable(dynamodb, 'big_items');
    for (let i = 0; i < 24; i++) {
      // Random base64 so gzip cannot shrink it away: about 395 KB per item.
      await dynamodb.send(
        new PutItemCommand({
          TableName: 'big_items',
          Item: { pk: { S: `big-${i}` }, payload: { S: randomBytes(296_000).toString('base64') }, raw: { B: randomBytes(1000) } },
        }),
      );
    }
    const meta = await runBackup({
      dynamodb,
      s3,
      bucket,
      tables: ['big_items'],
      tier: 'adhoc',
      engine: 'scan',
      segments: 1,
      maxFileBytes: 7 * 1024 * 1024,
      now: new Date('2026-11-23T02:00:00.000Z'),
    });
    expect(await expectExportMatchesTable(meta, 'big_items')).toBe(24);
    const files = meta.tableDetails.big_items.files;
    expect(files.length).toBeGreaterThanOrEqual(2);
    // At least one file is above the 5 MiB part size, so it went up as a multipart upload.
    expect(Math.max(...files.map((f) => f.bytes))).toBeGreaterThan(5 * 1024 * 1024);
  });

  it('backs up an empty table as one empty data file with itemCount 0', async () => {
    await createTestTable(dynamodb, 'empty_table');
    const meta = await runBackup({ dynamodb, s3, bucket, tables: ['empty_table'], tier: 'daily', engine: 'scan', now: new Date('2026-11-23T03:00:00.000Z') });
    expect(meta.recordCounts.empty_table).toBe(0);
    expect(await expectExportMatchesTable(meta, 'empty_table')).toBe(0);
    expect(meta.tableDetails.empty_table.files).toHaveLength(1);
  });

  it('records schema, metadata totals and lists the set as complete', async () => {
    const sets = await listBackupSets({ s3, bucket });
    expect(sets.map((s) => s.backupId)).toEqual(['2026-11-23T03-00-00-000Z', '2026-11-23T02-00-00-000Z', '2026-11-23T01-00-00-000Z']);
    expect(sets.every((s) => s.status === 'complete')).toBe(true);
    expect(sets.every((s) => s.foundBy === 'catalog')).toBe(true);
    const meta = (await resolveBackupSet({ s3, bucket, ref: sets[2].backupId })).metadata!;
    expect(meta.tableDetails.types.schema.keySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(meta.totalRecords).toBe(50);
    expect(meta.tableDetails.types.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    expect((await resolveBackupSet({ s3, bucket, ref: 'latest' })).backupId).toBe('2026-11-23T03-00-00-000Z');
  });
});
