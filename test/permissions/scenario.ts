/**
 * The representative run the permissions proof records: each deployed function's handler and the
 * operator's CLI commands, against DynamoDB Local and s3rver, with the names and environment the
 * templates give them (the tables and buckets carry their deployed names, so the recorded ARNs
 * are the deployed ARNs). APIs no emulator has (native export, DescribeExport, PITR restore) are
 * aws-sdk-client-mock, their calls recorded from the mock.
 *
 * Labels (`who`) of the recorded calls: the logical-id prefix of the function whose code ran
 * (`BackupFunction`, ...), or `cli` for the operator.
 */
import { randomBytes } from 'node:crypto';
import {
  AttributeValue,
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
  GetItemCommand,
  GetItemCommandInput,
  PutItemCommand,
  PutItemCommandInput,
  ResourceNotFoundException,
  RestoreTableToPointInTimeCommand,
  TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateItemCommand,
  UpdateItemCommandInput,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createConfigTable } from '../../cli/drill/environment';
import { registerListCommand } from '../../cli/list';
import { registerPitrRestoreCommand } from '../../cli/pitr-restore';
import { registerRestoreCommand } from '../../cli/restore';
import { registerValidateCommand } from '../../cli/validate';
import { PENDING_FILE, type PendingBackup } from '../../lambda/backup/export-engine';
import { createSlotTable } from '../../lambda/backup/slot';
import { backupSetPrefix } from '../../lambda/format/backup-set';
import { journalKey, type RestoreJournalRecord } from '../../lambda/restore/journal';
import { getJson, putJson } from '../../lambda/store/s3-io';
import type { TableConfig } from '../../lib/config';
import { exampleConfig } from '../lib/config-fixture';
import { batchWriteAll } from '../support/ddb-compare';
import { makeItems, writeNativeExport } from '../support/native-export-fixture';
import { CliRun, runCli, testProgram } from '../support/run-cli';
import type { LocalServerContext } from '../support/use-local-servers';
import type { Recorder } from './recorder';
import { functionOf, type FunctionModel, type PolicyModel } from './templates';

/** The functions of the templates the scenario runs, by the logical-id prefix used as `who`. */
export const FUNCTIONS = {
  BackupFunction: 'production',
  ExportFinalizerFunction: 'production',
  RestoreTestFunction: 'recovery',
  ReplicaMonitorFunction: 'recovery',
} as const;

/** Items of the big table (orders): ~8 MB, ~6 MB gzipped, so its data file goes multipart (5 MiB parts). */
export const BIG_TABLE_ITEMS = 1500;

/** Runs `fn` with stdout (the handlers' EMF lines) and console.log silenced. */
async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return await fn();
  } finally {
    out.mockRestore();
    log.mockRestore();
  }
}

/** What the run produced, so the test can check it did real work. */
export interface ScenarioOutcome {
  readonly handlers: Record<string, unknown>;
  readonly cli: Record<string, CliRun>;
}

/** Items for a config table: its key and index attributes, `big` adds ~5.6 kB of random text each. */
function itemsFor(t: TableConfig, n: number, big = false): Record<string, AttributeValue>[] {
  const value = (type: string, name: string, i: number): AttributeValue => (type === 'N' ? { N: String(i) } : { S: `${name}-${i % 50}-${i}` });
  return Array.from({ length: n }, (_, i) => {
    const item: Record<string, AttributeValue> = {};
    for (const k of [t.partitionKey, t.sortKey, ...t.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])])
      if (k) item[k.name] = value(k.type, k.name, i);
    if (t.timeToLiveAttribute) item[t.timeToLiveAttribute] = { N: String(1_900_000_000 + i) };
    if (big) item.blob = { S: randomBytes(4200).toString('base64') };
    return item;
  });
}

/** Sets process.env to a function's template environment in its region (NODE_OPTIONS left out). */
function useFunctionEnv(fn: FunctionModel, overrides: Record<string, string> = {}): void {
  const { NODE_OPTIONS: _n, ...env } = fn.env;
  Object.assign(process.env, env, { AWS_REGION: fn.region }, overrides);
}

/** The DynamoDB Local descriptions of `tables`, with the table ARN AWS would give them. */
async function describedAsDeployed(local: LocalServerContext, fn: FunctionModel, account: string, tables: string[]) {
  const out = new Map<string, { table: TableDescription; ttl: unknown }>();
  for (const t of tables) {
    const table = (await local.dynamodb.send(new DescribeTableCommand({ TableName: t }))).Table!;
    const ttl = (await local.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: t }))).TimeToLiveDescription;
    out.set(t, { table: { ...table, TableArn: `arn:aws:dynamodb:${fn.region}:${account}:table/${t}` }, ttl });
  }
  return out;
}

