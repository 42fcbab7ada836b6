/**
 * Permissions proof of the chain of incremental exports: the requests the incremental-export
 * function's code sends (claiming a window's slot, starting its incremental export, following it,
 * committing it: reads of the catalog and the export, writes of window.json, the entry and
 * _latest.json), recorded against DynamoDB Local and s3rver with the LOCAL STAND-IN answering the
 * export, evaluated against the synthesized role of `IncrementalExports`. A negative test takes
 * the export grant away from a template copy and expects the denial, named.
 */
import { CreateTableCommand, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { runBackup } from '../../lambda/backup/backup';
import { createSlotTable, SlotStore } from '../../lambda/backup/slot';
import { exportNextWindow, finalizeWindow } from '../../lambda/incremental/window-export';
import { installIncrementalExportStandIn } from '../../cli/drill/standins/incremental-export-standin';
import { useLocalServers } from '../support/use-local-servers';
import { evaluateAll, type Principal, type Verdict } from './evaluate';
import { casesOf, denied, editedModel, withoutAction } from './proof';
import { startRecorder, type SdkCall } from './recorder';
import { builtTemplates, functionOf, synthesizePolicyModel, type PolicyModel } from './templates';

jest.setTimeout(600_000);
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);
const fn = functionOf(model, 'production', 'IncrementalExports');
const bucket = fn.env.BACKUP_BUCKET;
const stateTable = fn.env.STATE_TABLE;
const local = useLocalServers({ buckets: [bucket] });
const WHO = 'incremental-export';
let calls: SdkCall[] = [];

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
});

test('every request of exporting and committing a window is allowed for the incremental-export role', async () => {
  const verdicts: Verdict[] = await evaluateAll(model, casesOf(model, calls, WHO, principalOf(model)));
  const actions = new Set(verdicts.map((v) => v.request.action));
  for (const a of ['dynamodb:ExportTableToPointInTime', 'dynamodb:DescribeExport', 'dynamodb:PutItem', 's3:PutObject', 's3:GetObject', 's3:ListBucket'])
    expect(actions).toContain(a);
  expect(verdicts.length).toBeGreaterThanOrEqual(15);
  expect(denied(verdicts)).toEqual([]);
});

test('without the export grant the window export is denied, named', async () => {
  const edited = editedModel(templates, 'production', 'AWS::IAM::Policy', (props) =>
    withoutAction(props.PolicyDocument as unknown as { Statement: { Action: string | string[] }[] }, 'dynamodb:ExportTableToPointInTime'),
  );
  const verdicts = await evaluateAll(edited, casesOf(edited, calls, WHO, principalOf(edited)));
  expect(denied(verdicts).join('\n')).toMatch(/dynamodb:ExportTableToPointInTime/);
});
