/**
 * The import and bulk put life cycles against a mocked DynamoDB (no emulator has these APIs):
 * request shapes, IN_PROGRESS -> COMPLETED / FAILED / CANCELLED, partial errors, throttling,
 * Ctrl-C (cancel for bulk put, none for import) and the same ClientToken on a rerun.
 */
import {
  CancelBulkOperationCommand,
  DescribeBulkOperationCommand,
  DescribeImportCommand,
  DynamoDBClient,
  ImportTableCommand,
  StartBulkPutItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { engineClientToken, EngineOperationError, EngineProgress } from '../../../../lambda/restore/engines/engine-types';
import { bulkPutInput, importTableInput, runBulkPut, runImport } from '../../../../lambda/restore/engines/operations';
import { engineRequest } from '../../../../lambda/restore/engines/run-engine';
import type { TableBackupRecord } from '../../../../lambda/format/backup-set';
import { FIXTURE_SCHEMA } from '../../../support/native-export-fixture';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-central-1' });
const folder = 'backups/daily/2026-11-23T02-00-00-000Z/orders/AWSDynamoDB/01700000000000-abcdef12/';
const source = { bucket: 'shop-replica-123456789012-eu-central-1', exportFolder: folder };
const importArn = 'arn:aws:dynamodb:eu-central-1:123456789012:table/orders-restored/import/01700000000000-aaaa';
const bulkArn = 'arn:aws:dynamodb:eu-central-1:123456789012:table/orders/bulk-operation/0001';
const fast = { pollSeconds: 0 };
const record: TableBackupRecord = {
  table: 'orders',
  engine: 'export',
  schema: FIXTURE_SCHEMA,
  exportFolder: folder,
  itemCount: 1000,
  bytes: 2_000_000,
  storedBytes: 400_000,
  files: [],
};

beforeEach(() => ddb.reset());

const importInput = () =>
  importTableInput({ source, target: 'orders-restored', schema: FIXTURE_SCHEMA, clientToken: 'tok-import', kmsKeyId: 'alias/shop-dr-replica' });
const bulkInput = () =>
  bulkPutInput({
    source,
    target: 'orders',
    clientToken: 'tok-bulk',
    maxWriteRequestUnits: 2048,
    performanceTier: 'ACCELERATED',
    report: { bucket: source.bucket, prefix: 'restore-reports/x/orders/' },
  });

describe('request shapes (mocked DynamoDB import API)', () => {
  test('ImportTable reads only the data/ prefix of the replica bucket as gzip DynamoDB JSON, creates the saved schema, SSE with the recovery key', () => {
    const input = importInput();
    expect(input).toMatchObject({
      ClientToken: 'tok-import',
      InputFormat: 'DYNAMODB_JSON',
      InputCompressionType: 'GZIP',
      S3BucketSource: { S3Bucket: 'shop-replica-123456789012-eu-central-1', S3KeyPrefix: `${folder}data/` },
      TableCreationParameters: {
        TableName: 'orders-restored',
        KeySchema: FIXTURE_SCHEMA.keySchema,
        AttributeDefinitions: FIXTURE_SCHEMA.attributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [{ IndexName: 'byName', KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
        SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: 'alias/shop-dr-replica' },
      },
    });
  });

  test('ImportTable without a key leaves SSE to DynamoDB (no SSESpecification)', () => {
    const input = importTableInput({ source, target: 't-restored', schema: FIXTURE_SCHEMA, clientToken: 'x' });
    expect(input.TableCreationParameters!.SSESpecification).toBeUndefined();
  });

  test('StartBulkPutItems names the table, the data/ prefix, the rate cap, the tier and the error report location', () => {
    expect(bulkInput()).toEqual({
      ClientToken: 'tok-bulk',
      TableName: 'orders',
      InputS3Configuration: { S3Bucket: source.bucket, S3KeyPrefix: `${folder}data/`, InputFormat: 'DYNAMODB_JSON', InputCompressionType: 'GZIP' },
      OutputS3Configuration: { S3Bucket: source.bucket, S3KeyPrefix: 'restore-reports/x/orders/', OutputType: ['ERROR'] },
      MaxWriteRequestUnits: 2048,
      PerformanceTier: 'ACCELERATED',
    });
  });

  test('the ClientToken comes from backup set, table and target: a rerun sends the same one, another target another (mocked DynamoDB import API)', () => {
    const a = engineRequest('import', { backupId: 'B1', source: 'orders', target: 'orders-restored', record }, source.bucket, {}, false);
    const b = engineRequest('import', { backupId: 'B1', source: 'orders', target: 'orders-restored', record }, source.bucket, {}, false);
    const c = engineRequest('import', { backupId: 'B1', source: 'orders', target: 'orders-x', record }, source.bucket, {}, false);
    const tokenOf = (r: typeof a) => (r.engine === 'import' ? r.input.ClientToken : undefined);
    expect(tokenOf(a)).toBe(tokenOf(b));
    expect(tokenOf(a)).not.toBe(tokenOf(c));
    expect(tokenOf(a)).toBe(engineClientToken('import', 'B1', 'orders', 'orders-restored'));
    expect(tokenOf(a)!.length).toBeLessThanOrEqual(64);
  });

  test('bulk put below 1024 write request units is refused before any request (mocked DynamoDB import API)', () => {
    expect(() =>
      engineRequest('bulk', { backupId: 'B1', source: 'orders', target: 'orders', record }, source.bucket, { maxWriteRequestUnits: 1000 }, true),
    ).toThrow(/at least 1024 \(got 1000\)/);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('ImportTable life cycle (mocked DynamoDB import API)', () => {
  test('IN_PROGRESS -> COMPLETED: progress from DescribeImport, the result counts', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    ddb
      .on(DescribeImportCommand)
      .resolvesOnce({
        ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS', ProcessedItemCount: 400, ProcessedSizeBytes: 800_000, ErrorCount: 0 },
      })
      .resolves({
        ImportTableDescription: {
          ImportArn: importArn,
          ImportStatus: 'COMPLETED',
          ProcessedItemCount: 1000,
          ProcessedSizeBytes: 2_000_000,
          ImportedItemCount: 1000,
          ErrorCount: 0,
        },
      });
    const seen: EngineProgress[] = [];
    const r = await runImport(client, importInput(), fast, (p) => seen.push(p));
    expect(r).toMatchObject({ engine: 'import', operationArn: importArn, status: 'COMPLETED', processedItems: 1000, errorCount: 0, clientToken: 'tok-import' });
    expect(seen.map((p) => [p.status, p.processedItems])).toEqual([
      ['IN_PROGRESS', 0],
      ['IN_PROGRESS', 400],
      ['COMPLETED', 1000],
    ]);
    expect(ddb.commandCalls(ImportTableCommand)[0].args[0].input).toEqual(importInput());
  });

  test('FAILED: refused as restored, with the failure code, the counts and the CloudWatch Logs group', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    ddb.on(DescribeImportCommand).resolves({
      ImportTableDescription: {
        ImportArn: importArn,
        ImportStatus: 'FAILED',
        FailureCode: 'ImportTooLarge',
        FailureMessage: 'source too large',
        ProcessedItemCount: 10,
        ErrorCount: 3,
        CloudWatchLogGroupArn: 'arn:aws:logs:eu-central-1:123456789012:log-group:/aws-dynamodb/imports:*',
      },
    });
    const e = await runImport(client, importInput(), fast).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineOperationError);
    expect((e as Error).message).toMatch(/ended FAILED \(ImportTooLarge: source too large\): 10 items processed, 0 imported, 3 errors/);
    expect((e as Error).message).toMatch(/CloudWatch Logs group arn:aws:logs:eu-central-1:123456789012:log-group:\/aws-dynamodb\/imports/);
    expect((e as Error).message).toMatch(/is not restored/);
  });

  test('CANCELLED (by someone else): not restored', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    ddb
      .on(DescribeImportCommand)
      .resolvesOnce({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'CANCELLING' } })
      .resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'CANCELLED' } });
    await expect(runImport(client, importInput(), fast)).rejects.toThrow(/ended CANCELLED.*"orders-restored" is not restored/);
  });

  test('COMPLETED with errors (partial): the target is never called restored', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    ddb.on(DescribeImportCommand).resolves({
      ImportTableDescription: {
        ImportArn: importArn,
        ImportStatus: 'COMPLETED',
        ProcessedItemCount: 1000,
        ImportedItemCount: 990,
        ErrorCount: 10,
        CloudWatchLogGroupArn: 'arn:lg',
      },
    });
    const e = (await runImport(client, importInput(), fast).catch((x: unknown) => x)) as EngineOperationError;
    expect(e.message).toMatch(/ended COMPLETED: 1000 items processed, 990 imported, 10 errors; the errors are in CloudWatch Logs group arn:lg/);
    expect(e.message).toMatch(/exists with part of the data: NOT restored/);
    expect(e.result.errorCount).toBe(10);
  });

  test('throttled DescribeImport calls are waited out', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ddb
      .on(DescribeImportCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'COMPLETED', ProcessedItemCount: 5, ErrorCount: 0 } });
    await expect(runImport(client, importInput(), fast)).resolves.toMatchObject({ status: 'COMPLETED' });
    expect(ddb.commandCalls(DescribeImportCommand)).toHaveLength(3);
  });

  test('another error of DescribeImport is not retried', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    ddb.on(DescribeImportCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    await expect(runImport(client, importInput(), fast)).rejects.toThrow(/not allowed/);
    expect(ddb.commandCalls(DescribeImportCommand)).toHaveLength(1);
  });

  test('Ctrl-C: nothing can cancel an import; the message says the table stays CREATING and how to resume', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    ddb.on(DescribeImportCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS' } });
    const ctrlC = new AbortController();
    ctrlC.abort();
    const e = (await runImport(client, importInput(), { pollSeconds: 0, signal: ctrlC.signal }).catch((x: unknown) => x)) as EngineOperationError;
    expect(e.message).toMatch(/DynamoDB has no API to cancel an import.*stays in CREATING.*same ClientToken tok-import/);
    expect(e.result.status).toBe('IN_PROGRESS');
  });

  test('a rerun sends the same ClientToken and follows the import already running', async () => {
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'IN_PROGRESS', ClientToken: 'tok-import' } });
    ddb
      .on(DescribeImportCommand)
      .resolves({ ImportTableDescription: { ImportArn: importArn, ImportStatus: 'COMPLETED', ProcessedItemCount: 1, ErrorCount: 0 } });
    const first = await runImport(client, importInput(), fast);
    const second = await runImport(client, importInput(), fast);
    const tokens = ddb.commandCalls(ImportTableCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens).toEqual(['tok-import', 'tok-import']);
    expect(second.operationArn).toBe(first.operationArn);
  });
});

