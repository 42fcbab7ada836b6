/**
 * Point-in-time restore (lambda/restore/pitr.ts and `dr pitr-restore`). No emulator has
 * RestoreTableToPointInTime or DescribeContinuousBackups, so DynamoDB is aws-sdk-client-mock.
 */
import { CliRun, runCli, testProgram } from '../../support/run-cli';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  RestoreTableToPointInTimeCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { pitrRestore, planPitrRestore } from '../../../lambda/restore/pitr';
import { registerPitrRestoreCommand } from '../../../cli/pitr-restore';

const ddb = mockClient(DynamoDBClient);
const earliest = new Date('2026-11-16T00:00:00Z');
const latest = new Date('2026-11-23T10:00:00Z');
let created: Set<string>;

beforeEach(() => {
  ddb.reset();
  created = new Set();
  process.env.AWS_REGION = 'eu-west-1';
  ddb.on(DescribeContinuousBackupsCommand).callsFake((input: { TableName: string }) => {
    if (input.TableName === 'gone') throw new ResourceNotFoundException({ message: 'Table not found', $metadata: {} });
    return {
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription:
          input.TableName === 'nopitr'
            ? { PointInTimeRecoveryStatus: 'DISABLED' }
            : { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: earliest, LatestRestorableDateTime: latest },
      },
    };
  });
  ddb.on(DescribeTimeToLiveCommand).callsFake((input: { TableName: string }) => ({
    TimeToLiveDescription: input.TableName === 'wishlists' ? { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' } : { TimeToLiveStatus: 'DISABLED' },
  }));
  ddb.on(DescribeTableCommand).callsFake((input: { TableName: string }) => {
    if (!created.has(input.TableName)) throw new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
    return { Table: { TableName: input.TableName, TableStatus: 'ACTIVE' } };
  });
  ddb.on(RestoreTableToPointInTimeCommand).callsFake((input: { TargetTableName: string }) => {
    created.add(input.TargetTableName);
    return { TableDescription: { TableName: input.TargetTableName, TableStatus: 'CREATING' } };
  });
  ddb.on(UpdateContinuousBackupsCommand).resolves({});
  ddb.on(UpdateTimeToLiveCommand).resolves({});
  ddb.on(UpdateTableCommand).resolves({});
});

const dynamodb = () => new DynamoDBClient({ region: 'eu-west-1' });
const time = new Date('2026-11-23T02:15:00Z');

test('(aws-sdk-client-mock) restores every table at ONE timestamp and re-applies PITR, TTL and deletion protection', async () => {
  const report = await pitrRestore({ dynamodb: dynamodb(), tables: ['orders', 'wishlists'], time });
  expect(report.tables.map((t) => t.target)).toEqual(['orders-restored', 'wishlists-restored']);
  const restores = ddb.commandCalls(RestoreTableToPointInTimeCommand).map((c) => c.args[0].input);
  expect(restores).toEqual([
    { SourceTableName: 'orders', TargetTableName: 'orders-restored', RestoreDateTime: time },
    { SourceTableName: 'wishlists', TargetTableName: 'wishlists-restored', RestoreDateTime: time },
  ]);
  expect(ddb.commandCalls(UpdateContinuousBackupsCommand).map((c) => c.args[0].input.TableName)).toEqual(['orders-restored', 'wishlists-restored']);
  expect(ddb.commandCalls(UpdateTimeToLiveCommand).map((c) => c.args[0].input)).toEqual([
    { TableName: 'wishlists-restored', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } },
  ]);
  expect(ddb.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toEqual([
    { TableName: 'orders-restored', DeletionProtectionEnabled: true },
    { TableName: 'wishlists-restored', DeletionProtectionEnabled: true },
  ]);
});

test('(aws-sdk-client-mock) refuses a time outside the PITR window, naming the window; nothing started', async () => {
  await expect(pitrRestore({ dynamodb: dynamodb(), tables: ['orders'], time: new Date('2026-11-01T00:00:00Z') })).rejects.toThrow(
    /2026-11-01T00:00:00.000Z is outside the PITR window of "orders" \(2026-11-16T00:00:00.000Z to 2026-11-23T10:00:00.000Z\)/,
  );
  expect(ddb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
});

test('(aws-sdk-client-mock) checks every table before starting any: a later bad table stops all', async () => {
  await expect(pitrRestore({ dynamodb: dynamodb(), tables: ['orders', 'nopitr'], time })).rejects.toThrow(/point-in-time recovery is not enabled on "nopitr"/);
  expect(ddb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
});

test('(aws-sdk-client-mock) a table missing in this region names the region', async () => {
  await expect(planPitrRestore({ dynamodb: dynamodb(), tables: ['gone'], time })).rejects.toThrow(/"gone" does not exist in this region \(eu-west-1\)/);
});

test('(aws-sdk-client-mock) refuses an existing target table', async () => {
  created.add('orders-restored');
  await expect(planPitrRestore({ dynamodb: dynamodb(), tables: ['orders'], time })).rejects.toThrow(/"orders-restored" already exists/);
});

function dr(...args: string[]): Promise<CliRun> {
  return runCli(testProgram(registerPitrRestoreCommand), args);
}

test('(aws-sdk-client-mock) dr pitr-restore without --confirm: plan, exit 2, nothing started', async () => {
  const r = await dr('pitr-restore', '--time', time.toISOString(), '--tables', 'orders,wishlists', '--json');
  expect(r.code).toBe(2);
  expect(JSON.parse(r.stdout)).toMatchObject({ confirmed: false, tables: [{ target: 'orders-restored' }, { target: 'wishlists-restored' }] });
  expect(ddb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
});

test('(aws-sdk-client-mock) dr pitr-restore --confirm --json: new names, exit 0', async () => {
  const r = await dr('pitr-restore', '--time', time.toISOString(), '--tables', 'orders', '--suffix', '-pitr', '--confirm', '--json');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ confirmed: true, time: time.toISOString(), tables: [{ source: 'orders', target: 'orders-pitr' }] });
  // The report is not just echoed: the restore really went to DynamoDB, at the given time.
  expect(ddb.commandCalls(RestoreTableToPointInTimeCommand).map((c) => c.args[0].input)).toEqual([
    { SourceTableName: 'orders', TargetTableName: 'orders-pitr', RestoreDateTime: time },
  ]);
  expect(ddb.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toEqual([{ TableName: 'orders-pitr', DeletionProtectionEnabled: true }]);
});

test('(aws-sdk-client-mock) dr pitr-restore outside the window: exit 1 with the window in the message', async () => {
  const r = await dr('pitr-restore', '--time', '2026-12-01T00:00:00Z', '--tables', 'orders', '--confirm');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/outside the PITR window of "orders"/);
});
