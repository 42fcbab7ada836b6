/**
 * `dr restore --at` with the base loaded by DynamoDB's own engines, against DynamoDB Local and
 * s3rver: ImportTable (a new table) and bulk put (an existing empty table) are answered by the
 * drill's LOCAL STAND-IN (cli/drill/standins/engine-standins.ts: no emulator has these APIs; the
 * requests it receives are checked against the SDK's model), then the chain of incremental export
 * windows is applied by the write path (bulk put cannot delete). Each target is compared item by
 * item with the source table as it was at the point.
 *
 * A restore stopped between its base (import finished and verified) and its first window is
 * resumed with --resume: the journal's verified base is kept, no second import is sent. The stop is
 * an event, not a race: the fault proxy lets the journal write that records the verified base
 * reach S3 and holds every later request of that run, which is then abandoned (nothing it sends
 * afterwards reaches a server, as after a kill -9).
 *
 * Timeline (minutes after the full set at T0): window 1 [0, 15) updates, deletes and puts; window
 * 2 [15, 30) the same; the point is minute 30, a window boundary (exact for every key).
 */
import * as sdk from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, DeleteTableCommand, DynamoDBClient, PutItemCommand, waitUntilTableNotExists, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { createSlotTable, SlotStore } from '../../lambda/backup/slot';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { exportNextWindow, finalizeWindow } from '../../lambda/incremental/window-export';
import { listWindows } from '../../lambda/incremental/window-store';
import { journalKey, readJournal, windowPartId, type RestoreJournalRecord } from '../../lambda/restore/journal';
import type { EngineSettings } from '../../lambda/restore/restore';
import { countItems, createTableFromSchema } from '../../lambda/restore/tables';
import { installEngineStandIns, type EngineStandIn } from '../../cli/drill/standins/engine-standins';
import { installIncrementalExportStandIn, type IncrementalExportStandIn } from '../../cli/drill/standins/incremental-export-standin';
import { planPointRestore, restoreToPoint } from '../../cli/restore-point';
import { windowEntryKey } from '../../lambda/format/window';
import { scanAsJson } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { modelProblems } from '../support/sdk-model';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(240_000);
const bucket = 'chain-engines-test';
const stateTable = 'chain-engines-state';
const SRC = 'chain_eng_orders';
const INTERVAL_MS = 15 * 60_000;
const local = useLocalServers({ buckets: [bucket] });

let dynamodb: DynamoDBClient;
let s3: S3Client;
let streams: DynamoDBStreamsClient;
let incremental: IncrementalExportStandIn;
let engines: EngineStandIn;
let set: BackupMetadata;
let T0 = new Date();
let sim = new Date();
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
/** The source as it was at minute 30 (the point every test restores to). */
let atPoint = new Map<string, Record<string, unknown>>();

const item = (pk: string, v: number): Record<string, AttributeValue> => ({ pk: { S: pk }, v: { N: String(v) }, note: { S: `${pk} v${v}` } });
const put = (pk: string, v: number) => dynamodb.send(new PutItemCommand({ TableName: SRC, Item: item(pk, v) }));
const del = (pk: string) => dynamodb.send(new DeleteItemCommand({ TableName: SRC, Key: { pk: { S: pk } } }));
const scan = (table: string, client = dynamodb) => scanAsJson(client, table, (i) => JSON.stringify(i.pk));
/** The engine settings of a run with the stand-in answering import / bulk put. */
const standInEngines = (engine: 'import' | 'bulk'): EngineSettings => ({ engine, standIns: true, pollSeconds: 0.05 });

