/**
 * Which set "latest" means: the newest complete set holding the tables asked for, optionally
 * within one tier (`daily/latest`). Real DynamoDB Local + s3rver.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { resolveBackupSet } from '../../lambda/store/catalog';
import { BackupMetadata } from '../../lambda/format/backup-set';
import { planRestore } from '../../lambda/restore/restore';
import { validateBackupSet } from '../../lambda/validate/validate';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'latest-set-test';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
let daily: BackupMetadata;
let adhoc: BackupMetadata;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  for (const t of ['latest-orders', 'latest-users']) {
    await createTestTable(dynamodb, t);
    await batchWriteAll(
      dynamodb,
      t,
      Array.from({ length: 20 }, (_, i) => ({ pk: { S: `${t}-${i}` } })),
    );
  }
  daily = await runBackup({
    dynamodb,
    s3,
    bucket,
    tables: ['latest-orders', 'latest-users'],
    tier: 'daily',
    engine: 'scan',
    now: new Date('2026-11-22T02:00:00Z'),
  });
  // An operator's ad-hoc backup of one table, newer than the daily set.
  adhoc = await runBackup({ dynamodb, s3, bucket, tables: ['latest-users'], tier: 'adhoc', engine: 'scan', now: new Date('2026-11-22T09:30:00Z') });
});

const ref = (r: string, tables?: string[]) => resolveBackupSet({ s3, bucket, ref: r, tables }).then((s) => `${s.tier}/${s.backupId}`);

test('"latest" alone is the newest complete set of any tier', async () => {
  expect(await ref('latest')).toBe(`adhoc/${adhoc.backupId}`);
});

test('"latest" with tables skips a newer set that does not hold them', async () => {
  expect(await ref('latest', ['latest-orders'])).toBe(`daily/${daily.backupId}`);
  expect(await ref('latest', ['latest-users'])).toBe(`adhoc/${adhoc.backupId}`);
});

test('"<tier>/latest" keeps to the tier', async () => {
  expect(await ref('daily/latest')).toBe(`daily/${daily.backupId}`);
  expect(await ref('adhoc/latest')).toBe(`adhoc/${adhoc.backupId}`);
  await expect(ref('weekly/latest')).rejects.toThrow(/no complete backup set in tier "weekly" of s3:\/\/latest-set-test\/backups\/: run "dr backup"/);
  await expect(ref('hourly/latest')).rejects.toThrow(/unknown tier "hourly" in "hourly\/latest": use one of daily, weekly, monthly, adhoc/);
});

test('no complete set holding the tables: the error names them', async () => {
  await expect(ref('latest', ['latest-nope'])).rejects.toThrow(/no complete backup set in s3:\/\/latest-set-test\/backups\/ holds table\(s\) latest-nope/);
});

test('restore and validate of "latest --tables orders" use the daily set, not the newer ad-hoc one', async () => {
  const plan = await planRestore({ dynamodb, s3, bucket, ref: 'latest', tables: ['latest-orders'] });
  expect(`${plan.tier}/${plan.backupId}`).toBe(`daily/${daily.backupId}`);
  expect(plan.tables.map((t) => [t.source, t.items])).toEqual([['latest-orders', 20]]);
  const report = await validateBackupSet({ s3, bucket, ref: 'latest', tables: ['latest-orders'] });
  expect(report.valid).toBe(true);
  expect(report.backupId).toBe(daily.backupId);
});
