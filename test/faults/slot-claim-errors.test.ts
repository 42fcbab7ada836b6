/**
 * Fault (issue #23, defect 13): when the slot claim itself fails (the state table missing,
 * DynamoDB throttling it beyond the SDK's retries, access denied), the backup handler's error
 * names the state table, DynamoDB's error and the fix, and the run still emits the BackupFailure
 * metric the failure alarm watches (on the old code: the raw SDK error and no metric, no page).
 *
 * The handler runs against DynamoDB Local and s3rver through the fault proxy, which throttles
 * the state table's PutItem for the throttling case.
 */
import { createSlotTable, SlotStore } from '../../lambda/backup/slot';
import { SlotClaimError } from '../../lambda/backup/slot-errors';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'slot-claim-faults';
const stateTable = 'slot-claim-state';
const local = useLocalServers({ buckets: [bucket] });
let proxy: FaultProxy;
let handler: typeof import('../../lambda/handlers/backup').handler;
const saved = { ...process.env };
const slotNow = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();

beforeAll(async () => {
  proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  await createSlotTable(local.dynamodb, stateTable);
  // The handler's clients are made when it is imported: through the proxy, two attempts per call.
  Object.assign(process.env, proxy.env, { APP_NAME: 'shop', BACKUP_BUCKET: bucket, TABLES: 'sc_orders', ENGINE: 'scan', AWS_MAX_ATTEMPTS: '2' });
  handler = (await import('../../lambda/handlers/backup')).handler;
});
afterAll(async () => {
  process.env = saved;
  await proxy.close();
});

/** Runs the handler with STATE_TABLE set; returns its error and the EMF documents it printed. */
async function failedRun(table: string): Promise<{ error: Error; emf: Record<string, unknown>[] }> {
  process.env.STATE_TABLE = table;
  let stdout = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  let error: Error | undefined;
  try {
    await handler({ tier: 'daily', time: slotNow() });
  } catch (e) {
    error = e as Error;
  } finally {
    out.mockRestore();
    log.mockRestore();
  }
  if (!error) throw new Error('the handler was expected to fail');
  const emf = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { error, emf };
}

test('state table missing: the error names the table, DynamoDB ResourceNotFoundException, the fix and the metric; BackupFailure is emitted', async () => {
  const { error, emf } = await failedRun('no-such-dr-state');
  expect(error.message).toMatch(/in the state table "no-such-dr-state" \(DynamoDB ResourceNotFoundException: /);
  expect(error.message).toMatch(/deploy the stack \(it creates the table\) or correct STATE_TABLE/);
  expect(error.message).toMatch(/CloudWatch metric DrStack\/BackupFailure, which the failure alarm watches/);
  expect(emf.some((m) => m.BackupFailure === 1 && m.Tier === 'daily' && m.App === 'shop')).toBe(true);
});

test('state table throttled beyond the SDK retries: the error says so and names the table; BackupFailure is emitted', async () => {
  const throttled = proxy.rule({ service: 'dynamodb', operation: 'PutItem', body: (b) => b.includes(stateTable), times: Infinity }, { kind: 'throttle' });
  const { error, emf } = await failedRun(stateTable);
  expect(throttled.hits).toBe(2);
  expect(error.message).toMatch(/state table "slot-claim-state" \(DynamoDB ThrottlingException: /);
  expect(error.message).toMatch(/throttled the state table "slot-claim-state" beyond the SDK's retries/);
  expect(emf.some((m) => m.BackupFailure === 1)).toBe(true);
});

test('access denied (mocked): the claim error names the table, the error and the permissions the role needs', async () => {
  const denied = Object.assign(new Error('User: arn:aws:sts::1:assumed-role/x is not authorized to perform: dynamodb:PutItem'), {
    name: 'AccessDeniedException',
  });
  const dynamodb = { send: () => Promise.reject(denied) } as unknown as DynamoDBClient;
  const claim = new SlotStore({ dynamodb, tableName: 'shop-dr-state' }).claim({ kind: 'backup', scope: 'daily', time: new Date(0) }, 'me');
  await expect(claim).rejects.toThrow(SlotClaimError);
  await expect(claim).rejects.toThrow(
    /state table "shop-dr-state" \(DynamoDB AccessDeniedException: User: .* not authorized .*\): this role may not use the state table "shop-dr-state": it needs dynamodb:PutItem, GetItem and UpdateItem/,
  );
});