async function writesAt(m: number, writes: () => Promise<unknown>): Promise<void> {
  sim = at(m);
  await writes();
  await incremental.capture();
}

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  streams = new DynamoDBStreamsClient({ endpoint: local.env.AWS_ENDPOINT_URL_DYNAMODB, region: local.env.AWS_REGION });
  await createSlotTable(dynamodb, stateTable);
  await dynamodb.send(
    new sdk.CreateTableCommand({
      TableName: SRC,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await sdk.waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: SRC });
  incremental = installIncrementalExportStandIn({ dynamodb, streams, s3, clock: () => sim, tables: [SRC] });
  sim = new Date(Date.now() - 60_000);
  for (let i = 0; i < 40; i++) await put(`o${i}`, 1);
  await incremental.capture();
  set = await runBackup({ dynamodb, s3, bucket, tables: [SRC], tier: 'daily', engine: 'scan' });
  T0 = new Date(set.exportTime);
  await writesAt(4, () => Promise.all([put('o1', 2), del('o2'), put('o100', 1), del('o3')]));
  await writesAt(19, () => Promise.all([put('o1', 3), del('o4'), put('o101', 1), put('o5', 2)]));
  atPoint = await scan(SRC);
  const slots = new SlotStore({ dynamodb, tableName: stateTable });
  sim = at(31);
  for (let i = 0; i < 2; i++) {
    const run = await exportNextWindow({
      dynamodb,
      s3,
      slots,
      bucket,
      table: SRC,
      tableArn: `arn:aws:dynamodb:ddblocal:000000000000:table/${SRC}`,
      intervalMs: INTERVAL_MS,
      owner: `w${i}`,
      now: sim,
    });
    expect(run.outcome).toBe('started');
    expect((await finalizeWindow({ dynamodb, s3, slots, bucket, table: SRC, intervalMs: INTERVAL_MS, now: sim })).status).toBe('committed');
  }
  expect((await listWindows(s3, bucket, SRC)).map((w) => w.to)).toEqual([at(15).toISOString(), at(30).toISOString()]);
  engines = installEngineStandIns(dynamodb, s3);
});

afterAll(() => {
  engines?.dispose();
  incremental?.dispose();
  streams?.destroy();
});

/** The stand-in's engine requests of one command, for a target. */
const requestsOf = (standIn: EngineStandIn, command: string, target: string) =>
  standIn.calls.filter((c) => c.command === command && JSON.stringify(c.input).includes(`"${target}"`));

/** Changed keys the two windows hold, as committed. */
async function windowChanges(): Promise<{ puts: number; deletes: number }> {
  const w = await listWindows(s3, bucket, SRC);
  return { puts: w.reduce((n, x) => n + x.counts.puts, 0), deletes: w.reduce((n, x) => n + x.counts.deletes, 0) };
}

test('--engine import (stand-in, request checked against the SDK model): the base by ImportTable, both windows by the write path, item-exact at the point', async () => {
  const target = `${SRC}-imp`;
  const report = await restoreToPoint({ dynamodb, s3, bucket, tables: [SRC], at: at(30), now: at(31), suffix: '-imp', engines: standInEngines('import') });
  expect(report.base?.tables[0]).toMatchObject({ target, engine: 'import', verifiedItems: 40 });
  const imports = requestsOf(engines, 'ImportTable', target);
  expect(imports).toHaveLength(1);
  expect(modelProblems(sdk, 'ImportTableInput', imports[0].input)).toEqual([]);
  expect(imports[0].input).toMatchObject({ S3BucketSource: { S3Bucket: bucket, S3KeyPrefix: `${set.tableDetails[SRC].exportFolder}data/` } });
  // The windows went through the write path: the engine was asked once, for the base.
  expect(requestsOf(engines, 'StartBulkPutItems', target)).toHaveLength(0);
  expect(report.tables[SRC]).toMatchObject({ windows: [windowPartId(at(0)), windowPartId(at(15))], ...(await windowChanges()), skipped: 0 });
  expect(await scan(target)).toEqual(atPoint);
  const journal = await readJournal(s3, bucket, target);
  expect(journal).toMatchObject({
    engine: 'import',
    state: 'verified',
    verifiedItems: atPoint.size,
    chain: { at: at(30).toISOString(), baseVerifiedItems: 40 },
  });
  expect(journal!.parts.every((p) => p.done)).toBe(true);
});

