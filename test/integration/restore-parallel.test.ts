/**
 * Several tables of a set restored at once, against DynamoDB Local and s3rver: every table equal
 * item by item, the report in plan order, tables that really overlap (largest first, never more
 * than `parallelTables` running); a table that fails part-way stops new tables and the error says
 * what was restored, what failed and what never started; bad `parallelTables` refused up front.
 */
import { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { createDynamoDbClient } from '../../lambda/shared/clients';
import { RestoreIncompleteError, RestoreProgress, RestoreRefusedError, restoreBackupSet } from '../../lambda/restore/restore';
import { runLimited } from '../../lambda/restore/parallel';
import { createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { batchWriteAll, normalizeSets, plainJson, scanAsJson } from '../support/ddb-compare';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(180_000);

let dynamodb: DynamoDBClient;
let s3: S3Client;
const bucket = 'restore-parallel-bucket';
const local = useLocalServers({ buckets: [bucket] });
/** Plan order a..e; sizes chosen so that largest-first (b, d, a, e, c) differs from it. */
const SIZES: Record<string, number> = { 'par-a': 140, 'par-b': 260, 'par-c': 30, 'par-d': 200, 'par-e': 80 };
const tables = Object.keys(SIZES);
const itemsOf = new Map(tables.map((t) => [t, makeItems(SIZES[t], t)]));
let backupId: string;

const keyOf = (item: Record<string, unknown>) => JSON.stringify([item.pk, item.sk]);

/** Item by item: the restored table holds exactly the source table's items. */
async function expectSameItems(target: string, expected: Record<string, AttributeValue>[]): Promise<void> {
  const got = await scanAsJson(dynamodb, target, keyOf);
  expect(got.size).toBe(expected.length);
  for (const item of expected) {
    const json = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plainJson(v)]));
    expect(normalizeSets(got.get(keyOf(json)))).toEqual(normalizeSets(json));
  }
}

/** Most tables running at once according to the progress events (`create` opens a table, `done` closes it). */
function maxRunning(events: RestoreProgress[]): number {
  let running = 0;
  let max = 0;
  for (const e of events) {
    if (e.phase === 'create') max = Math.max(max, ++running);
    if (e.phase === 'done') running--;
  }
  return max;
}

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  for (const t of tables) {
    await createTableFromSchema(dynamodb, t, FIXTURE_SCHEMA);
    await batchWriteAll(dynamodb, t, itemsOf.get(t)!);
  }
  const md = await runBackup({ dynamodb, s3, bucket, tables, tier: 'daily', engine: 'scan', now: new Date('2026-11-23T03:00:00.000Z'), segments: 4 });
  backupId = md.backupId;
});

test('parallelTables 2: every table restored and verified item by item, report in plan order, two tables overlap, largest first', async () => {
  const events: RestoreProgress[] = [];
  const report = await restoreBackupSet({
    dynamodb,
    s3,
    bucket,
    ref: backupId,
    tables,
    suffix: '-par2',
    protect: false,
    parallelTables: 2,
    onProgress: (p) => events.push(p),
  });
  expect(report.parallelTables).toBe(2);
  expect(report.tables.map((t) => [t.source, t.target, t.verifiedItems])).toEqual(tables.map((t) => [t, `${t}-par2`, SIZES[t]]));
  for (const t of tables) await expectSameItems(`${t}-par2`, itemsOf.get(t)!);
  // Largest first: b and d start together, and no third table runs beside them.
  expect(events.filter((e) => e.phase === 'create').map((e) => e.table)).toEqual(['par-b', 'par-d', 'par-a', 'par-e', 'par-c']);
  expect(maxRunning(events)).toBe(2);
  const [b, d] = ['par-b', 'par-d'].map((s) => report.tables.find((t) => t.source === s)!);
  expect(b.startedAt <= d.finishedAt && d.startedAt <= b.finishedAt).toBe(true);
  // Their progress events interleave: d started before b was done, and b before d was done.
  const at = (table: string, phase: RestoreProgress['phase']) => events.findIndex((e) => e.table === table && e.phase === phase);
  expect(at('par-d', 'create')).toBeLessThan(at('par-b', 'done'));
  expect(at('par-b', 'create')).toBeLessThan(at('par-d', 'done'));
});

