/**
 * The restore's phases and the per-line checks, against DynamoDB Local and s3rver: the report
 * times validation, creation, writes and verification; binaries nested in maps and lists come
 * back as the same bytes; a data file with a bad base64 binary is refused, naming file and line.
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runBackup } from '../../lambda/backup/backup';
import { createS3Client } from '../../lambda/shared/clients';
import { restoreBackupSet, restoreFromExport, RestoreRefusedError } from '../../lambda/restore/restore';
import { countItems, createTableFromSchema } from '../../lambda/restore/tables';
import { itemHash } from '../../lambda/restore/restore-test';
import { validateBackupSet } from '../../lambda/validate/validate';
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

test('a bare native export whose data file was replaced by another well-formed one is refused on its md5, nothing written', async () => {
  const fx = await writeNativeExport(s3, bucket, 'exports/swapped', table, items.slice(0, 40), 2);
  const key = fx.dataKeys[0];
  const original = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  const lines = gunzipSync(original).toString('utf8').split('\n');
  const edited = lines[0].replace(/ph /g, 'XX ');
  expect(edited).not.toBe(lines[0]);
  // Same line count, every line valid DynamoDB JSON: only the manifest's md5 can tell (a bare export has no metadata.json).
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync([edited, ...lines.slice(1)].join('\n')) }));
  await createTableFromSchema(dynamodb, 'swapped-target', FIXTURE_SCHEMA);
  const run = restoreFromExport({ dynamodb, s3, bucket, prefix: fx.prefix, target: 'swapped-target', write: true });
  await expect(run).rejects.toThrow(RestoreRefusedError);
  await expect(run).rejects.toMatchObject({ problems: [expect.objectContaining({ message: expect.stringMatching(/^md5 \S+ differs from the manifest's/) })] });
  expect(await countItems(dynamodb, 'swapped-target')).toBe(0);
});

test('validate of a good set still reads every line of every file', async () => {
  const md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'weekly', engine: 'scan', maxFileBytes: 16 * 1024 });
  // Which objects validate fetches: every data file must be read, not trusted from metadata.json.
  const read: string[] = [];
  const recording = createS3Client();
  recording.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') read.push(String((args.input as { Key?: string }).Key));
      return next(args);
    },
    { step: 'initialize', name: 'recordGetObject' },
  );
  try {
    const v = await validateBackupSet({ s3: recording, bucket, ref: `weekly/${md.backupId}` });
    expect(v.problems).toEqual([]);
    const files = md.tableDetails[table].files;
    expect(files.length).toBeGreaterThan(1);
    expect(v.tables[0]).toMatchObject({ items: items.length, files: files.length, storedBytes: files.reduce((n, f) => n + f.bytes, 0) });
    expect(read.filter((k) => k.includes('/data/')).sort()).toEqual(files.map((f) => f.key).sort());
  } finally {
    recording.destroy();
  }
});
