/**
 * The restore's phases and the per-line checks, against DynamoDB Local and s3rver: the report
 * times validation, creation, writes and verification; binaries nested in maps and lists come
 * back as the same bytes; a data file with a bad base64 binary is refused, naming file and line.
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { runBackup } from '../../lambda/core/backup';
import { restoreBackupSet, restoreFromExport, RestoreRefusedError } from '../../lambda/core/restore';
import { countItems, createTableFromSchema } from '../../lambda/core/restore-tables';
import { itemHash } from '../../lambda/core/restore-test';
import { validateBackupSet } from '../../lambda/core/validate';
import { FIXTURE_SCHEMA, makeItems, writeNativeExport } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'restore-phases-bucket';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
const table = 'phases-src';

/** makeItems plus binaries inside a map and a list. */
const items: Record<string, AttributeValue>[] = makeItems(240, 'ph').map((it, i) => ({
  ...it,
  deep: { M: { l: { L: [{ B: Buffer.from([i % 256, 0, 255]) }, { M: { bs: { BS: [Buffer.from('x'), Buffer.from([i % 7, 9])] } } }] } } },
}));

async function scanAll(name: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const res = await dynamodb.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
  for (let i = 0; i < items.length; i += 25) {
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
});

test('the restore report times validation and each table phase, and nested binaries come back byte for byte', async () => {
  const md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'daily', engine: 'scan', maxFileBytes: 16 * 1024 });
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-phases', protect: false });
  expect(report.validateMs).toBeGreaterThanOrEqual(0);
  const [row] = report.tables;
  expect(row).toMatchObject({ source: table, target: `${table}-phases`, verifiedItems: items.length });
  for (const ms of [row.createMs, row.writeMs, row.verifyMs]) expect(ms).toBeGreaterThanOrEqual(0);
  expect(row.durationMs).toBe(row.createMs + row.writeMs + row.verifyMs);
  expect(report.durationMs).toBeGreaterThanOrEqual(report.validateMs + row.durationMs);
  const got = (await scanAll(`${table}-phases`)).map(itemHash).sort();
  expect(got).toEqual(items.map(itemHash).sort());
});

test('a data file with a bad base64 binary is refused by validate and restore, naming the file and the line', async () => {
  const fx = await writeNativeExport(s3, bucket, 'exports/bad-b64', table, items.slice(0, 30), 1);
  const lines = items.slice(0, 30).map((it) => JSON.stringify({ Item: { pk: it.pk, sk: it.sk } }));
  lines[4] = JSON.stringify({ Item: { pk: { S: 'bad' }, sk: { N: '1' }, blob: { B: 'AB$C' } } });
  const body = gzipSync(`${lines.join('\n')}\n`);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: fx.dataKeys[0], Body: body }));
  // The manifest is rewritten for the new file, so that only the line check can catch it.
  const rel = fx.dataKeys[0].slice(fx.prefix.length + 1);
  const entry = { itemCount: 30, md5Checksum: createHash('md5').update(body).digest('base64'), etag: 'x-1', dataFileS3Key: rel };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${fx.exportFolder}manifest-files.json`, Body: `${JSON.stringify(entry)}\n` }));
  await createTableFromSchema(dynamodb, 'bad-b64-target', FIXTURE_SCHEMA);
  const run = restoreFromExport({ dynamodb, s3, bucket, prefix: fx.prefix, target: 'bad-b64-target', write: true });
  await expect(run).rejects.toThrow(RestoreRefusedError);
  await expect(run).rejects.toThrow(new RegExp(`${fx.dataKeys[0]}: 1 line\\(s\\) are not DynamoDB JSON \\(first: line 5: .*B must be a base64 string`));
  expect(await countItems(dynamodb, 'bad-b64-target')).toBe(0);
});

test('validate of a good set still reads every line of every file', async () => {
  const md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'weekly', engine: 'scan', maxFileBytes: 16 * 1024 });
  const v = await validateBackupSet({ s3, bucket, ref: `weekly/${md.backupId}` });
  expect(v.problems).toEqual([]);
  expect(v.tables[0]).toMatchObject({ items: items.length });
  expect(v.tables[0].files).toBeGreaterThan(1);
});