/** Runs the whole scenario with `recorder` on. */
export async function runScenario(model: PolicyModel, local: LocalServerContext, recorder: Recorder): Promise<ScenarioOutcome> {
  const config = exampleConfig();
  const fns = Object.fromEntries(Object.entries(FUNCTIONS).map(([prefix, stack]) => [prefix, functionOf(model, stack, prefix)])) as Record<
    keyof typeof FUNCTIONS,
    FunctionModel
  >;
  const backupBucket = fns.BackupFunction.env.BACKUP_BUCKET;
  const replicaBucket = fns.RestoreTestFunction.env.REPLICA_BUCKET;
  const handlers: Record<string, unknown> = {};
  const cli: Record<string, CliRun> = {};

  // Set-up (not recorded: outside recorder.as): the deployed buckets and tables, with data.
  for (const b of [backupBucket, replicaBucket]) await local.s3.send(new CreateBucketCommand({ Bucket: b }));
  await createSlotTable(local.dynamodb, fns.BackupFunction.env.STATE_TABLE);
  for (const t of config.tables) {
    await createConfigTable(local.dynamodb, t, t.name);
    await batchWriteAll(local.dynamodb, t.name, itemsFor(t, t.name === 'orders' ? BIG_TABLE_ITEMS : 40, t.name === 'orders'));
  }

  // Backup function, scan engine (the template's ENGINE=auto picks scan for small tables). One
  // segment, so the orders file passes 5 MiB and goes multipart; segments change no request kind.
  useFunctionEnv(fns.BackupFunction, { SCAN_SEGMENTS: '1' });
  const backup = await import('../../lambda/handlers/backup');
  const daily = new Date(Date.now() - 3 * 3600_000);
  handlers.backupScan = await recorder.as('BackupFunction', () => quiet(() => backup.handler({ tier: 'daily', time: daily.toISOString() })));

  // Backup function, export engine (mocked ExportTableToPointInTime), then the finalizer.
  const tables = fns.BackupFunction.env.TABLES.split(',');
  const described = await describedAsDeployed(local, fns.BackupFunction, model.account, tables);
  const ddb = mockClient(DynamoDBClient);
  try {
    ddb.on(DescribeTableCommand).callsFake((i: { TableName: string }) => ({ Table: described.get(i.TableName)!.table }));
    ddb.on(DescribeTimeToLiveCommand).callsFake((i: { TableName: string }) => ({ TimeToLiveDescription: described.get(i.TableName)!.ttl }));
    // The slot claims go on to DynamoDB Local (the mock stands in for the export API only): the
    // smithy Client's send, beneath the mocked DynamoDBClient.prototype.send, still records them.
    const realSend = Object.getPrototypeOf(DynamoDBClient.prototype).send as (this: DynamoDBClient, command: unknown) => Promise<never>;
    ddb.on(PutItemCommand).callsFake((i: PutItemCommandInput) => realSend.call(local.dynamodb, new PutItemCommand(i)));
    ddb.on(GetItemCommand).callsFake((i: GetItemCommandInput) => realSend.call(local.dynamodb, new GetItemCommand(i)));
    ddb.on(UpdateItemCommand).callsFake((i: UpdateItemCommandInput) => realSend.call(local.dynamodb, new UpdateItemCommand(i)));
    ddb.on(DescribeContinuousBackupsCommand).resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED' } });
    ddb.on(ExportTableToPointInTimeCommand).callsFake((i: { TableArn: string }) => ({
      ExportDescription: { ExportArn: `${i.TableArn}/export/01700000000000-${randomBytes(4).toString('hex')}`, ExportStatus: 'IN_PROGRESS' },
    }));
    useFunctionEnv(fns.BackupFunction, { ENGINE: 'export' });
    const weekly = new Date(Date.now() - 2 * 3600_000);
    handlers.backupExport = await recorder.as('BackupFunction', () => quiet(() => backup.handler({ tier: 'weekly', time: weekly.toISOString() })));
    await recorder.recordMocked(ddb, 'BackupFunction');
    ddb.resetHistory();

    // The exports "finish": native-layout files where each export writes (set-up, not recorded).
    const pending = await getJson<PendingBackup>(
      local.s3,
      backupBucket,
      `${backupSetPrefix('weekly', (handlers.backupExport as { backupId: string }).backupId)}${PENDING_FILE}`,
    );
    const manifests = new Map<string, string>();
    for (const e of pending.exports) {
      const fx = await writeNativeExport(local.s3, backupBucket, e.s3Prefix, e.table, makeItems(12, e.table), 2);
      manifests.set(e.exportArn, `AWSDynamoDB/${fx.exportId}/manifest-summary.json`);
    }
    ddb.on(DescribeExportCommand).callsFake((i: { ExportArn: string }) => ({
      ExportDescription: { ExportArn: i.ExportArn, ExportStatus: 'COMPLETED', ExportManifest: manifests.get(i.ExportArn) },
    }));
    useFunctionEnv(fns.ExportFinalizerFunction);
    const finalizer = await import('../../lambda/handlers/export-finalizer');
    handlers.finalizer = await recorder.as('ExportFinalizerFunction', () => quiet(() => finalizer.handler({}, { getRemainingTimeInMillis: () => 300_000 })));
    await recorder.recordMocked(ddb, 'ExportFinalizerFunction');
  } finally {
    ddb.restore();
  }

  // S3 replication (set-up, not recorded: the replication role's requests are service paths).
  const listed = await local.s3.send(new ListObjectsV2Command({ Bucket: backupBucket, Prefix: 'backups/daily/' }));
  for (const o of listed.Contents ?? [])
    await local.s3.send(new CopyObjectCommand({ Bucket: replicaBucket, Key: o.Key!, CopySource: `${backupBucket}/${o.Key}` }));

  // Recovery region: restore test and replica monitor.
  useFunctionEnv(fns.RestoreTestFunction);
  const restoreTest = await import('../../lambda/handlers/restore-test');
  handlers.restoreTest = await recorder.as('RestoreTestFunction', () => quiet(() => restoreTest.handler())).catch((e: Error) => e);
  useFunctionEnv(fns.ReplicaMonitorFunction);
  const monitor = await import('../../lambda/handlers/replica-monitor');
  handlers.replicaMonitor = await recorder.as('ReplicaMonitorFunction', () => quiet(() => monitor.handler()));

  // The operator's CLI: list and validate in the primary region, restore from the replica in the recovery region.
  const dr = (...args: string[]) =>
    recorder.as('cli', () => runCli(testProgram(registerListCommand, registerValidateCommand, registerRestoreCommand, registerPitrRestoreCommand), args));
  const primary = ['--region', fns.BackupFunction.region];
  const recovery = ['--region', fns.RestoreTestFunction.region];
  // dr list judges each unfinished restore journal against its live table: DescribeTable in the
  // journal's region. One journal per bucket (set-up, not recorded), the table in each region.
  await putJson(local.s3, backupBucket, journalKey(UNFINISHED_TARGET), unfinishedJournal(fns.BackupFunction.region));
  await putJson(local.s3, replicaBucket, journalKey(UNFINISHED_TARGET), unfinishedJournal(fns.RestoreTestFunction.region));
  cli.list = await dr('list', '--bucket', backupBucket, ...primary);
  cli.listRecovery = await dr('list', '--bucket', replicaBucket, ...recovery);
  cli.validate = await dr('validate', 'daily/latest', '--bucket', backupBucket, ...primary, '--json');
  cli.restore = await dr(
    'restore',
    'latest',
    '--bucket',
    replicaBucket,
    ...recovery,
    '--tables',
    'inventory,wishlists',
    '--suffix',
    '-restored',
    '--confirm',
    '--json',
  );
  cli.pitr = await pitrRestore(recorder, dr, primary);
  return { handlers, cli };
}

