/**
 * A chain of incremental export windows end to end against DynamoDB Local and s3rver, on a
 * simulated clock: the windows are exported through the LOCAL STAND-IN for incremental exports
 * (cli/drill/standins/incremental-export-standin.ts, from the tables' streams), finalized by the
 * same code the export finalizer runs, then `dr restore --at`'s core restores full set + chain.
 *
 * Timeline (minutes after the full set at T0): window 1 [0,15) updates, a delete and a put;
 * window 2 [15,30) changes at 20 (before --at 22) and at 25 (after it) and is FAILED once, then
 * retried as the same window; window 3 [30,45).
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  DeleteTableCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { createSlotTable, SlotStore } from '../../lambda/backup/slot';
import { readJournal, windowPartId } from '../../lambda/restore/journal';
import { chainShapeProblems } from '../../lambda/incremental/chain';
import { exportNextWindow, finalizeWindow } from '../../lambda/incremental/window-export';
import { listWindows, readLatestWindow } from '../../lambda/incremental/window-store';
import { installIncrementalExportStandIn, type IncrementalExportStandIn } from '../../cli/drill/standins/incremental-export-standin';
import { planPointRestore, restoreToPoint } from '../../cli/restore-point';
import { validateChain } from '../../lambda/incremental/validate-chain';
import { readWindowMetadata } from '../../lambda/incremental/window-store';
import { listCatalog } from '../../lambda/store/catalog';
import { restorableRanges } from '../../cli/list-ranges';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { scanAsJson } from '../support/ddb-compare';
import { registerListCommand } from '../../cli/list';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(300_000);
const bucket = 'incremental-chain-test';
const stateTable = 'chain-dr-state';
const ORDERS = 'chain_orders';
const USERS = 'chain_users';
const local = useLocalServers({ buckets: [bucket] });
/** The full set's recovery point (when its scan read the data): minute 0 of the simulated clock. */
let T0 = new Date();
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const INTERVAL_MS = 15 * 60_000;

let dynamodb: DynamoDBClient;
let s3: S3Client;
let streams: DynamoDBStreamsClient;
let slots: SlotStore;
let standIn: IncrementalExportStandIn;
let sim = new Date();
/** The source tables' state at minute 22, scanned then: what --at 22 must give back. */
const snapshot22 = new Map<string, Map<string, Record<string, unknown>>>();

const item = (pk: string, v: number): Record<string, AttributeValue> => ({ pk: { S: pk }, v: { N: String(v) }, note: { S: `${pk} v${v}` } });
const put = (table: string, pk: string, v: number) => dynamodb.send(new PutItemCommand({ TableName: table, Item: item(pk, v) }));
const del = (table: string, pk: string) => dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: pk } } }));
const scan = (table: string) => scanAsJson(dynamodb, table, (i) => JSON.stringify(i.pk));
const tableArn = (t: string) => `arn:aws:dynamodb:ddblocal:000000000000:table/${t}`;

async function createStreamTable(name: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
}

/** Writes at simulated minute `m`, then lets the stand-in read them from the streams at that time. */
async function writesAt(m: number, writes: () => Promise<unknown>): Promise<void> {
  sim = at(m);
  await writes();
  await standIn.capture();
}

const exportRun = (table: string, owner: string) =>
  exportNextWindow({ dynamodb, s3, slots, bucket, table, tableArn: tableArn(table), intervalMs: INTERVAL_MS, owner, now: sim });
