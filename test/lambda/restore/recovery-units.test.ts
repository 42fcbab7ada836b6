/**
 * Pure pieces of the recovery path: DynamoDB JSON back to AttributeValues, manifest key
 * resolution, drift warnings, CreateTable input from a saved schema, item hashes, the
 * unsupported-API check that turns emulator gaps into warnings.
 */
import { toJsonItem } from '../../../lambda/format/dynamodb-json';
import { BackupMetadata } from '../../../lambda/format/backup-set';
import { fromJsonItem, parseExportLine, resolveDataKey } from '../../../lambda/store/export-reader';
import { createTableInput, isUnsupportedApi, tryOptional } from '../../../lambda/restore/tables';
import { itemHash } from '../../../lambda/restore/restore-test';
import { driftWarnings } from '../../../lambda/validate/validate';
import { FIXTURE_SCHEMA, makeItems } from '../../support/native-export-fixture';

test('DynamoDB JSON round-trips every attribute type', () => {
  for (const item of makeItems(8)) expect(fromJsonItem(toJsonItem(item))).toEqual(item);
});

test('parseExportLine names what is wrong with a line', () => {
  expect(() => parseExportLine('{"Item":')).toThrow(/not JSON/);
  expect(() => parseExportLine('{"Items":{}}')).toThrow(/no "Item" object/);
  expect(() => parseExportLine('{"Item":{"a":{"X":"1"}}}')).toThrow(/not a DynamoDB JSON value/);
});

test('resolveDataKey joins native relative keys to the export prefix and keeps full keys', () => {
  const folder = 'backups/daily/2026-11-23T02-00-00-000Z/orders/AWSDynamoDB/01763863200000-ab12cd34/';
  expect(resolveDataKey('AWSDynamoDB/01763863200000-ab12cd34/data/abc.json.gz', folder)).toBe(`${folder}data/abc.json.gz`);
  expect(resolveDataKey(`${folder}data/abc.json.gz`, folder)).toBe(`${folder}data/abc.json.gz`);
  expect(resolveDataKey('AWSDynamoDB/x/data/a.json.gz', 'AWSDynamoDB/x/')).toBe('AWSDynamoDB/x/data/a.json.gz');
});

const md = (backupId: string, count: number, bytes: number) =>
  ({ backupId, tables: ['orders'], recordCounts: { orders: count }, bytes: { orders: bytes } }) as unknown as BackupMetadata;

test('drift over 25% warns, 25% or less does not', () => {
  expect(driftWarnings(md('b', 125, 1000), md('a', 100, 1000))).toEqual([]);
  expect(driftWarnings(md('b', 126, 1000), md('a', 100, 1000))).toEqual([expect.stringMatching(/126 items vs 100 in a \(26% change/)]);
  expect(driftWarnings(md('b', 100, 2000), md('a', 100, 1000))).toEqual([expect.stringMatching(/size 2000 bytes vs 1000/)]);
});

test('createTableInput rebuilds keys, GSIs and billing from the saved schema', () => {
  expect(createTableInput('orders-restored', FIXTURE_SCHEMA)).toEqual({
    TableName: 'orders-restored',
    KeySchema: FIXTURE_SCHEMA.keySchema,
    AttributeDefinitions: FIXTURE_SCHEMA.attributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    ProvisionedThroughput: undefined,
    GlobalSecondaryIndexes: [
      { IndexName: 'byName', KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: undefined },
    ],
    LocalSecondaryIndexes: undefined,
  });
  const provisioned = createTableInput('t', {
    ...FIXTURE_SCHEMA,
    billingMode: 'PROVISIONED',
    provisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
  });
  expect(provisioned.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 7, WriteCapacityUnits: 3 });
  expect(provisioned.GlobalSecondaryIndexes?.[0].ProvisionedThroughput).toEqual({ ReadCapacityUnits: 7, WriteCapacityUnits: 3 });
});

test('itemHash ignores attribute and set order, sees value changes', () => {
  const a = { pk: { S: 'x' }, tags: { SS: ['a', 'b'] } };
  expect(itemHash({ tags: { SS: ['b', 'a'] }, pk: { S: 'x' } })).toBe(itemHash(a));
  expect(itemHash({ pk: { S: 'x' }, tags: { SS: ['a', 'c'] } })).not.toBe(itemHash(a));
});

test('an unsupported API (DynamoDB Local) becomes a warning; other errors still throw', async () => {
  const warnings: string[] = [];
  const unknownOp = Object.assign(new Error('An unknown operation was requested.'), { name: 'UnknownOperationException' });
  expect(isUnsupportedApi(unknownOp)).toBe(true);
  await tryOptional(warnings, 'point-in-time recovery on "t"', () => Promise.reject(unknownOp));
  expect(warnings).toEqual([expect.stringMatching(/point-in-time recovery on "t" not set: this DynamoDB endpoint does not support it/)]);
  const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
  await expect(tryOptional(warnings, 'x', () => Promise.reject(denied))).rejects.toThrow(/not authorized/);
});
