/**
 * Issue 18 item 7 (remainder): a retry of the weekly restore test (the same schedule event, so the
 * same scratch names and import ClientTokens) re-attaches to the import its earlier attempt
 * started, running or completed, instead of failing on a table it cannot delete or importing
 * again. DynamoDB Local and s3rver; the import API is mocked by the drill's stand-in
 * (cli/drill/standins/engine-standins.ts: ImportTable, DescribeImport, ListImports, and DeleteTable
 * refused while an import creates the table, as DynamoDB does). The running import is held by the
 * fault proxy in front of S3 (the stand-in's read of the data file), released once the retry has
 * seen it IN_PROGRESS.
 */
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import { ImportTableCommand, type ImportTableCommandOutput } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { installEngineStandIns, type EngineStandIn } from '../../cli/drill/standins/engine-standins';
import { runBackup } from '../../lambda/backup/backup';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { engineRequest } from '../../lambda/restore/engines/run-engine';
import { runImport } from '../../lambda/restore/engines/operations';
import { planRestore } from '../../lambda/restore/restore';
import { runRestoreTest, scratchSuffix } from '../../lambda/restore/restore-test';
import { createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { batchWriteAll } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { modelProblems } from '../support/sdk-model';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'reattach-bucket';
const local = useLocalServers({ buckets: [bucket] });
const ITEMS = 40;
/** The restore test's engines: import asked for by name, followed every 20 ms (the stand-in is fast). */
const engines = { engine: 'import' as const, pollSeconds: 0.02 };
let set: BackupMetadata;
let standIn: EngineStandIn | undefined;

beforeAll(async () => {
  await createTableFromSchema(local.dynamodb, 'reattach_src', FIXTURE_SCHEMA);
  await batchWriteAll(local.dynamodb, 'reattach_src', makeItems(ITEMS, 'ra'));
  set = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: ['reattach_src'], tier: 'daily', engine: 'scan' });
});
afterEach(() => standIn?.dispose());

/** The ImportTable request the restore test sends for the scratch table of `event` (same set, same ClientToken). */
const importOf = (event: Date) => {
  const t = { backupId: set.backupId, source: 'reattach_src', target: `reattach_src${scratchSuffix(event)}`, record: set.tableDetails.reattach_src };
  const r = engineRequest('import', t, bucket, {}, false);
  if (r.engine !== 'import') throw new Error('expected an import request');
  return r.input;
};
const sentOf = (s: EngineStandIn, command: string) => s.calls.filter((c) => c.command === command);

// `now` is the real clock: DynamoDB Local stamps tables with it, and the day-old sweep must not take the earlier attempt's table.
test('the earlier attempt completed the import and timed out before checking it: the retry verifies that import, sends no second ImportTable, and cleans up (import API mocked)', async () => {
  const event = new Date('2026-12-07T05:00:00Z');
  standIn = installEngineStandIns(local.dynamodb, local.s3);
  const earlier = await runImport(local.dynamodb, importOf(event), { pollSeconds: 0.02 });
  expect(earlier.status).toBe('COMPLETED');

  const result = await runRestoreTest({
    dynamodb: local.dynamodb,
    s3: local.s3,
    bucket,
    sampleSize: 10,
    eventTime: event,
    engines,
  });
  expect(result.tables).toEqual([expect.objectContaining({ target: importOf(event).TableCreationParameters!.TableName, engine: 'import', items: ITEMS })]);
  expect(sentOf(standIn, 'ImportTable')).toHaveLength(1);
  expect(await tableExists(local.dynamodb, result.tables[0].target)).toBe(false);
  const asked = [...sentOf(standIn, 'ListImports'), ...sentOf(standIn, 'DescribeImport')];
  expect(asked.flatMap((c) => modelProblems(dynamodbSdk, `${c.command}Input`, c.input))).toEqual([]);
});

test('the earlier attempt timed out while its import was running: the retry re-attaches to it (it cannot delete the CREATING table) and passes (import API mocked)', async () => {
  const event = new Date('2026-12-14T05:00:00Z');
  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  const slowS3 = new S3Client({ region: await local.s3.config.region(), endpoint: proxy.endpoints.s3, forcePathStyle: true });
  try {
    // The stand-in (DynamoDB itself) reads the data files through the proxy: its first read is held.
    standIn = installEngineStandIns(local.dynamodb, slowS3);
    const read = proxy.rule({ service: 's3', method: 'GET', path: /\/data\/.*\.json\.gz/ }, { kind: 'hold' });
    const started = (await local.dynamodb.send(new ImportTableCommand(importOf(event)))) as ImportTableCommandOutput;
    expect(started.ImportTableDescription?.ImportStatus).toBe('IN_PROGRESS');
    await read.arrived;
    // Released once the retry has been told IN_PROGRESS (the hold guarantees it was).
    const seen: string[] = [];
    local.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if ((context as { commandName?: string }).commandName === 'DescribeImportCommand') {
          seen.push(String((out.output as { ImportTableDescription?: { ImportStatus?: string } }).ImportTableDescription?.ImportStatus));
          read.release();
        }
        return out;
      },
      { step: 'initialize', name: 'releaseOnDescribe', priority: 'high' },
    );
    try {
      const result = await runRestoreTest({ dynamodb: local.dynamodb, s3: local.s3, bucket, sampleSize: 10, eventTime: event, engines });
      expect(result.tables).toEqual([expect.objectContaining({ engine: 'import', items: ITEMS })]);
    } finally {
      local.dynamodb.middlewareStack.remove('releaseOnDescribe');
    }
    expect(seen[0]).toBe('IN_PROGRESS');
    expect(sentOf(standIn, 'ImportTable')).toHaveLength(1);
    expect(sentOf(standIn, 'DeleteTable')).toHaveLength(0);
  } finally {
    slowS3.destroy();
    await proxy.close();
  }
});

test('the plan of a restore into a table that an import of the same set completed says it verifies that import; without one the table is refused (import API mocked)', async () => {
  const event = new Date('2026-12-21T05:00:00Z');
  standIn = installEngineStandIns(local.dynamodb, local.s3);
  const input = importOf(event);
  await runImport(local.dynamodb, input, { pollSeconds: 0.02 });
  const opts = { dynamodb: local.dynamodb, s3: local.s3, bucket, ref: `daily/${set.backupId}`, suffix: scratchSuffix(event), engines, journal: false };
  const plan = await planRestore(opts);
  expect(plan.tables[0].resume).toEqual({
    partsDone: 0,
    parts: 1,
    itemsDone: 0,
    import: { importArn: expect.stringContaining(`table/${input.TableCreationParameters!.TableName}/import/`), status: 'COMPLETED' },
  });
  // A table no import of this set created is refused as before.
  await createTableFromSchema(local.dynamodb, 'reattach_src-other2', FIXTURE_SCHEMA);
  await expect(planRestore({ ...opts, suffix: '-other2' })).rejects.toThrow(/--engine import cannot load "reattach_src-other2": the table exists/);
});
