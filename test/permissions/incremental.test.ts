/**
 * Permissions proof of the chain of incremental exports: the requests the incremental-export
 * function's code sends (claiming a window's slot, starting its incremental export, following it,
 * committing it: reads of the catalog and the export, writes of window.json, the entry and
 * _latest.json), recorded against DynamoDB Local and s3rver with the LOCAL STAND-IN answering the
 * export, evaluated against the synthesized role of `IncrementalExports`. A negative test takes
 * the export grant away from a template copy and expects the denial, named.
 *
 * Then `dr restore --at` through the CLI as the operator (`<app>-dr-operator` and its `-restore`
 * companion): in the primary region from the backup bucket, and in the recovery region from the
 * replica bucket, each request evaluated in the region the command sent it to; negative: without
 * s3:GetObject the windows cannot be read.
 */
import { CreateTableCommand, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { runBackup } from '../../lambda/backup/backup';
import { createSlotTable, SlotStore } from '../../lambda/backup/slot';
import { exportNextWindow, finalizeWindow } from '../../lambda/incremental/window-export';
import { installIncrementalExportStandIn } from '../../cli/drill/standins/incremental-export-standin';
import { useLocalServers } from '../support/use-local-servers';
import { CopyObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { registerRestoreCommand } from '../../cli/restore';
import { operatorPolicyName } from '../../lib/config';
import { exampleConfig } from '../lib/app-fixture';
import { runCli, testProgram, type CliRun } from '../support/run-cli';
import { evaluateAll, type Principal, type Verdict } from './evaluate';
import { casesOf, denied, editedModel, operatorPrincipal, withoutAction } from './proof';
import { measuredRow, proofRows } from './proof-table';
import { startRecorder, type SdkCall } from './recorder';
import { builtTemplates, functionOf, synthesizePolicyModel, type PolicyModel } from './templates';

jest.setTimeout(600_000);
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);
const fn = functionOf(model, 'production', 'IncrementalExports');
const bucket = fn.env.BACKUP_BUCKET;
const stateTable = fn.env.STATE_TABLE;
const local = useLocalServers({ buckets: [bucket, functionOf(model, 'recovery', 'ReplicaMonitor').env.REPLICA_BUCKET] });
const WHO = 'incremental-export';
let calls: SdkCall[] = [];
const monitor = functionOf(model, 'recovery', 'ReplicaMonitor');
const replicaBucket = monitor.env.REPLICA_BUCKET;
const OPERATOR_POLICY = operatorPolicyName(exampleConfig());
const AT_PRIMARY = 'restore --at (primary region, backup bucket)';
const AT_RECOVERY = 'restore --at (recovery region, replica bucket)';
const atCalls: SdkCall[] = [];
const runs: Record<string, CliRun> = {};

const principalOf = (m: PolicyModel): Principal => {
  const f = functionOf(m, 'production', 'IncrementalExports');
  return { kind: 'role', arn: f.roleArn, label: `${WHO} (role ${f.roleArn.split('/').pop()})` };
};

beforeAll(async () => {
  const { dynamodb, s3 } = local;
  await createSlotTable(dynamodb, stateTable);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: 'orders',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: 'orders' });
  const streams = new DynamoDBStreamsClient({ endpoint: local.env.AWS_ENDPOINT_URL_DYNAMODB, region: local.env.AWS_REGION });
  let sim = new Date(Date.now() - 60_000);
  const standIn = installIncrementalExportStandIn({ dynamodb, streams, s3, clock: () => sim, tables: ['orders'] });
  for (let i = 0; i < 5; i++) await dynamodb.send(new PutItemCommand({ TableName: 'orders', Item: { orderId: { S: `o${i}` } } }));
  await standIn.capture();
  const set = await runBackup({ dynamodb, s3, bucket, tables: ['orders'], tier: 'daily', engine: 'scan' });
  sim = new Date(Date.parse(set.exportTime) + 5 * 60_000);
  await dynamodb.send(new PutItemCommand({ TableName: 'orders', Item: { orderId: { S: 'o99' } } }));
  await standIn.capture();
  sim = new Date(Date.parse(set.exportTime) + 31 * 60_000);
  const slots = new SlotStore({ dynamodb, tableName: stateTable });
  const tableArn = `${fn.env.TABLE_ARN_PREFIX}orders`;
  const recorder = startRecorder();
  try {
    await recorder.as(WHO, async () => {
      const run = await exportNextWindow({
        dynamodb,
        s3,
        slots,
        bucket,
        table: 'orders',
        tableArn,
        intervalMs: 30 * 60_000,
        owner: 'proof',
        now: sim,
        kmsKeyArn: fn.env.EXPORT_KMS_KEY_ARN,
      });
      if (run.outcome !== 'started') throw new Error(`expected a started window, got ${run.outcome}`);
      const done = await finalizeWindow({ dynamodb, s3, slots, bucket, table: 'orders', intervalMs: 30 * 60_000, now: sim });
      if (done.status !== 'committed') throw new Error(`expected a committed window, got ${done.status}`);
    });
  } finally {
    recorder.stop();
    standIn.dispose();
    streams.destroy();
  }
  // The stand-in reads the table's stream (and DescribeTable for its ARN) to play the export:
  // DynamoDB does that itself in AWS, so those calls are not the role's. Its writes of the export's
  // files stay in: AWS writes them as the caller too.
  const standInOwn = (c: SdkCall) => c.service === 'DynamoDBStreamsClient' || (c.service === 'dynamodb' && c.operation === 'DescribeTable');
  calls = recorder.calls.filter((c) => c.who === WHO && !standInOwn(c));
  await recordPointRestores(Date.parse(set.exportTime));
});

