/**
 * `dr restore` without --confirm checks the targets too: the plan it prints is one that can run,
 * and a plan that cannot run is refused (exit 1) instead of shown. Real DynamoDB Local + s3rver.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { BackupMetadata } from '../../lambda/format/backup-set';
import { createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll } from '../support/ddb-compare';
import { CliRun, runCli, testProgram } from '../support/run-cli';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'cli-restore-plan';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
let set: BackupMetadata;

const dr = (...args: string[]): Promise<CliRun> => runCli(testProgram(registerRestoreCommand), ['--bucket', bucket, ...args]);

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTableFromSchema(dynamodb, 'plan-orders', FIXTURE_SCHEMA);
  await batchWriteAll(dynamodb, 'plan-orders', makeItems(30, 'plan'));
  set = await runBackup({ dynamodb, s3, bucket, tables: ['plan-orders'], tier: 'daily', engine: 'scan', segments: 8 });
  // A leftover of an earlier restore: the default target already exists.
  await createTableFromSchema(dynamodb, 'plan-orders-restored', FIXTURE_SCHEMA);
});

test('without --confirm, a target that already exists is refused (exit 1), not shown as "create"', async () => {
  const r = await dr('restore', set.backupId);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/table "plan-orders-restored" already exists: nothing was written; choose another --suffix, or delete it first/);
  expect(r.stdout).not.toMatch(/create/);
});

test('without --confirm, --into-existing on a non-empty table is refused (exit 1)', async () => {
  const r = await dr('restore', set.backupId, '--into-existing');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/table "plan-orders" is not empty/);
});

test('without --confirm, a free target prints the plan and exits 2, creating nothing', async () => {
  const r = await dr('restore', set.backupId, '--suffix', '-fresh');
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/plan-orders +plan-orders-fresh +30 +create/);
  expect(await tableExists(dynamodb, 'plan-orders-fresh')).toBe(false);
});
