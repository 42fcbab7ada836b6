/**
 * The replica monitor's chain age against s3rver: per chained table the age of the newest point
 * the replica restores it to, and its cost: the same number of requests per run with a day of
 * windows as with 30 days of them (O(1) in windows: one GET of `_latest.json` per table).
 */
import { CreateTableCommand, PutItemCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { FORMAT_VERSION } from '../../lambda/format/backup-set';
import { latestWindowKey, windowEntryKey, type WindowEntry } from '../../lambda/format/window';
import { measureReplicaAges, NO_BACKUP_AGE_MINUTES } from '../../lambda/incremental/replica-ages';
import { putText } from '../../lambda/store/s3-io';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(180_000);
const bucket = 'replica-chain-age';
const TABLE = 'age_orders';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
let fullSetPoint: Date;
const HALF_HOUR = 30 * 60_000;

/** Requests the S3 client sends while `fn` runs. */
async function countRequests(fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const name = `count-${Math.random()}`;
  s3.middlewareStack.add((next) => async (args) => (n++, next(args)), { step: 'finalizeRequest', name });
  try {
    await fn();
  } finally {
    s3.middlewareStack.remove(name);
  }
  return n;
}

/** Commits (catalog entry, then `_latest.json`) the 30-minute windows [start + i * 30 min) for i in [from, to). */
async function commitWindows(start: Date, from: number, to: number): Promise<void> {
  const entries: WindowEntry[] = [];
  for (let i = from; i < to; i++) {
    const w = { from: new Date(start.getTime() + i * HALF_HOUR), to: new Date(start.getTime() + (i + 1) * HALF_HOUR) };
    entries.push({
      formatVersion: FORMAT_VERSION,
      kind: 'incremental',
      table: TABLE,
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      baseSet: 'daily/x',
      counts: { puts: 1, deletes: 0 },
      metadataSha256: 'x',
      metadataBytes: 1,
    });
  }
  for (let i = 0; i < entries.length; i += 64)
    await Promise.all(
      entries.slice(i, i + 64).map((e) => putText(s3, bucket, windowEntryKey({ table: TABLE, from: new Date(e.from) }), JSON.stringify(e), 'application/json')),
    );
  await putText(s3, bucket, latestWindowKey(TABLE), JSON.stringify(entries.at(-1)), 'application/json');
}

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: TABLE });
  await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'o1' } } }));
  fullSetPoint = new Date((await runBackup({ dynamodb, s3, bucket, tables: [TABLE], tier: 'daily', engine: 'scan' })).exportTime);
});

test('before any window, a chained table is as old as its full set; a table in no set reports the huge age', async () => {
  const now = new Date(fullSetPoint.getTime() + 20 * 60_000);
  const ages = await measureReplicaAges({ s3, bucket, chainedTables: [TABLE, 'age_missing'], now });
  expect(ages.chains).toEqual([
    { table: TABLE, point: fullSetPoint.toISOString(), from: 'full set', ageMinutes: 20 },
    { table: 'age_missing', from: 'none', ageMinutes: NO_BACKUP_AGE_MINUTES },
  ]);
});

test('(mocked windows: catalog entries written directly) the age runs from the newest replicated window; the requests per run are the same at a day and at 30 days of windows', async () => {
  // A day of 30-minute windows after the full set, then the monitor 40 minutes after the last one.
  await commitWindows(fullSetPoint, 0, 48);
  const dayEnd = new Date(fullSetPoint.getTime() + 48 * HALF_HOUR);
  let ages = await measureReplicaAges({ s3, bucket, chainedTables: [TABLE], now: new Date(dayEnd.getTime() + 40 * 60_000) });
  expect(ages.chains[0]).toEqual({ table: TABLE, point: dayEnd.toISOString(), from: 'window', ageMinutes: 40 });
  const atOneDay = await countRequests(() => measureReplicaAges({ s3, bucket, chainedTables: [TABLE], now: dayEnd }));

  await commitWindows(fullSetPoint, 48, 30 * 48);
  const monthEnd = new Date(fullSetPoint.getTime() + 30 * 48 * HALF_HOUR);
  ages = await measureReplicaAges({ s3, bucket, chainedTables: [TABLE], now: new Date(monthEnd.getTime() + 5 * 60_000) });
  expect(ages.chains[0]).toMatchObject({ point: monthEnd.toISOString(), ageMinutes: 5 });
  const atThirtyDays = await countRequests(() => measureReplicaAges({ s3, bucket, chainedTables: [TABLE], now: monthEnd }));
  expect(atThirtyDays).toBe(atOneDay);
  // The full set's look-up through the catalog, plus ONE GET for the chain.
  const fullSetOnly = await countRequests(() => measureReplicaAges({ s3, bucket, chainedTables: [], now: monthEnd }));
  expect(atThirtyDays).toBe(fullSetOnly + 1);
  process.stdout.write(
    `replica monitor requests per run: ${atOneDay} at 48 windows, ${atThirtyDays} at 1,440 windows (${fullSetOnly} of them the full set's look-up)\n`,
  );
});
