/**
 * The native export engine and the export finalizer, with aws-sdk-client-mock (no emulator has
 * ExportTableToPointInTime / DescribeExport / DescribeContinuousBackups). S3 is an in-memory
 * map behind the same mock library.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { startBackup } from '../../../lambda/backup/backup';
import { clientTokenFor, PendingBackup } from '../../../lambda/backup/export-engine';
import { finalizePendingBackups } from '../../../lambda/backup/export-finalize';
import { BackupFailure, BackupMetadata } from '../../../lambda/format/backup-set';
import { fakeS3 } from '../../support/fake-s3';

const ddbMock = mockClient(DynamoDBClient);
const s3Mock = mockClient(S3Client);
const dynamodb = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const bucket = 'shop-backups';
const now = new Date('2026-11-23T02:00:00.000Z');
const backupId = '2026-11-23T02-00-00-000Z';
let store: Map<string, Buffer>;

const tableArn = (t: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${t}`;

beforeEach(() => {
  ddbMock.reset();
  s3Mock.reset();
  store = fakeS3(s3Mock);
  ddbMock.on(DescribeTableCommand).callsFake(async (input) => ({
    Table: {
      TableName: input.TableName,
      TableArn: tableArn(input.TableName),
      TableSizeBytes: input.TableName === 'small' ? 10 : 5 * 1024 ** 3,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    },
  }));
  ddbMock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  ddbMock.on(ExportTableToPointInTimeCommand).callsFake(async (input) => ({
    ExportDescription: { ExportArn: `${input.TableArn}/export/01700000000000-${input.ClientToken.slice(0, 8)}`, ExportStatus: 'IN_PROGRESS' },
  }));
});

describe('export engine (aws-sdk-client-mock)', () => {
  it('starts every export with ONE shared ExportTime, an idempotent ClientToken and the set prefix, then writes pending.json', async () => {
    const result = await startBackup({
      dynamodb,
      s3,
      bucket,
      tables: ['orders', 'inventory', 'payments'],
      tier: 'daily',
      engine: 'export',
      now,
      region: 'eu-west-1',
    });
    const calls = ddbMock.commandCalls(ExportTableToPointInTimeCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.ExportTime!.toISOString()))).toEqual(new Set([now.toISOString()]));
    expect(calls.map((c) => c.ClientToken)).toEqual(['orders', 'inventory', 'payments'].map((t) => clientTokenFor('daily', backupId, t)));
    expect(new Set(calls.map((c) => c.ClientToken)).size).toBe(3);
    expect(calls.every((c) => c.ClientToken!.length <= 36)).toBe(true);
    expect(calls[0]).toMatchObject({
      TableArn: tableArn('orders'),
      S3Bucket: bucket,
      S3Prefix: `backups/daily/${backupId}/orders`,
      ExportFormat: 'DYNAMODB_JSON',
    });
    expect(result.status).toBe('pending');
    const pending = JSON.parse(store.get(`backups/daily/${backupId}/pending.json`)!.toString()) as PendingBackup;
    expect(pending.exports.map((e) => e.table)).toEqual(['orders', 'inventory', 'payments']);
    expect(pending.exportTime).toBe(now.toISOString());
    expect(store.has(`backups/daily/${backupId}/metadata.json`)).toBe(false);
  });

  it('derives the same ClientToken for the same slot (tier + backupId) and table, and a different one for another slot, tier or table', () => {
    expect(clientTokenFor('daily', backupId, 'orders')).toBe(clientTokenFor('daily', backupId, 'orders'));
    expect(clientTokenFor('daily', backupId, 'orders')).not.toBe(clientTokenFor('daily', '2026-11-24T02-00-00-000Z', 'orders'));
    // Two tiers scheduled at the same minute export to different prefixes: one token for both would be refused (ImportConflictException).
    expect(clientTokenFor('daily', backupId, 'orders')).not.toBe(clientTokenFor('weekly', backupId, 'orders'));
    expect(clientTokenFor('daily', backupId, 'orders')).not.toBe(clientTokenFor('daily', backupId, 'inventory'));
    expect(clientTokenFor('daily', backupId, 'orders')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('does not start exports again when the slot already has pending.json', async () => {
    await startBackup({ dynamodb, s3, bucket, tables: ['orders'], tier: 'daily', engine: 'export', now, region: 'eu-west-1' });
    const again = await startBackup({ dynamodb, s3, bucket, tables: ['orders'], tier: 'daily', engine: 'export', now, region: 'eu-west-1' });
    expect(again.status).toBe('pending');
    expect(ddbMock.commandCalls(ExportTableToPointInTimeCommand)).toHaveLength(1);
  });

  it('auto picks export for a big table with PITR on, scan for a small one', async () => {
    ddbMock.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' } },
    });
    ddbMock.on(ScanCommand).resolves({ Items: [{ pk: { S: 'a' } }] });
    const result = await startBackup({
      dynamodb,
      s3,
      bucket,
      tables: ['orders', 'small'],
      tier: 'daily',
      engine: 'auto',
      now,
      segments: 1,
      region: 'eu-west-1',
    });
    expect(ddbMock.commandCalls(ExportTableToPointInTimeCommand).map((c) => c.args[0].input.TableArn)).toEqual([tableArn('orders')]);
    expect(result.status === 'pending' && result.pending.scanned.small.itemCount).toBe(1);
  });

  it('auto scans a big table whose PITR is off', async () => {
    ddbMock.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } },
    });
    ddbMock.on(ScanCommand).resolves({ Items: [] });
    const result = await startBackup({ dynamodb, s3, bucket, tables: ['orders'], tier: 'daily', engine: 'auto', now, segments: 1, region: 'eu-west-1' });
    expect(result.status).toBe('complete');
    expect(ddbMock.commandCalls(ExportTableToPointInTimeCommand)).toHaveLength(0);
  });
});

/** Writes what a finished native export leaves (relative keys, as AWS writes them). */
function writeNativeExport(table: string, exportId: string, lines: string[]): void {
  const prefix = `backups/daily/${backupId}/${table}`;
  const data = gzipSync(lines.join(''));
  const dataKey = `AWSDynamoDB/${exportId}/data/abcdefghijklmnopqrstuvwxyz.json.gz`;
  store.set(`${prefix}/${dataKey}`, data);
  const entry = { itemCount: lines.length, md5Checksum: createHash('md5').update(data).digest('base64'), etag: 'x-1', dataFileS3Key: dataKey };
  store.set(`${prefix}/AWSDynamoDB/${exportId}/manifest-files.json`, Buffer.from(`${JSON.stringify(entry)}\n`));
  const summary = {
    version: '2020-06-30',
    itemCount: lines.length,
    billedSizeBytes: 1234,
    outputFormat: 'DYNAMODB_JSON',
    manifestFilesS3Key: `AWSDynamoDB/${exportId}/manifest-files.json`,
  };
  store.set(`${prefix}/AWSDynamoDB/${exportId}/manifest-summary.json`, Buffer.from(JSON.stringify(summary)));
}

