/**
 * The recovery-region Lambdas against DynamoDB Local and s3rver (every API they call exists in
 * the emulators, so no client mock): restore-test (success metrics, failure metrics, scratch
 * tables deleted also on failure) and replica-monitor (ReplicaBackupAgeMinutes).
 */
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

// The transform (swc, like native ES modules) exports read-only bindings that jest.spyOn cannot
// replace: the handler reaches restoreBackupSet through this mock, which runs the real function
// unless a test gives it another implementation.
jest.mock('../../lambda/restore/restore', () => {
  const actual = jest.requireActual<typeof import('../../lambda/restore/restore')>('../../lambda/restore/restore');
  return { ...actual, restoreBackupSet: jest.fn(actual.restoreBackupSet) };
});

let dynamodb: DynamoDBClient;
let s3: S3Client;
const replica = 'handlers-replica-bucket';
const emptyReplica = 'handlers-empty-replica';
const mixedReplica = 'handlers-mixed-replica';
const local = useLocalServers({ buckets: [replica, emptyReplica, mixedReplica] });
const table = 'handler-orders';
let backupId: string;
// Loaded after the servers are up: the handlers create their clients at module level.
let restoreTest: typeof import('../../lambda/handlers/restore-test');
let replicaMonitor: typeof import('../../lambda/handlers/replica-monitor');
let restoreCore: typeof import('../../lambda/restore/restore');

/** EMF documents written to stdout while `fn` runs. */
async function captureEmf<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: Error; emf: Record<string, unknown>[] }> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  try {
    return { result: await fn(), emf: parse(out) };
  } catch (e) {
    return { error: e as Error, emf: parse(out) };
  } finally {
    spy.mockRestore();
  }
}
const parse = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function scratchTables(): Promise<string[]> {
  return ((await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).filter((t) => t.includes('-drtest-'));
}

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  process.env.APP_NAME = 'shop';
  process.env.REPLICA_BUCKET = replica;
  process.env.SAMPLE_SIZE = '25';
  const { createTableFromSchema } = await import('../../lambda/restore/tables');
  const { runBackup } = await import('../../lambda/backup/backup');
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
  const items: Record<string, AttributeValue>[] = makeItems(150, 'h');
  for (let i = 0; i < items.length; i += 25) {
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  // The replica bucket holds what S3 replication copied: here, the set written straight into it.
  backupId = (
    await runBackup({ dynamodb, s3, bucket: replica, tables: [table], tier: 'daily', engine: 'scan', now: new Date(Date.now() - 90 * 60_000), segments: 8 })
  ).backupId;
  restoreTest = await import('../../lambda/handlers/restore-test');
  replicaMonitor = await import('../../lambda/handlers/replica-monitor');
  restoreCore = await import('../../lambda/restore/restore');
});

test('restore-test handler: restores the latest replica set, emits RestoreTestSuccess, RTO and RPO, leaves no scratch table', async () => {
  const { result, error, emf } = await captureEmf(() => restoreTest.handler());
  expect(error).toBeUndefined();
  expect(result).toMatchObject({ backupId, tables: [{ source: table, items: 150, sampled: 25 }] });
  expect(emf).toHaveLength(1);
  expect(emf[0]).toMatchObject({ App: 'shop', RestoreTestSuccess: 1 });
  expect(emf[0].RestoreTestDurationSeconds).toBeGreaterThan(0);
  // Trusted time (issue 23 #1): the age runs from when the data was read, moments ago, never from
  // the slot's time 90 minutes back (the slot time is only the set's identity).
  expect(emf[0].RestoredDataAgeMinutes as number).toBeGreaterThanOrEqual(0);
  expect(emf[0].RestoredDataAgeMinutes as number).toBeLessThan(5);
  expect(await scratchTables()).toEqual([]);
});

