/**
 * Known request constraints as tests, for a request whose rules no emulator checks: the
 * ExportTableToPointInTime request of the export engine, captured with aws-sdk-client-mock.
 * Each limit is cited from the AWS API reference next to its check.
 */
import { DescribeContinuousBackupsCommand, DynamoDBClient, ExportTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { exportRequestProblems, startTableExport } from '../../../lambda/backup/export-engine';

const ddbMock = mockClient(DynamoDBClient);
const dynamodb = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const tableArn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders';

beforeEach(() => ddbMock.reset());

describe('ExportTableToPointInTime request (mocked DynamoDB export API)', () => {
  const slotTime = new Date('2026-11-23T02:00:00.000Z');
  const start = (over: Partial<Parameters<typeof startTableExport>[0]> = {}) =>
    startTableExport({
      dynamodb,
      bucket: 'shop-backups-123456789012-eu-west-1',
      tier: 'daily',
      backupId: '2026-11-23T02-00-00-000Z',
      table: 'orders',
      tableArn,
      exportTime: slotTime,
      kmsKeyArn: keyArn,
      now: new Date('2026-11-23T02:00:05.000Z'),
      ...over,
    });
  const sent = () => ddbMock.commandCalls(ExportTableToPointInTimeCommand).map((c) => c.args[0].input);

  beforeEach(() => {
    ddbMock.on(ExportTableToPointInTimeCommand).resolves({ ExportDescription: { ExportArn: `${tableArn}/export/01700000000000-abcdef12` } });
    ddbMock.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: new Date('2026-10-20T00:00:00Z') },
      },
    });
  });

  it('encrypts the export with the backup key (S3SseAlgorithm KMS + S3SseKmsKeyId) and keeps every documented limit', async () => {
    await start();
    const [r] = sent();
    expect(r).toMatchObject({ S3SseAlgorithm: 'KMS', S3SseKmsKeyId: keyArn, ExportFormat: 'DYNAMODB_JSON', ExportType: 'FULL_EXPORT', TableArn: tableArn });
    // API reference, ExportTableToPointInTime: ClientToken pattern ^[^$]+$ (ours: 32 hex, a hash of the slot and table).
    expect(r.ClientToken).toMatch(/^[0-9a-f]{32}$/);
    // S3Bucket: at most 255 characters, ^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$.
    expect(r.S3Bucket!.length).toBeLessThanOrEqual(255);
    expect(r.S3Bucket).toMatch(/^[a-z0-9A-Z]+[.\-\w]*[a-z0-9A-Z]+$/);
    // S3Prefix at most 1024; DynamoDB appends /AWSDynamoDB/<exportId>/ itself, so no trailing slash.
    expect(r.S3Prefix).toBe('backups/daily/2026-11-23T02-00-00-000Z/orders');
    expect(r.S3Prefix!.length).toBeLessThanOrEqual(1024);
    // S3SseKmsKeyId: 1 to 2048 characters. TableArn: 1 to 1024.
    expect(r.S3SseKmsKeyId!.length).toBeLessThanOrEqual(2048);
    expect(r.TableArn!.length).toBeLessThanOrEqual(1024);
    // ExportTime: "time in the past", the slot's time, shared by every table of the set.
    expect(r.ExportTime).toEqual(slotTime);
    expect(exportRequestProblems(r, new Date('2026-11-23T02:00:05.000Z'))).toEqual([]);
  });

  it('sends the same ClientToken for every run of a slot (retry, takeover) and another for another slot', async () => {
    await start();
    await start();
    await start({ backupId: '2026-11-24T02-00-00-000Z', exportTime: new Date('2026-11-24T02:00:00Z'), now: new Date('2026-11-24T02:00:05Z') });
    const tokens = sent().map((r) => r.ClientToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  it('refuses, before sending, an ExportTime in the future or before the PITR window', async () => {
    await expect(start({ now: new Date('2026-11-23T01:59:00.000Z') })).rejects.toThrow(/ExportTime 2026-11-23T02:00:00.000Z is in the future/);
    await expect(start({ exportTime: new Date('2026-10-19T02:00:00Z') })).rejects.toThrow(/before the PITR window \(earliest restorable 2026-10-20/);
    expect(sent()).toHaveLength(0);
  });

  it('names each broken rule of a bad request', () => {
    const problems = exportRequestProblems(
      {
        TableArn: tableArn,
        S3Bucket: '-bad-',
        ClientToken: 'a$b',
        S3Prefix: 'x/'.repeat(600),
        ExportFormat: 'ION',
        S3SseKmsKeyId: keyArn,
        S3BucketOwner: 'me',
        ExportTime: new Date('2026-11-23T02:00:00Z'),
      },
      new Date('2026-11-23T03:00:00Z'),
    );
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['S3Bucket', 'ClientToken', 'S3Prefix', 'ExportFormat', 'S3SseKmsKeyId', 'S3BucketOwner']);
  });
});