/**
 * `dr restore --at` as the operator runs it, through the CLI: in the primary region from the
 * backup bucket, and in the recovery region from the replica bucket (the set and the window
 * copied there as replication would). The point is just after the base (a second, or now when
 * sooner), so the window is read and its change (written after the point) skipped: every kind of
 * request the command sends.
 */
async function recordPointRestores(base: number): Promise<void> {
  const { s3 } = local;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'backups/' }));
  for (const o of listed.Contents ?? []) await s3.send(new CopyObjectCommand({ Bucket: replicaBucket, Key: o.Key!, CopySource: `${bucket}/${o.Key}` }));
  // A point after the base and before the window's change (simulated 5 min after the base), never
  // in the future: --at refuses a time after the clock.
  const at = new Date(Math.min(base + 1000, Date.now())).toISOString();
  const recorder = startRecorder();
  try {
    const dr = (who: string, ...args: string[]) => recorder.as(who, () => runCli(testProgram(registerRestoreCommand), args));
    const common = ['restore', '--at', at, '--tables', 'orders', '--confirm', '--json'];
    runs.primary = await dr(AT_PRIMARY, ...common, '--bucket', bucket, '--region', fn.region, '--suffix', '-at-primary');
    runs.recovery = await dr(AT_RECOVERY, ...common, '--bucket', replicaBucket, '--region', monitor.region, '--suffix', '-at-recovery');
  } finally {
    recorder.stop();
  }
  atCalls.push(...recorder.calls);
}

/** The verdicts of the recorded runs against the shipped templates, simulated once per run (the proof tests and the table's). */
const proven = new Map<string, Promise<Verdict[]>>();
const once = (key: string, run: () => Promise<Verdict[]>) => {
  if (!proven.has(key)) proven.set(key, run());
  return proven.get(key)!;
};
const windowVerdicts = () => once(WHO, () => evaluateAll(model, casesOf(model, calls, WHO, principalOf(model))));
const atVerdicts = (m: PolicyModel, who: string) => evaluateAll(m, casesOf(m, atCalls, who, operatorPrincipal(OPERATOR_POLICY, `restore --at (${who})`)));

