/**
 * Issue 18 item 7: the weekly restore test cannot orphan scratch tables. Scratch names (and so
 * the import ClientTokens derived from them) come from the schedule's event time, the same in
 * every retry of that event; tables an earlier attempt of the event left are deleted first, and
 * `*-drtest-*` tables older than a day are swept at start. DynamoDB Local and s3rver.
 */
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { eventTimeOf } from '../../lambda/handlers/restore-test';
import { runRestoreTest, scratchSuffix, sweepStaleScratchTables } from '../../lambda/restore/restore-test';
import { createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'scratch-bucket';
const local = useLocalServers({ buckets: [bucket] });
const source = 'scratch-src';
const EVENT = new Date('2026-12-07T05:00:00Z');
let dynamodb: DynamoDBClient;
let s3: S3Client;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTableFromSchema(dynamodb, source, FIXTURE_SCHEMA);
  const items = makeItems(60, 'sc');
  for (let i = 0; i < items.length; i += 25)
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [source]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  await runBackup({ dynamodb, s3, bucket, tables: [source], tier: 'daily', engine: 'scan' });
});

test('the scratch suffix is the schedule event time, the same for every retry of that event', () => {
  expect(scratchSuffix(EVENT)).toBe('-drtest-20261207t050000z');
  expect(scratchSuffix(new Date('2026-12-07T05:00:00.000Z'))).toBe(scratchSuffix(EVENT));
  expect(eventTimeOf({ time: '2026-12-07T05:00:00Z', source: 'aws.events' })).toEqual(EVENT);
  expect(eventTimeOf({})).toBeUndefined();
  expect(() => eventTimeOf({ time: 'monday' })).toThrow(/event time "monday" is not an ISO-8601 time/);
});

test('a retry of the same event deletes what its earlier attempt left, then restores under the same names', async () => {
  const leftover = `${source}${scratchSuffix(EVENT)}`;
  await createTableFromSchema(dynamodb, leftover, FIXTURE_SCHEMA);
  const result = await runRestoreTest({ dynamodb, s3, bucket, sampleSize: 10, eventTime: EVENT, now: new Date('2026-12-07T05:20:00Z') });
  expect(result.tables.map((t) => t.target)).toEqual([leftover]);
  expect(result.tables[0].items).toBe(60);
  expect(await tableExists(dynamodb, leftover)).toBe(false);
});

test('scratch tables older than a day are swept at start; newer ones and other tables are left', async () => {
  const stale = 'orders-drtest-20261130t050000z';
  await createTableFromSchema(dynamodb, stale, FIXTURE_SCHEMA);
  // DynamoDB Local stamps CreationDateTime with the real clock: "now" two days ahead makes it stale.
  const later = new Date(Date.now() + 2 * 24 * 3600_000);
  expect(await sweepStaleScratchTables(dynamodb, new Date())).toEqual({ deleted: [], errors: [] });
  expect(await sweepStaleScratchTables(dynamodb, later)).toEqual({ deleted: [stale], errors: [] });
  expect(await tableExists(dynamodb, stale)).toBe(false);
  expect(await tableExists(dynamodb, source)).toBe(true);
});
