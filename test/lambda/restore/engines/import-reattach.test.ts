/**
 * Issue 18 item 7 (remainder): a restore that finds an import of the same set into the same target
 * follows it (running) or verifies it (completed) instead of sending ImportTable again. ImportTable's
 * ClientToken is idempotent only "for 8 hours after the first request that uses it is completed"
 * (ImportTable API reference): past that, or once a table exists, the same request fails on the
 * existing table; so the import is found by DescribeTable -> ListImports(TableArn) -> DescribeImport
 * (ClientToken). Mocked DynamoDB import API; requests checked against the SDK's model.
 */
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import { DescribeImportCommand, DescribeTableCommand, DynamoDBClient, ImportTableCommand, ListImportsCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { findImport, importTableInput, runImport } from '../../../../lambda/restore/engines/operations';
import { FIXTURE_SCHEMA } from '../../../support/native-export-fixture';
import { modelProblems } from '../../../support/sdk-model';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-central-1' });
const folder = 'backups/daily/2026-11-23T02-00-00-000Z/orders/AWSDynamoDB/01700000000000-abcdef12/';
const bucket = 'shop-replica-123456789012-eu-central-1';
const target = 'orders-drtest-20261207t050000z';
const tableArn = `arn:aws:dynamodb:eu-central-1:123456789012:table/${target}`;
const importArn = `${tableArn}/import/01700000000000-aaaa`;
const input = () => importTableInput({ source: { bucket, exportFolder: folder }, target, schema: FIXTURE_SCHEMA, clientToken: 'dr-import-tok' });
const summary = (arn: string, prefix = `${folder}data/`) => ({
  ImportArn: arn,
  ImportStatus: 'IN_PROGRESS' as const,
  TableArn: tableArn,
  S3BucketSource: { S3Bucket: bucket, S3KeyPrefix: prefix },
});
const described = (status: 'IN_PROGRESS' | 'COMPLETED', token = 'dr-import-tok', arn = importArn) => ({
  ImportTableDescription: {
    ImportArn: arn,
    ImportStatus: status,
    ClientToken: token,
    TableArn: tableArn,
    ProcessedItemCount: 1000,
    ImportedItemCount: 1000,
    ErrorCount: 0,
  },
});
/** What AWS answers an ImportTable for a table that exists once the token's 8 hours are over. */
const tableExists = Object.assign(new Error(`Table already exists: ${target}`), { name: 'ResourceInUseException', $fault: 'client' });

beforeEach(() => {
  ddb.reset();
  ddb.on(DescribeTableCommand).resolves({ Table: { TableName: target, TableArn: tableArn, TableStatus: 'CREATING' } });
  ddb.on(ImportTableCommand).rejects(tableExists);
});

test('a retry re-attaches to the running import of the same target (same ClientToken): follows it to COMPLETED, no second ImportTable (mocked DynamoDB import API)', async () => {
  ddb.on(ListImportsCommand).resolves({ ImportSummaryList: [summary(importArn)] });
  ddb.on(DescribeImportCommand).resolvesOnce(described('IN_PROGRESS')).resolvesOnce(described('IN_PROGRESS')).resolves(described('COMPLETED'));
  const r = await runImport(client, input(), { pollSeconds: 0 });
  expect(r).toMatchObject({ operationArn: importArn, status: 'COMPLETED', processedItems: 1000, clientToken: 'dr-import-tok' });
  expect(ddb.commandCalls(ImportTableCommand)).toHaveLength(0);
  expect(ddb.commandCalls(ListImportsCommand)[0].args[0].input).toEqual({ TableArn: tableArn, PageSize: 25, NextToken: undefined });
});

test('a COMPLETED import of the same target from the same set is recognised, not repeated (mocked DynamoDB import API)', async () => {
  ddb.on(ListImportsCommand).resolves({ ImportSummaryList: [{ ...summary(importArn), ImportStatus: 'COMPLETED' }] });
  ddb.on(DescribeImportCommand).resolves(described('COMPLETED'));
  const r = await runImport(client, input(), { pollSeconds: 0 });
  expect(r).toMatchObject({ operationArn: importArn, status: 'COMPLETED', processedItems: 1000 });
  expect(ddb.commandCalls(ImportTableCommand)).toHaveLength(0);
  // Nothing to follow: one DescribeImport (the token check), no polling.
  expect(ddb.commandCalls(DescribeImportCommand)).toHaveLength(1);
});

test("an import of the table from another source is not described, and another set's import (other ClientToken) is not taken (mocked DynamoDB import API)", async () => {
  const other = `${tableArn}/import/01700000000000-bbbb`;
  ddb.on(ListImportsCommand).resolves({ ImportSummaryList: [summary(`${tableArn}/import/0-elsewhere`, 'backups/daily/other/data/'), summary(other)] });
  ddb.on(DescribeImportCommand).resolves(described('COMPLETED', 'dr-import-another-set', other));
  expect(await findImport(client, target, 'dr-import-tok', input().S3BucketSource)).toBeUndefined();
  expect(ddb.commandCalls(DescribeImportCommand).map((c) => c.args[0].input.ImportArn)).toEqual([other]);
  // So the restore sends ImportTable, and DynamoDB's answer (the table exists) is what the operator sees.
  await expect(runImport(client, input(), { pollSeconds: 0 })).rejects.toThrow(/Table already exists/);
});

test('ListImports pages are followed by NextToken, and a missing table is no import (mocked DynamoDB import API)', async () => {
  const token = 'a'.repeat(112);
  ddb
    .on(ListImportsCommand)
    .resolvesOnce({ ImportSummaryList: [], NextToken: token })
    .resolves({ ImportSummaryList: [summary(importArn)] });
  ddb.on(DescribeImportCommand).resolves(described('COMPLETED'));
  expect((await findImport(client, target, 'dr-import-tok'))?.ImportArn).toBe(importArn);
  expect(ddb.commandCalls(ListImportsCommand)[1].args[0].input.NextToken).toBe(token);
  ddb.on(DescribeTableCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
  expect(await findImport(client, 'gone', 'dr-import-tok')).toBeUndefined();
});

test("DescribeTable, ListImports and DescribeImport as sent match the SDK's model of them (mocked DynamoDB import API)", async () => {
  ddb.on(ListImportsCommand).resolves({ ImportSummaryList: [summary(importArn)] });
  ddb.on(DescribeImportCommand).resolves(described('COMPLETED'));
  await runImport(client, input(), { pollSeconds: 0 });
  const sent = ddb.calls().map((c) => c.args[0] as { constructor: { name: string }; input: object });
  expect(sent.map((c) => c.constructor.name)).toEqual(['DescribeTableCommand', 'ListImportsCommand', 'DescribeImportCommand']);
  expect(sent.flatMap((c) => modelProblems(dynamodbSdk, c.constructor.name.replace(/Command$/, 'Input'), c.input))).toEqual([]);
});
