/**
 * The incremental export request of a window (mocked DynamoDB export API: no local engine has
 * exports), checked against the SDK's own model of ExportTableToPointInTime (member names, the
 * required members, timestamp members as Dates, enum values) and AWS's documented limits.
 */
import * as sdk from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, ExportTableToPointInTimeCommand, type ExportTableToPointInTimeCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { windowClientToken, windowExportRequest } from '../../../lambda/incremental/window-export';
import { nextWindow } from '../../../lambda/incremental/chain';
import { modelProblems } from '../../support/sdk-model';

const tableArn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders';
const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const window = { table: 'orders', from: new Date('2026-11-23T14:00:00Z'), to: new Date('2026-11-23T14:30:00Z') };
const ddbMock = mockClient(DynamoDBClient);

describe('incremental export request of a window (mocked DynamoDB export API)', () => {
  const request = (): ExportTableToPointInTimeCommandInput =>
    windowExportRequest({ window, tableArn, bucket: 'shop-backups-123456789012-eu-west-1', attempt: 1, kmsKeyArn: keyArn });

  it('has only members the SDK model knows, its required ones, and Dates for the window', () => {
    const r = request();
    expect(modelProblems(sdk, 'ExportTableToPointInTimeInput', r)).toEqual([]);
    expect(modelProblems(sdk, 'IncrementalExportSpecification', r.IncrementalExportSpecification)).toEqual([]);
  });

  it('asks for an INCREMENTAL_EXPORT of [from, to) with old and new images, in DynamoDB JSON, encrypted with the backup key', () => {
    const r = request();
    expect(Object.values(sdk.ExportType)).toContain(r.ExportType);
    expect(Object.values(sdk.ExportViewType)).toContain(r.IncrementalExportSpecification?.ExportViewType);
    expect(Object.values(sdk.ExportFormat)).toContain(r.ExportFormat);
    expect(r).toMatchObject({
      ExportType: 'INCREMENTAL_EXPORT',
      ExportFormat: 'DYNAMODB_JSON',
      S3SseAlgorithm: 'KMS',
      S3SseKmsKeyId: keyArn,
      IncrementalExportSpecification: { ExportFromTime: window.from, ExportToTime: window.to, ExportViewType: 'NEW_AND_OLD_IMAGES' },
    });
    // No ExportTime: an incremental export is of a period, not of a point.
    expect(r.ExportTime).toBeUndefined();
    // S3Prefix at most 1024 characters, no trailing slash (DynamoDB appends /AWSDynamoDB/<exportId>/).
    expect(r.S3Prefix).toBe('backups/incremental/orders/2026-11-23T14-00-00-000Z');
  });

  it('derives the ClientToken from table, window and attempt: the same for a retry, new for a FAILED window taken over', () => {
    expect(windowClientToken(window, 1)).toBe(request().ClientToken);
    expect(windowClientToken(window, 1)).toMatch(/^[0-9a-f]{32}$/); // pattern ^[^$]+$, 1-64 characters
    expect(windowClientToken(window, 2)).not.toBe(windowClientToken(window, 1));
    expect(windowClientToken({ ...window, table: 'users' }, 1)).not.toBe(windowClientToken(window, 1));
  });

  it('is sent as built (the mocked client records it)', async () => {
    ddbMock.reset();
    ddbMock.on(ExportTableToPointInTimeCommand).resolves({ ExportDescription: { ExportArn: `${tableArn}/export/01700000000000-abcdef12` } });
    const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    await client.send(new ExportTableToPointInTimeCommand(request()));
    expect(ddbMock.commandCalls(ExportTableToPointInTimeCommand)[0].args[0].input).toEqual(request());
  });
});

describe('the next window', () => {
  const end = new Date('2026-11-23T14:00:00Z');
  it('starts where the chain ends and waits until it has closed', () => {
    expect(nextWindow('orders', end, 30 * 60_000, new Date('2026-11-23T14:29:59Z'))).toBeUndefined();
    expect(nextWindow('orders', end, 30 * 60_000, new Date('2026-11-23T14:30:00Z'))).toEqual(window);
  });
  it('refuses a window under the 15 minutes DynamoDB exports', () => {
    expect(() => nextWindow('orders', end, 10 * 60_000, new Date('2026-11-23T15:00:00Z'))).toThrow(/below the 15 minutes/);
  });
});
