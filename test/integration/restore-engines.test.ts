/**
 * The restore engines end to end against DynamoDB Local and s3rver, with the drill's LOCAL
 * STAND-IN answering ImportTable / bulk put (no emulator has them): engine selection, the
 * refusals before any request, re-applied settings, verification, a Ctrl-C'd import resumed
 * through the journal with the same ClientToken.
 */
import { AttributeValue, BatchWriteItemCommand, DeleteTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { runBackup } from '../../lambda/backup/backup';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { restoreBackupSet, planRestore, RestoreRefusedError } from '../../lambda/restore/restore';
import { dryRunRestore } from '../../lambda/restore/engines/dry-run';
import { readJournal } from '../../lambda/restore/journal';
import { countItems, createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { installEngineStandIns, EngineStandIn } from '../../cli/drill/standins/engine-standins';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(180_000);

const bucket = 'engines-bucket';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
let standIn: EngineStandIn;
let md: BackupMetadata;
const table = 'eng-src';
const items: Record<string, AttributeValue>[] = makeItems(300, 'en');
const standIns = { standIns: true, pollSeconds: 0.05, importThresholdBytes: 0 };

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
  for (let i = 0; i < items.length; i += 25)
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'daily', engine: 'scan', maxFileBytes: 16 * 1024 });
  standIn = installEngineStandIns(dynamodb, s3);
});

afterAll(() => standIn?.dispose());

const engineCalls = () => standIn.calls.filter((c) => c.command !== 'DescribeImport' && c.command !== 'DescribeBulkOperation');

test('auto on a local endpoint without stand-ins writes with BatchWriteItem (no emulator has import)', async () => {
  const plan = await planRestore({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-plan', engines: { importThresholdBytes: 0 } });
  expect(plan.tables[0]).toMatchObject({ engine: 'write', engineReason: expect.stringMatching(/endpoint is local/) });
});

test('import (through the stand-in): new table from the saved schema, TTL re-applied, counted and sampled, journal verified', async () => {
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-imp', engines: standIns, protect: false });
  const [t] = report.tables;
  expect(t).toMatchObject({ target: `${table}-imp`, engine: 'import', verifiedItems: 300, sampled: 100 });
  expect(t.operation).toMatchObject({ engine: 'import', status: 'COMPLETED', processedItems: 300, errorCount: 0 });
  expect(t.reapplied).toContain('TTL on ttl');
  const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: `${table}-imp` }));
  expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
  const req = standIn.calls.find((c) => c.command === 'ImportTable')!.input as { S3BucketSource: { S3KeyPrefix: string } };
  expect(req.S3BucketSource.S3KeyPrefix).toBe(`${md.tableDetails[table].exportFolder}data/`);
  expect((await readJournal(s3, bucket, `${table}-imp`))?.state).toBe('verified');
});

test('--into-existing names the source table, which holds data: refused before any bulk put', async () => {
  await createTableFromSchema(dynamodb, `${table}-blk`, FIXTURE_SCHEMA);
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, tables: [table], intoExisting: true, engines: standIns }).catch(
    (e: Error) => e,
  );
  // --into-existing restores into the ORIGINAL name, which holds data: refused. Use an empty twin instead.
  expect(report).toBeInstanceOf(RestoreRefusedError);
  expect(engineCalls().filter((c) => c.command === 'StartBulkPutItems')).toHaveLength(0);
});

describe('refused before any request', () => {
  test('--engine import into an existing table: no ImportTable sent', async () => {
    // The restore looks for an import of this set into the table (ListImports) before it refuses; it sends none.
    const imports = () => engineCalls().filter((c) => c.command === 'ImportTable').length;
    const before = imports();
    await createTableFromSchema(dynamodb, `${table}-exists`, FIXTURE_SCHEMA);
    await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-exists', engines: { ...standIns, engine: 'import' } })).rejects.toThrow(
      /--engine import cannot load "eng-src-exists": the table exists/,
    );
    expect(imports()).toBe(before);
  });

  test('--engine bulk into a missing table: no StartBulkPutItems sent, no table created', async () => {
    const before = engineCalls().length;
    await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-nobulk', engines: { ...standIns, engine: 'bulk' } })).rejects.toThrow(
      /--engine bulk cannot load "eng-src-nobulk": the table does not exist/,
    );
    expect(engineCalls().length).toBe(before);
    expect(await tableExists(dynamodb, `${table}-nobulk`)).toBe(false);
  });

  test('a negative import threshold', async () => {
    await expect(planRestore({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-neg', engines: { importThresholdBytes: -1 } })).rejects.toThrow(
      /restore.importThresholdBytes must be 0 or more \(got -1\)/,
    );
  });

  test('a set whose data files are not gzip, or whose manifest is not DYNAMODB_JSON', async () => {
    const other = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'adhoc', engine: 'scan', maxFileBytes: 16 * 1024 });
    const folder = other.tableDetails[table].exportFolder;
    const first = other.tableDetails[table].files[0].key;
    const gz = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: first }))).Body!.transformToByteArray());
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: first, Body: gunzipSync(gz) }));
    const before = engineCalls().length;
    await expect(dryRunRestore({ dynamodb, s3, bucket, ref: `adhoc/${other.backupId}`, suffix: '-nogz', engines: standIns })).rejects.toThrow(
      /does not start with gzip's magic bytes \(1f 8b; got 7b22\)/,
    );
    const summaryKey = `${folder}manifest-summary.json`;
    const summary = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: summaryKey }))).Body!.transformToString());
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: summaryKey, Body: JSON.stringify({ ...summary, outputFormat: 'ION' }) }));
    await expect(planRestore({ dynamodb, s3, bucket, ref: `adhoc/${other.backupId}`, suffix: '-ion', engines: standIns })).rejects.toThrow(/outputFormat ION/);
    expect(engineCalls().length).toBe(before);
  });
});