const finalize = (table: string) => finalizeWindow({ dynamodb, s3, slots, bucket, table, intervalMs: INTERVAL_MS, now: sim });

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  streams = new DynamoDBStreamsClient({ endpoint: local.env.AWS_ENDPOINT_URL_DYNAMODB, region: local.env.AWS_REGION });
  await createSlotTable(dynamodb, stateTable);
  slots = new SlotStore({ dynamodb, tableName: stateTable });
  for (const t of [ORDERS, USERS]) await createStreamTable(t);
  standIn = installIncrementalExportStandIn({ dynamodb, streams, s3, clock: () => sim, tables: [ORDERS, USERS] });
  // Written and read from the streams before the full set reads the tables: no window holds them.
  sim = new Date(Date.now() - 60_000);
  for (let i = 0; i < 20; i++) await Promise.all([put(ORDERS, `o${i}`, 1), put(USERS, `u${i}`, 1)]);
  await standIn.capture();
  const set = await runBackup({ dynamodb, s3, bucket, tables: [ORDERS, USERS], tier: 'daily', engine: 'scan' });
  T0 = new Date(set.exportTime);

  // Window 1 [0, 15).
  await writesAt(3, () => Promise.all([put(ORDERS, 'o1', 2), del(ORDERS, 'o2'), put(ORDERS, 'o100', 1), put(USERS, 'u1', 2)]));
  await writesAt(10, () => put(ORDERS, 'o3', 2));
  // Window 2 [15, 30): before and after --at 22.
  await writesAt(20, () => Promise.all([del(ORDERS, 'o4'), put(ORDERS, 'o1', 3), put(ORDERS, 'o101', 1), put(USERS, 'u2', 2)]));
  sim = at(22);
  for (const t of [ORDERS, USERS]) snapshot22.set(t, await scan(t));
  await writesAt(25, () => Promise.all([put(ORDERS, 'o5', 2), del(ORDERS, 'o6'), put(ORDERS, 'o102', 1), del(USERS, 'u3')]));
  // Window 3 [30, 45).
  await writesAt(33, () => Promise.all([put(ORDERS, 'o7', 2), put(USERS, 'u4', 2)]));
});

afterAll(() => {
  standIn?.dispose();
  streams?.destroy();
});

describe('exporting windows', () => {
  it('a duplicate delivery of a window exports it once and commits one window', async () => {
    sim = at(16);
    const runs = await Promise.all([exportRun(ORDERS, 'run-a'), exportRun(ORDERS, 'run-b')]);
    // The second run finds the slot held (busy) or already handed to the finalizer (exporting).
    expect(runs.filter((r) => r.outcome === 'busy' || r.outcome === 'exporting')).toHaveLength(1);
    expect(runs.filter((r) => r.outcome === 'started')).toHaveLength(1);
    const exportsOfWindow1 = standIn.calls.filter(
      (c) => c.command === 'ExportTableToPointInTime' && (c.input as { TableArn: string }).TableArn === tableArn(ORDERS),
    );
    expect(exportsOfWindow1).toHaveLength(1);
    expect((await finalize(ORDERS)).status).toBe('committed');
    expect((await exportRun(USERS, 'run-c')).outcome).toBe('started');
    expect((await finalize(USERS)).status).toBe('committed');
    expect((await listWindows(s3, bucket, ORDERS)).map((w) => w.from)).toEqual([T0.toISOString()]);
  });

  it('a FAILED window is exported again as the same window, never skipped', async () => {
    sim = at(31);
    standIn.failNext(ORDERS);
    expect(await exportRun(ORDERS, 'run-d')).toMatchObject({ outcome: 'started', window: { from: at(15), to: at(30) } });
    expect(await finalize(ORDERS)).toMatchObject({ status: 'failed', window: { from: at(15) } });
    sim = at(46);
    // The next run, a whole interval later, still exports [15, 30) before [30, 45).
    expect(await exportRun(ORDERS, 'run-e')).toMatchObject({ outcome: 'started', window: { from: at(15), to: at(30) } });
    expect((await finalize(ORDERS)).status).toBe('committed');
  });

  it('windows are contiguous from the full set export time', async () => {
    for (const t of [ORDERS, USERS]) {
      for (let i = 0; i < 4; i++) {
        const run = await exportRun(t, `run-${t}-${i}`);
        if (run.outcome !== 'started') break;
        expect((await finalize(t)).status).toBe('committed');
      }
    }
    for (const t of [ORDERS, USERS]) {
      const windows = await listWindows(s3, bucket, t);
      expect(windows.map((w) => [w.from, w.to])).toEqual([
        [at(0).toISOString(), at(15).toISOString()],
        [at(15).toISOString(), at(30).toISOString()],
        [at(30).toISOString(), at(45).toISOString()],
      ]);
      expect(chainShapeProblems(windows)).toEqual([]);
      expect((await readLatestWindow(s3, bucket, t))?.to).toBe(at(45).toISOString());
    }
    expect((await listWindows(s3, bucket, ORDERS))[0].counts).toEqual({ puts: 3, deletes: 1 });
  });
});