describe('export finalizer (aws-sdk-client-mock)', () => {
  beforeEach(async () => {
    await startBackup({ dynamodb, s3, bucket, tables: ['orders', 'inventory'], tier: 'daily', engine: 'export', now, region: 'eu-west-1' });
  });

  it('writes metadata.json from the native manifests, with the sha256 of every data file, when all exports completed', async () => {
    writeNativeExport('orders', '01700000000000-aaaaaaaa', ['{"Item":{"pk":{"S":"o1"}}}\n', '{"Item":{"pk":{"S":"o2"}}}\n']);
    writeNativeExport('inventory', '01700000000000-bbbbbbbb', ['{"Item":{"sku":{"S":"s1"}}}\n']);
    ddbMock.on(DescribeExportCommand).callsFake(async (input) => {
      const table = /table\/([^/]+)\//.exec(input.ExportArn)![1];
      const id = table === 'orders' ? '01700000000000-aaaaaaaa' : '01700000000000-bbbbbbbb';
      return { ExportDescription: { ExportArn: input.ExportArn, ExportStatus: 'COMPLETED', ExportManifest: `AWSDynamoDB/${id}/manifest-summary.json` } };
    });
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket, now: new Date('2026-11-23T02:30:00.000Z') });
    expect(outcome.status).toBe('complete');
    const meta = JSON.parse(store.get(`backups/daily/${backupId}/metadata.json`)!.toString()) as BackupMetadata;
    expect(meta).toMatchObject({ success: true, engine: 'export', exportTime: now.toISOString(), recordCounts: { orders: 2, inventory: 1 }, totalRecords: 3 });
    const file = meta.tableDetails.orders.files[0];
    expect(file.key).toBe(`backups/daily/${backupId}/orders/AWSDynamoDB/01700000000000-aaaaaaaa/data/abcdefghijklmnopqrstuvwxyz.json.gz`);
    expect(file.sha256).toBe(createHash('sha256').update(store.get(file.key)!).digest('hex'));
    expect(meta.tableDetails.orders.exportFolder).toBe(`backups/daily/${backupId}/orders/AWSDynamoDB/01700000000000-aaaaaaaa/`);
    // A second pass finds nothing left to do.
    expect(await finalizePendingBackups({ dynamodb, s3, bucket })).toEqual([]);
  });

  it('writes failure.json and no metadata.json when one export FAILED', async () => {
    ddbMock.on(DescribeExportCommand).callsFake(async (input) => ({
      ExportDescription: input.ExportArn.includes('inventory')
        ? { ExportArn: input.ExportArn, ExportStatus: 'FAILED', FailureCode: 'S3AccessDenied', FailureMessage: 'no access' }
        : { ExportArn: input.ExportArn, ExportStatus: 'COMPLETED' },
    }));
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket });
    expect(outcome.status).toBe('failed');
    const failure = JSON.parse(store.get(`backups/daily/${backupId}/failure.json`)!.toString()) as BackupFailure;
    expect(failure).toMatchObject({ success: false, table: 'inventory', reason: expect.stringMatching(/S3AccessDenied/) });
    expect(store.has(`backups/daily/${backupId}/metadata.json`)).toBe(false);
  });

  it('starts the exports again when the slot failed since (a re-run replaces the failed set)', async () => {
    ddbMock.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'FAILED', FailureCode: 'X' } });
    await finalizePendingBackups({ dynamodb, s3, bucket });
    const again = await startBackup({ dynamodb, s3, bucket, tables: ['orders', 'inventory'], tier: 'daily', engine: 'export', now, region: 'eu-west-1' });
    expect(again.status).toBe('pending');
    expect(ddbMock.commandCalls(ExportTableToPointInTimeCommand)).toHaveLength(4);
    expect(store.has(`backups/daily/${backupId}/failure.json`)).toBe(false);
  });

  it('leaves a set alone while its exports are IN_PROGRESS', async () => {
    ddbMock.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'IN_PROGRESS' } });
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket, now: new Date('2026-11-23T03:00:00.000Z') });
    expect(outcome.status).toBe('running');
    expect(store.has(`backups/daily/${backupId}/metadata.json`) || store.has(`backups/daily/${backupId}/failure.json`)).toBe(false);
  });

  it('fails a set whose exports run past maxPendingHours', async () => {
    ddbMock.on(DescribeExportCommand).resolves({ ExportDescription: { ExportStatus: 'IN_PROGRESS' } });
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket, now: new Date('2026-11-25T03:00:00.000Z'), maxPendingHours: 24 });
    expect(outcome.status).toBe('failed');
    expect(store.has(`backups/daily/${backupId}/failure.json`)).toBe(true);
  });
});