test('restore-test handler: a failure after the scratch tables exist emits RestoreTestFailure, throws, and still deletes them', async () => {
  const real = jest.requireActual<typeof import('../../lambda/restore/restore')>('../../lambda/restore/restore').restoreBackupSet;
  const spy = jest.mocked(restoreCore.restoreBackupSet).mockImplementation(async (opts) => {
    await real(opts);
    expect(await scratchTables()).toHaveLength(1);
    throw new Error('injected failure after the restore');
  });
  try {
    const { error, emf } = await captureEmf(() => restoreTest.handler());
    expect(error?.message).toMatch(/restore test of daily\/.* failed: injected failure after the restore/);
    expect(emf[0]).toMatchObject({ App: 'shop', RestoreTestFailure: 1 });
    expect(emf[0]).not.toHaveProperty('RestoreTestSuccess');
    expect(await scratchTables()).toEqual([]);
  } finally {
    spy.mockImplementation(real);
  }
});

test('restore-test handler: an empty replica bucket fails loudly', async () => {
  process.env.REPLICA_BUCKET = emptyReplica;
  try {
    const { error, emf } = await captureEmf(() => restoreTest.handler());
    expect(error?.message).toMatch(/no complete backup set/);
    expect(emf[0]).toMatchObject({ RestoreTestFailure: 1 });
  } finally {
    process.env.REPLICA_BUCKET = replica;
  }
});

test('replica-monitor handler: ReplicaBackupAgeMinutes of the newest complete set', async () => {
  const { result, emf } = await captureEmf(() => replicaMonitor.handler());
  expect(result?.backupId).toBe(backupId);
  expect(emf[0]).toMatchObject({ App: 'shop' });
  // Trusted time (issue 23 #1): the age runs from when the data was read, moments ago, never from
  // the slot's time 90 minutes back (the slot time is only the set's identity).
  expect(emf[0].ReplicaBackupAgeMinutes as number).toBeGreaterThanOrEqual(0);
  expect(emf[0].ReplicaBackupAgeMinutes as number).toBeLessThan(5);
});

test('replica-monitor handler: an empty replica bucket reports a huge age (the alarm fires)', async () => {
  process.env.REPLICA_BUCKET = emptyReplica;
  try {
    const { emf } = await captureEmf(() => replicaMonitor.handler());
    expect(emf[0].ReplicaBackupAgeMinutes).toBe(replicaMonitor.NO_BACKUP_AGE_MINUTES);
    // Above the ReplicaBackupStale threshold of the example config (RPO 1440 + 15 minutes of replication).
    expect(replicaMonitor.NO_BACKUP_AGE_MINUTES).toBeGreaterThan(1440 + 15);
  } finally {
    process.env.REPLICA_BUCKET = replica;
  }
});

test('restore-test handler with TABLES: tests the newest set holding them all, not a newer ad-hoc backup of another table', async () => {
  const { runBackup } = await import('../../lambda/backup/backup');
  const { createTableFromSchema } = await import('../../lambda/restore/tables');
  const full = await runBackup({
    dynamodb,
    s3,
    bucket: mixedReplica,
    tables: [table],
    tier: 'daily',
    engine: 'scan',
    now: new Date(Date.now() - 120 * 60_000),
  });
  await createTableFromSchema(dynamodb, 'handler-other', FIXTURE_SCHEMA);
  const adhoc = await runBackup({
    dynamodb,
    s3,
    bucket: mixedReplica,
    tables: ['handler-other'],
    tier: 'adhoc',
    engine: 'scan',
    now: new Date(Date.now() - 10 * 60_000),
  });
  process.env.REPLICA_BUCKET = mixedReplica;
  process.env.TABLES = ` ${table} `;
  try {
    const { result, error, emf } = await captureEmf(() => restoreTest.handler());
    expect(error).toBeUndefined();
    expect(result?.backupId).toBe(full.backupId);
    expect(result?.backupId).not.toBe(adhoc.backupId);
    expect(result?.tables.map((t) => t.source)).toEqual([table]);
    expect(emf[0]).toMatchObject({ RestoreTestSuccess: 1 });
    // The full set's data was read moments ago (trusted time), though its slot says 120 minutes back.
    expect(emf[0].RestoredDataAgeMinutes as number).toBeLessThan(5);
    expect(await scratchTables()).toEqual([]);
  } finally {
    process.env.REPLICA_BUCKET = replica;
    delete process.env.TABLES;
  }
});