test('a restore stopped after its imported base, before the first window, resumes with --resume: no second import, item-exact', async () => {
  const target = `${SRC}-kill`;
  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  const region = local.env.AWS_REGION;
  const viaProxy = { dynamodb: new DynamoDBClient({ endpoint: proxy.endpoints.dynamodb, region, maxAttempts: 1 }) };
  const s3ViaProxy = new S3Client({ endpoint: proxy.endpoints.s3, region, forcePathStyle: true, maxAttempts: 1 });
  const firstRun = installEngineStandIns(viaProxy.dynamodb, s3ViaProxy);
  let stopped: RestoreJournalRecord;
  try {
    const baseVerified = proxy.rule(
      {
        service: 's3',
        method: 'PUT',
        path: new RegExp(`/${journalKey(target).replace('.', '\\.')}(\\?|$)`),
        body: (b) => (JSON.parse(b) as RestoreJournalRecord).chain?.baseVerifiedItems !== undefined,
      },
      { kind: 'pass' },
      { freeze: true },
    );
    const opts = { s3, bucket, tables: [SRC], at: at(30), now: at(31), suffix: '-kill', engines: standInEngines('import') };
    const run = restoreToPoint({ ...opts, dynamodb: viaProxy.dynamodb, s3: s3ViaProxy }).then(
      () => 'finished' as const,
      (e: Error) => e,
    );
    const first = await Promise.race([baseVerified.answered.then(() => 'frozen' as const), run]);
    expect(first).toBe('frozen');
    // The journal as the stopped run last wrote it (the body S3 stored). Read from the request, not
    // from s3rver right after: s3rver answers a PUT before its file is written
    // (node_modules/s3rver/lib/stores/filesystem.js, putObject), so an immediate GET may read it empty.
    stopped = JSON.parse((await baseVerified.arrived).body) as RestoreJournalRecord;
    // The run is held at its next request and abandoned: nothing it sends from here reaches a
    // server. Nothing forwarded may still be on its way when the proxy's connections close.
    await proxy.settled();
    await proxy.close();
    expect(await run).toBeInstanceOf(Error);
  } finally {
    await proxy.close();
    firstRun.dispose();
    viaProxy.dynamodb.destroy();
    s3ViaProxy.destroy();
  }
  expect(requestsOf(firstRun, 'ImportTable', target)).toHaveLength(1);
  expect(stopped).toMatchObject({ state: 'unfinished', engine: 'import', chain: { baseVerifiedItems: 40 } });
  expect(stopped.parts.filter((p) => p.id.startsWith('window/')).map((p) => p.done)).toEqual([false, false]);
  expect(await countItems(dynamodb, target)).toBe(40);

  const importsBefore = requestsOf(engines, 'ImportTable', target).length;
  const resumed = await restoreToPoint({
    dynamodb,
    s3,
    bucket,
    tables: [SRC],
    at: at(30),
    now: at(31),
    suffix: '-kill',
    engines: standInEngines('import'),
    resume: true,
  });
  expect(resumed.base).toBeUndefined();
  expect(requestsOf(engines, 'ImportTable', target).length).toBe(importsBefore);
  expect(resumed.tables[SRC]).toMatchObject({ windows: [windowPartId(at(0)), windowPartId(at(15))], ...(await windowChanges()) });
  expect(await scan(target)).toEqual(atPoint);
  expect(await readJournal(s3, bucket, target)).toMatchObject({ state: 'verified', runs: 2, verifiedItems: atPoint.size });
});

// Last: it replaces the source table by an empty one (the region is lost; the table exists again, empty).
test('--engine bulk (stand-in, request checked against the SDK model) into an existing empty table: the base by bulk put, the windows (deletes too) by the write path, item-exact at the point', async () => {
  await dynamodb.send(new DeleteTableCommand({ TableName: SRC }));
  await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: SRC });
  await createTableFromSchema(dynamodb, SRC, set.tableDetails[SRC].schema);
  const report = await restoreToPoint({ dynamodb, s3, bucket, tables: [SRC], at: at(30), now: at(31), intoExisting: true, engines: standInEngines('bulk') });
  expect(report.base?.tables[0]).toMatchObject({ target: SRC, engine: 'bulk', verifiedItems: 40 });
  const bulk = requestsOf(engines, 'StartBulkPutItems', SRC);
  expect(bulk).toHaveLength(1);
  expect(modelProblems(sdk, 'StartBulkPutItemsInput', bulk[0].input)).toEqual([]);
  expect(bulk[0].input).toMatchObject({
    TableName: SRC,
    InputS3Configuration: { S3Bucket: bucket, S3KeyPrefix: `${set.tableDetails[SRC].exportFolder}data/` },
  });
  const changes = await windowChanges();
  expect(changes.deletes).toBeGreaterThan(0);
  expect(report.tables[SRC]).toMatchObject({ windows: [windowPartId(at(0)), windowPartId(at(15))], ...changes });
  expect(await scan(SRC)).toEqual(atPoint);
  expect(await readJournal(s3, bucket, SRC)).toMatchObject({ engine: 'bulk', state: 'verified', verifiedItems: atPoint.size });
});

// Last: it removes the oldest window, as S3's lifecycle does after retention.windowDays.
test('--at after a full set whose windows expired is refused before any work, naming the set, its own point and the oldest window', async () => {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: windowEntryKey({ table: SRC, from: at(0) }) }));
  await expect(planPointRestore({ s3, bucket, tables: [SRC], at: at(20), now: at(31) })).rejects.toThrow(
    `--at ${at(20).toISOString()}: table "${SRC}" has no window after full set daily/${set.backupId} (data as of ${T0.toISOString()}): its chain's oldest window starts at ${at(15).toISOString()}, the windows before it expired (retention.windowDays); restore that set to its own point (--at ${T0.toISOString()})`,
  );
});