/** The target of the unfinished restore journal `dr list` finds in each bucket. */
export const UNFINISHED_TARGET = 'orders-restored';

/** A journal of a restore into {@link UNFINISHED_TARGET} in `region`, killed part-way. */
function unfinishedJournal(region: string): RestoreJournalRecord {
  const at = new Date().toISOString();
  return {
    version: 1,
    target: UNFINISHED_TARGET,
    source: 'orders',
    backupId: '2026-12-01T02-00-00-000Z',
    tier: 'daily',
    engine: 'write',
    intoExisting: false,
    state: 'unfinished',
    startedAt: at,
    updatedAt: at,
    runs: 1,
    parts: [{ id: 'data-00000.json.gz', items: 10, done: false }],
    expectedItems: 10,
    doneItems: 0,
    targetRegion: region,
  };
}

/** `dr pitr-restore` with DynamoDB mocked (no emulator has PITR), calls recorded from the mock. */
async function pitrRestore(recorder: Recorder, dr: (...a: string[]) => Promise<CliRun>, region: string[]): Promise<CliRun> {
  const ddb = mockClient(DynamoDBClient);
  const created = new Set<string>();
  try {
    ddb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          EarliestRestorableDateTime: new Date(Date.now() - 7 * 86400_000),
          LatestRestorableDateTime: new Date(),
        },
      },
    });
    ddb.on(DescribeTimeToLiveCommand).callsFake((i: { TableName: string }) => ({
      TimeToLiveDescription: i.TableName === 'wishlists' ? { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' } : { TimeToLiveStatus: 'DISABLED' },
    }));
    ddb.on(DescribeTableCommand).callsFake((i: { TableName: string }) => {
      if (!created.has(i.TableName)) throw new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
      return { Table: { TableName: i.TableName, TableStatus: 'ACTIVE' } };
    });
    ddb.on(RestoreTableToPointInTimeCommand).callsFake((i: { TargetTableName: string }) => {
      created.add(i.TargetTableName);
      return { TableDescription: { TableName: i.TargetTableName, TableStatus: 'CREATING' } };
    });
    ddb.on(UpdateContinuousBackupsCommand).resolves({});
    ddb.on(UpdateTimeToLiveCommand).resolves({});
    ddb.on(UpdateTableCommand).resolves({});
    const time = new Date(Date.now() - 3600_000).toISOString();
    const run = await dr('pitr-restore', '--time', time, '--tables', 'orders,wishlists', '--suffix', '-pitr', '--confirm', ...region, '--json');
    await recorder.recordMocked(ddb, 'cli');
    return run;
  } finally {
    ddb.restore();
  }
}
