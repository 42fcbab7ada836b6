/**
 * Fault (issue #23, defect 8), through the fault proxy: the response to the backup's commit write
 * (the slot's UpdateItem to `committed`) is lost on the wire after DynamoDB applied it. The SDK
 * retries; the retry fails its condition (the slot is no longer `running`). On the old code the run
 * concluded it had lost its slot and emitted no success metric for a set that was committed and
 * valid (NoRecentBackup would page). The run re-reads the slot, finds its own commit, and reports
 * the set once.
 *
 * The handler runs against DynamoDB Local and s3rver through the proxy (its clients are made when
 * it is imported, after the proxy's endpoints are set).
 */
import { createSlotTable, SlotStore, truncateTime } from '../../lambda/backup/slot';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);
const bucket = 'commit-lost-faults';
const stateTable = 'commit-lost-state';
const table = 'cl_orders';
const local = useLocalServers({ buckets: [bucket] });
let proxy: FaultProxy;
let handler: typeof import('../../lambda/handlers/backup').handler;
const saved = { ...process.env };

beforeAll(async () => {
  proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  await createSlotTable(local.dynamodb, stateTable);
  await createTestTable(local.dynamodb, table);
  await batchWriteAll(
    local.dynamodb,
    table,
    Array.from({ length: 20 }, (_, i) => ({ pk: { S: `o-${i}` } })),
  );
  Object.assign(process.env, proxy.env, { APP_NAME: 'shop', BACKUP_BUCKET: bucket, TABLES: table, ENGINE: 'scan', STATE_TABLE: stateTable });
  handler = (await import('../../lambda/handlers/backup')).handler;
});
afterAll(async () => {
  process.env = saved;
  await proxy.close();
});

test('the commit write applied, its response lost: the run re-reads the slot, reports complete and emits BackupSuccess once', async () => {
  const lost = proxy.rule({ service: 'dynamodb', operation: 'UpdateItem', body: (b) => b.includes(stateTable) && b.includes('"committed"') }, { kind: 'lose' });
  const time = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  let stdout = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  let result: Awaited<ReturnType<typeof handler>>;
  try {
    result = await handler({ tier: 'daily', time });
  } finally {
    out.mockRestore();
    log.mockRestore();
  }
  expect(lost.hits).toBe(1);
  expect(result).toMatchObject({ status: 'complete' });
  const emf = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(emf.filter((m) => m.BackupSuccess === 1)).toHaveLength(1);
  const slot = await new SlotStore({ dynamodb: local.dynamodb, tableName: stateTable }).get({
    kind: 'backup',
    scope: 'daily',
    time: truncateTime(new Date(time)),
  });
  expect(slot?.state).toBe('committed');
});