test('every request of exporting and committing a window is allowed for the incremental-export role', async () => {
  const verdicts: Verdict[] = await windowVerdicts();
  const actions = new Set(verdicts.map((v) => v.request.action));
  for (const a of ['dynamodb:ExportTableToPointInTime', 'dynamodb:DescribeExport', 'dynamodb:PutItem', 's3:PutObject', 's3:GetObject', 's3:ListBucket'])
    expect(actions).toContain(a);
  expect(verdicts.length).toBeGreaterThanOrEqual(15);
  expect(denied(verdicts)).toEqual([]);
});

describe(`dr restore --at against the operator policy (${OPERATOR_POLICY}), both regions`, () => {
  const verdicts = (m: PolicyModel, who: string) => (m === model ? once(who, () => atVerdicts(m, who)) : atVerdicts(m, who));

  test('both runs restored the base and took the window', () => {
    for (const r of [runs.primary, runs.recovery]) {
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ confirmed: true, tables: { orders: { windows: [expect.stringMatching(/^window\//)], skipped: 1 } } });
    }
  });

  test.each([AT_PRIMARY, AT_RECOVERY])('every request of %s is allowed', async (who) => {
    const v = await verdicts(model, who);
    const actions = new Set(v.map((x) => x.request.action));
    for (const a of ['s3:ListBucket', 's3:GetObject', 's3:PutObject', 'dynamodb:CreateTable', 'dynamodb:BatchWriteItem', 'dynamodb:Scan'])
      expect(actions).toContain(a);
    expect(new Set(v.map((x) => x.request.region))).toEqual(new Set([who === AT_PRIMARY ? fn.region : monitor.region]));
    expect(denied(v)).toEqual([]);
  });

  test('the proof can fail: without s3:GetObject on the operator policies the windows cannot be read', async () => {
    const copy = structuredClone(templates);
    for (const st of copy)
      for (const r of Object.values(
        st.template.Resources as Record<string, { Type: string; Properties: { PolicyDocument?: { Statement: { Action: string | string[] }[] } } }>,
      ))
        if (r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties.PolicyDocument) withoutAction(r.Properties.PolicyDocument, 's3:GetObject');
    const v = await verdicts(synthesizePolicyModel(copy), AT_RECOVERY);
    expect(v.filter((x) => !x.allowed).map((x) => x.request.resource)).toEqual(
      expect.arrayContaining([expect.stringMatching(/backups\/incremental\/orders\//)]),
    );
  });
});

test('without the export grant the window export is denied, named', async () => {
  const edited = editedModel(templates, 'production', 'AWS::IAM::Policy', (props) =>
    withoutAction(props.PolicyDocument as unknown as { Statement: { Action: string | string[] }[] }, 'dynamodb:ExportTableToPointInTime'),
  );
  const verdicts = await evaluateAll(edited, casesOf(edited, calls, WHO, principalOf(edited)));
  expect(denied(verdicts).join('\n')).toMatch(/dynamodb:ExportTableToPointInTime/);
});

test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', async () => {
  const role = fn.roleArn.split('/').pop();
  const getObject = 'the proof can fail: without s3:GetObject on the operator policies the windows cannot be read';
  const rows = [
    measuredRow({
      principal: `IncrementalExports (role ${role})`,
      ran: 'a window claimed, exported (INCREMENTAL_EXPORT, local stand-in) and committed',
      verdicts: await windowVerdicts(),
      negative: 'without the export grant the window export is denied, named',
    }),
    measuredRow({
      principal: `operator (${OPERATOR_POLICY})`,
      ran: `dr restore --at in ${fn.region} (primary, backup bucket): base set and window`,
      verdicts: await once(AT_PRIMARY, () => atVerdicts(model, AT_PRIMARY)),
      negative: getObject,
    }),
    measuredRow({
      principal: `operator (${OPERATOR_POLICY})`,
      ran: `dr restore --at in ${monitor.region} (recovery, replica bucket): base set and window`,
      verdicts: await once(AT_RECOVERY, () => atVerdicts(model, AT_RECOVERY)),
      negative: getObject,
    }),
  ];
  const { documented, measured } = proofRows('incremental.test.ts', rows);
  expect(documented).toEqual(measured);
});