test('Ctrl-C during an import leaves it running and the target unfinished; --resume finds that import by its ClientToken, follows it and verifies', async () => {
  const ctrlC = new AbortController();
  ctrlC.abort();
  const target = `${table}-res`;
  const stopped = await restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-res', engines: { ...standIns, signal: ctrlC.signal } }).catch(
    (e: Error) => e,
  );
  expect((stopped as Error).message).toMatch(/no API to cancel an import/);
  expect((stopped as Error).message).toMatch(/"eng-src-res" is unfinished, never verified.*rerun the same command with --resume to follow the same operation/);
  expect((await readJournal(s3, bucket, target))?.state).toBe('failed');
  // Without --resume the half-made target is refused as it was.
  await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-res', engines: standIns })).rejects.toThrow(/already exists|unfinished/);
  // --resume with another engine than the one that started it: refused, naming the engine to resume with.
  await expect(
    restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-res', engines: { ...standIns, engine: 'write' }, resume: true }),
  ).rejects.toThrow(/unfinished restore by the import engine, and this run would use write.*--engine import --resume/);
  const report = await restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix: '-res', engines: standIns, resume: true, protect: false });
  expect(report.tables[0]).toMatchObject({ engine: 'import', verifiedItems: 300 });
  const tokens = standIn.calls
    .filter((c) => c.command === 'ImportTable' && (c.input as { TableCreationParameters: { TableName: string } }).TableCreationParameters.TableName === target)
    .map((c) => (c.input as { ClientToken: string }).ClientToken);
  // One ImportTable: --resume found the running import (ListImports by the table, DescribeImport's ClientToken) instead of sending it again.
  expect(tokens).toHaveLength(1);
  expect(standIn.calls.filter((c) => c.command === 'ListImports').length).toBeGreaterThan(0);
  expect((await readJournal(s3, bucket, target))?.state).toBe('verified');
  expect(await countItems(dynamodb, target)).toBe(300);
});

test('bulk into an existing empty twin (--engine bulk): StartBulkPutItems, verified', async () => {
  // --into-existing targets the source name; a second set of the twin exercises bulk without touching the source.
  const twin = `${table}-twin`;
  await createTableFromSchema(dynamodb, twin, FIXTURE_SCHEMA);
  for (let i = 0; i < items.length; i += 25)
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [twin]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  const twinSet = await runBackup({ dynamodb, s3, bucket, tables: [twin], tier: 'adhoc', engine: 'scan', maxFileBytes: 16 * 1024 });
  await dynamodb.send(new DeleteTableCommand({ TableName: twin }));
  await createTableFromSchema(dynamodb, twin, {
    ...FIXTURE_SCHEMA,
    attributeDefinitions: FIXTURE_SCHEMA.attributeDefinitions.filter((a) => a.AttributeName !== 'name'),
    globalSecondaryIndexes: [],
  });
  // Asked for by name: auto never picks bulk put (issue 18 item 3).
  const report = await restoreBackupSet({
    dynamodb,
    s3,
    bucket,
    ref: `adhoc/${twinSet.backupId}`,
    intoExisting: true,
    engines: { ...standIns, engine: 'bulk' },
  });
  expect(report.tables[0]).toMatchObject({ target: twin, engine: 'bulk', verifiedItems: 300, sampled: 100 });
  expect(report.tables[0].operation).toMatchObject({ engine: 'bulk', status: 'COMPLETED' });
  // The GSI the existing table lacked is created after the load.
  expect(report.tables[0].reapplied).toContain('index byName (building)');
});