test('parallelTables 1: one table after another (no overlap)', async () => {
  const events: RestoreProgress[] = [];
  const report = await restoreBackupSet({
    dynamodb,
    s3,
    bucket,
    ref: backupId,
    tables,
    suffix: '-par1',
    protect: false,
    parallelTables: 1,
    onProgress: (p) => events.push(p),
  });
  expect(report.tables.map((t) => t.verifiedItems)).toEqual(tables.map((t) => SIZES[t]));
  expect(maxRunning(events)).toBe(1);
});

test('a table fails part-way: no further table starts, the running one finishes, the error lists failed / restored / not started', async () => {
  // BatchWriteItem into par-b-fail fails; the other tables' writes wait until it has, so the
  // failure is seen while par-d (started beside it) is still running.
  const failing = createDynamoDbClient();
  let failed!: () => void;
  const failedOnce = new Promise<void>((r) => (failed = r));
  failing.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { RequestItems?: Record<string, unknown> };
      if (context.commandName === 'BatchWriteItemCommand' && input.RequestItems) {
        if ('par-b-fail' in input.RequestItems) {
          failed();
          throw new Error('injected: ProvisionedThroughputExceededException for par-b-fail');
        }
        await failedOnce;
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectBatchWriteFailure' },
  );
  try {
    const err = await restoreBackupSet({ dynamodb: failing, s3, bucket, ref: backupId, tables, suffix: '-fail', protect: false, parallelTables: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RestoreIncompleteError);
    const e = err as RestoreIncompleteError;
    expect(e.failed.map((f) => f.table.source)).toEqual(['par-b']);
    expect(e.restored.map((t) => [t.source, t.verifiedItems])).toEqual([['par-d', 200]]);
    expect(e.notStarted.map((t) => t.source)).toEqual(['par-a', 'par-c', 'par-e']);
    expect(e.message).toMatch(/1 of 5 table\(s\) failed, 1 restored and verified, 3 not started/);
    expect(e.message).toMatch(/FAILED "par-b" -> "par-b-fail": injected: ProvisionedThroughputExceededException/);
    expect(e.message).toMatch(/restored and verified "par-d" -> "par-d-fail" \(200 items\)/);
    expect(e.message).toMatch(/not started "par-a" -> "par-a-fail" \(nothing written\)/);
    expect(e.message).toMatch(
      /"par-b-fail" is unfinished \(0 of \d+ data files written and checked\), never verified: it is not a restored table; rerun the same command with --resume/,
    );
    expect(e.message).toMatch(/--tables par-b,par-a,par-c,par-e/);
    await expectSameItems('par-d-fail', itemsOf.get('par-d')!);
    for (const t of ['par-a', 'par-c', 'par-e']) expect(await tableExists(dynamodb, `${t}-fail`)).toBe(false);
  } finally {
    failing.destroy();
  }
});

test.each([0, 1.5, -2])('parallelTables %p: refused before anything is written, the message names the option and the fix', async (n) => {
  const run = restoreBackupSet({ dynamodb, s3, bucket, ref: backupId, tables, suffix: '-bad', parallelTables: n });
  await expect(run).rejects.toThrow(RestoreRefusedError);
  await expect(run).rejects.toThrow(new RegExp(`parallelTables \\(--parallel-tables\\) must be a whole number of 1 or more \\(got ${n}\\).*use 1`));
  for (const t of tables) expect(await tableExists(dynamodb, `${t}-bad`)).toBe(false);
});

test('runLimited: at most `limit` at once, in the start order; after a failure nothing new starts and the running item finishes', async () => {
  const started: number[] = [];
  const release = new Map<number, { ok: () => void; fail: (e: Error) => void }>();
  const run = runLimited([10, 11, 12, 13], 2, [3, 0, 1, 2], (item) => {
    started.push(item);
    return new Promise<number>((ok, fail) => release.set(item, { ok: () => ok(item * 2), fail }));
  });
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual([13, 10]);
  release.get(13)!.fail(new Error('boom'));
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual([13, 10]);
  release.get(10)!.ok();
  const out = await run;
  expect(out.results).toEqual([20, undefined, undefined, undefined]);
  expect(out.failures.map((f) => [f.index, (f.error as Error).message])).toEqual([[3, 'boom']]);
  expect(out.notStarted).toEqual([1, 2]);
});