describe('bulk put life cycle (mocked DynamoDB import API)', () => {
  const running = { BulkOperationArn: bulkArn, BulkOperationStatus: 'IN_PROGRESS' as const };

  test('IN_PROGRESS -> COMPLETED with progress from DescribeBulkOperation', async () => {
    ddb.on(StartBulkPutItemsCommand).resolves({ BulkOperationDescription: running });
    ddb
      .on(DescribeBulkOperationCommand)
      .resolvesOnce({ BulkOperationDescription: { ...running, ProcessedItemCount: 500, ProcessedInputBytes: 1000 } })
      .resolves({
        BulkOperationDescription: {
          BulkOperationArn: bulkArn,
          BulkOperationStatus: 'COMPLETED',
          ProcessedItemCount: 1000,
          ProcessedInputBytes: 2000,
          FailedItemCount: 0,
        },
      });
    const seen: EngineProgress[] = [];
    await expect(runBulkPut(client, bulkInput(), fast, (p) => seen.push(p))).resolves.toMatchObject({ status: 'COMPLETED', processedItems: 1000 });
    expect(seen.map((p) => p.processedItems)).toEqual([0, 500, 1000]);
    expect(ddb.commandCalls(StartBulkPutItemsCommand)[0].args[0].input).toEqual(bulkInput());
  });

  test('COMPLETED_WITH_ERRORS: failed item count and the S3 error report location; not restored', async () => {
    ddb.on(StartBulkPutItemsCommand).resolves({ BulkOperationDescription: running });
    ddb.on(DescribeBulkOperationCommand).resolves({
      BulkOperationDescription: { BulkOperationArn: bulkArn, BulkOperationStatus: 'COMPLETED_WITH_ERRORS', ProcessedItemCount: 1000, FailedItemCount: 7 },
    });
    await expect(runBulkPut(client, bulkInput(), fast)).rejects.toThrow(
      new RegExp(
        `ended COMPLETED_WITH_ERRORS: 1000 items processed, 7 failed; see the error report under s3://${source.bucket}/restore-reports/x/orders/; "orders" holds part of the data: NOT restored`,
      ),
    );
  });

  test('FAILED: the failure code and message', async () => {
    ddb.on(StartBulkPutItemsCommand).resolves({ BulkOperationDescription: running });
    ddb.on(DescribeBulkOperationCommand).resolves({
      BulkOperationDescription: { BulkOperationArn: bulkArn, BulkOperationStatus: 'FAILED', FailureCode: 'S3AccessDenied', FailureMessage: 'no GetObject' },
    });
    await expect(runBulkPut(client, bulkInput(), fast)).rejects.toThrow(/ended FAILED \(S3AccessDenied: no GetObject\)/);
  });

  test('Ctrl-C sends CancelBulkOperation once, follows CANCELLING to CANCELLED, and says the written items stay', async () => {
    ddb.on(StartBulkPutItemsCommand).resolves({ BulkOperationDescription: running });
    ddb.on(CancelBulkOperationCommand).resolves({ BulkOperationArn: bulkArn, BulkOperationStatus: 'CANCELLING' });
    ddb
      .on(DescribeBulkOperationCommand)
      .resolvesOnce({ BulkOperationDescription: { BulkOperationArn: bulkArn, BulkOperationStatus: 'CANCELLING', ProcessedItemCount: 300 } })
      .resolves({ BulkOperationDescription: { BulkOperationArn: bulkArn, BulkOperationStatus: 'CANCELLED', ProcessedItemCount: 300 } });
    const ctrlC = new AbortController();
    ctrlC.abort();
    await expect(runBulkPut(client, bulkInput(), { pollSeconds: 0, signal: ctrlC.signal })).rejects.toThrow(
      /ended CANCELLED: 300 items processed, 0 failed.*cancelled at your request \(Ctrl-C\): "orders" keeps the items already written/,
    );
    expect(ddb.commandCalls(CancelBulkOperationCommand)).toHaveLength(1);
    expect(ddb.commandCalls(CancelBulkOperationCommand)[0].args[0].input).toEqual({ BulkOperationArn: bulkArn });
  });

  test('throttled DescribeBulkOperation calls are waited out', async () => {
    ddb.on(StartBulkPutItemsCommand).resolves({ BulkOperationDescription: running });
    ddb
      .on(DescribeBulkOperationCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .resolves({ BulkOperationDescription: { BulkOperationArn: bulkArn, BulkOperationStatus: 'COMPLETED', ProcessedItemCount: 3, FailedItemCount: 0 } });
    await expect(runBulkPut(client, bulkInput(), fast)).resolves.toMatchObject({ status: 'COMPLETED' });
  });

  test('a rerun sends the same ClientToken (idempotent for 8 hours) and gets the same operation back', async () => {
    ddb
      .on(StartBulkPutItemsCommand)
      .resolves({ BulkOperationDescription: { BulkOperationArn: bulkArn, BulkOperationStatus: 'COMPLETED', ProcessedItemCount: 2, FailedItemCount: 0 } });
    await runBulkPut(client, bulkInput(), fast);
    await runBulkPut(client, bulkInput(), fast);
    expect(ddb.commandCalls(StartBulkPutItemsCommand).map((c) => c.args[0].input.ClientToken)).toEqual(['tok-bulk', 'tok-bulk']);
    expect(ddb.commandCalls(DescribeBulkOperationCommand)).toHaveLength(0);
  });
});