describe('dr restore --at', () => {
  it('restores every table to the same instant: deletes applied, changes after --at skipped', async () => {
    sim = at(50);
    const report = await restoreToPoint({ dynamodb, s3, bucket, tables: [ORDERS, USERS], at: at(22), now: sim, suffix: '-at22' });
    expect(report.plan.at).toEqual(at(22));
    expect(report.tables[ORDERS]).toMatchObject({ windows: [windowPartId(at(0)), windowPartId(at(15))], skipped: 3 });
    for (const t of [ORDERS, USERS]) expect(await scan(`${t}-at22`)).toEqual(snapshot22.get(t));
    const orders = await scan(`${ORDERS}-at22`);
    const key = (pk: string) => JSON.stringify({ S: pk });
    expect(orders.has(key('o1'))).toBe(true);
    expect(orders.has(key('o2'))).toBe(false); // deleted in window 1
    expect(orders.has(key('o4'))).toBe(false); // deleted in window 2 before --at
    expect(orders.has(key('o6'))).toBe(true); // deleted in window 2 after --at: skipped
    expect(orders.has(key('o102'))).toBe(false); // put after --at: skipped
  });

  it('a chain restore killed after its first window resumes item-exact with --resume', async () => {
    sim = at(50);
    const opts = { dynamodb, s3, bucket, tables: [ORDERS], at: at(45), now: sim, suffix: '-kill' };
    const kill = async () => {
      throw new Error('killed after the first window');
    };
    await expect(restoreToPoint({ ...opts, onWindow: kill })).rejects.toThrow(/killed/);
    // One journal: the base's data files, then one part per window; only the first window done.
    const journal = await readJournal(s3, bucket, `${ORDERS}-kill`);
    expect(journal).toMatchObject({ state: 'failed', chain: { at: at(45).toISOString(), baseVerifiedItems: 20 } });
    expect(journal!.parts.filter((p) => p.id.startsWith('window/')).map((p) => [p.id, p.done])).toEqual([
      [windowPartId(at(0)), true],
      [windowPartId(at(15)), false],
      [windowPartId(at(30)), false],
    ]);
    const resumed = await restoreToPoint({ ...opts, resume: true });
    expect(resumed.base).toBeUndefined();
    // Only windows 2 and 3 were applied by the resumed run.
    const later = (await listWindows(s3, bucket, ORDERS)).slice(1);
    expect(resumed.tables[ORDERS]).toMatchObject({
      windows: [windowPartId(at(0)), windowPartId(at(15)), windowPartId(at(30))],
      puts: later.reduce((n, w) => n + w.counts.puts, 0),
      deletes: later.reduce((n, w) => n + w.counts.deletes, 0),
    });
    expect(await scan(`${ORDERS}-kill`)).toEqual(await scan(ORDERS));
    expect(await readJournal(s3, bucket, `${ORDERS}-kill`)).toMatchObject({ state: 'verified', runs: 2 });
  });

  it('--resume of a killed chain restore with another --at is refused, naming the point to resume', async () => {
    const opts = { dynamodb, s3, bucket, tables: [ORDERS], now: at(50), suffix: '-other-at' };
    const kill = async () => {
      throw new Error('killed after the first window');
    };
    await expect(restoreToPoint({ ...opts, at: at(45), onWindow: kill })).rejects.toThrow(/killed/);
    await expect(restoreToPoint({ ...opts, at: at(30), resume: true })).rejects.toThrow(
      new RegExp(`holds an unfinished restore as of ${at(45).toISOString()} .*resume it with --at ${at(45).toISOString()} --resume`),
    );
    expect(await readJournal(s3, bucket, `${ORDERS}-other-at`)).toMatchObject({ state: 'failed', chain: { at: at(45).toISOString() } });
    // dr list names it with its base and point, and how to continue it.
    const list = await runCli(testProgram(registerListCommand), ['--bucket', bucket, 'list']);
    expect(list.stdout).toMatch(
      new RegExp(`${ORDERS}-other-at\\s+${ORDERS}\\s+daily/\\S+ \\+ windows, --at ${at(45).toISOString()}\\s+failed.*checked: same table`),
    );
    // The command it prints is the point, the table and the suffix of that restore.
    expect(list.stdout).toContain(
      `"${ORDERS}-other-at": dr restore --at ${at(45).toISOString()} --resume --tables ${ORDERS} --suffix -other-at --confirm --bucket ${bucket}`,
    );
  });

  it('a killed chain restore whose table was dropped and created again: dr list calls it stale, --resume is refused as foreign, the new table untouched', async () => {
    const opts = { dynamodb, s3, bucket, tables: [ORDERS], at: at(45), now: at(50), suffix: '-recreated' };
    const kill = async () => {
      throw new Error('killed after the first window');
    };
    await expect(restoreToPoint({ ...opts, onWindow: kill })).rejects.toThrow(/killed/);
    const target = `${ORDERS}-recreated`;
    // The restore turned deletion protection on for the new table: the application turns it off to drop it.
    await dynamodb.send(new UpdateTableCommand({ TableName: target, DeletionProtectionEnabled: false }));
    await dynamodb.send(new DeleteTableCommand({ TableName: target }));
    await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: target });
    await createStreamTable(target);
    await dynamodb.send(new PutItemCommand({ TableName: target, Item: item('newer', 9) }));
    const list = await runCli(testProgram(registerListCommand), ['--bucket', bucket, 'list']);
    expect(list.stdout).toMatch(new RegExp(`"${target}" \\(restore of --at ${at(45).toISOString()}\\): stale: the table was dropped and created again since`));
    expect(list.stdout).not.toContain(`--resume --tables ${ORDERS} --suffix -recreated`);
    await expect(restoreToPoint({ ...opts, resume: true })).rejects.toThrow(/is not the table the restore of .* started on .*dropped and created again since/);
    expect([...(await scan(target)).values()]).toEqual([{ pk: { S: 'newer' }, v: { N: '9' }, note: { S: 'newer v9' } }]);
  });

  it('refuses a time beyond the chain naming the missing window and the last restorable time, before any work', async () => {
    sim = at(80);
    await expect(planPointRestore({ s3, bucket, tables: [ORDERS], at: at(70), now: sim })).rejects.toThrow(
      new RegExp(`no window from ${at(45).toISOString()} on .*the last restorable time is ${at(45).toISOString()}`),
    );
  });

  it('a refused restore writes nothing: no target table, no journal', async () => {
    await expect(restoreToPoint({ dynamodb, s3, bucket, tables: [ORDERS, USERS], at: at(70), now: at(80), suffix: '-refused' })).rejects.toThrow(
      /no window from/,
    );
    for (const t of [ORDERS, USERS]) {
      expect(await readJournal(s3, bucket, `${t}-refused`)).toBeUndefined();
      await expect(dynamodb.send(new DescribeTableCommand({ TableName: `${t}-refused` }))).rejects.toThrow(/not found|non-existent/i);
    }
  });

  it('refuses a time before the oldest full set', async () => {
    await expect(planPointRestore({ s3, bucket, tables: [ORDERS], at: at(-30), now: sim })).rejects.toThrow(
      /is before the oldest complete full set .*\(the oldest is daily\/.*, data as of /,
    );
  });

  it('refuses a time in the future', async () => {
    await expect(planPointRestore({ s3, bucket, tables: [ORDERS], at: at(200), now: at(80) })).rejects.toThrow(/is in the future/);
  });
});

describe('dr list ranges and dr validate --chain', () => {
  it('dr list: each table restorable from its full set to the end of its chain, no gap', async () => {
    const ranges = await restorableRanges(s3, bucket, (await listCatalog({ s3, bucket })).sets);
    expect(ranges.filter((r) => [ORDERS, USERS].includes(r.table))).toEqual([
      { table: ORDERS, from: T0, to: at(45), windows: 3, gaps: [] },
      { table: USERS, from: T0, to: at(45), windows: 3, gaps: [] },
    ]);
  });

  it('validate --chain reads every window back: contiguous, checksums and counts as committed', async () => {
    const report = await validateChain({ s3, bucket, table: ORDERS });
    expect(report).toMatchObject({ table: ORDERS, valid: true, windows: 3, from: at(0).toISOString(), to: at(45).toISOString(), problems: [] });
    const counted = (await listWindows(s3, bucket, ORDERS)).reduce((n, w) => n + w.counts.puts + w.counts.deletes, 0);
    expect(report.changes).toBe(counted);
  });

  // Last: it damages USERS' second window for good.
  it('validate --chain names a damaged window and its data file', async () => {
    const w = await readWindowMetadata(s3, bucket, { table: USERS, from: at(15) });
    const forged = gzipSync(Buffer.from('{"Metadata":{"WriteTimestampMicros":{"N":"1"}},"Keys":{"pk":{"S":"u9"}}}\n'));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: w.files[0].key, Body: forged }));
    const report = await validateChain({ s3, bucket, table: USERS });
    expect(report.valid).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({
        window: `${USERS} ${at(15).toISOString()}..${at(30).toISOString()}`,
        object: w.files[0].key,
        message: expect.stringMatching(/data file has sha256 \w+ and 1 lines; window.json recorded/),
      }),
    ]);
  });
});
