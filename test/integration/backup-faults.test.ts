/**
 * Fault tests of the backup engine against DynamoDB Local and s3rver: throttling injected into
 * Scan, S3 failing mid-upload, a run killed half-way, two runs for the same slot.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbClient, createS3Client } from '../../lambda/shared/clients';
import { runBackup, startBackup } from '../../lambda/backup/backup';
import { listBackupSets } from '../../lambda/store/catalog';
import { catalogEntryKey } from '../../lambda/format/catalog-entry';
import { BackupFailure, FAILURE_FILE, METADATA_FILE } from '../../lambda/format/backup-set';
/* eslint-disable @typescript-eslint/no-explicit-any */
import { getJson, listKeys, putJson } from '../../lambda/store/s3-io';
import { resolveBackupSet } from '../../lambda/store/catalog';
import { findManifestSummary, readExport } from '../support/export-reader';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'backup-faults-test';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTestTable(dynamodb, 'faults_small');
  await batchWriteAll(
    dynamodb,
    'faults_small',
    Array.from({ length: 500 }, (_, i) => ({ pk: { S: `k${i}` }, v: { N: String(i) } })),
  );
  await createTestTable(dynamodb, 'faults_big');
  for (let i = 0; i < 24; i++) {
    await dynamodb.send(
      new PutItemCommand({ TableName: 'faults_big', Item: { pk: { S: `big-${i}` }, payload: { S: randomBytes(296_000).toString('base64') } } }),
    );
  }
});

const exists = async (key: string) =>
  s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );

/** A client middleware that throws `make()` for the first `times` calls of `command`. */
function inject(
  client: { middlewareStack: { add: (mw: any, opts: any) => void } },
  command: string,
  times: number,
  make: () => Error,
  when: (input: Record<string, unknown>) => boolean = () => true,
): { count: number } {
  const state = { count: 0 };
  client.middlewareStack.add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: unknown }) => {
      if (context.commandName === command && state.count < times && when(args.input as Record<string, unknown>)) {
        state.count++;
        throw make();
      }
      return next(args);
    },
    // Before the SDK's retry step: the engine's own retry is what is tested.
    { step: 'initialize', name: `inject-${command}-${Math.random()}` },
  );
  return state;
}

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('backup engine faults', () => {
  it('retries throttled Scan calls and still backs up every item', async () => {
    const throttled = createDynamoDbClient({ region: 'eu-west-1' });
    const injected = inject(throttled, 'ScanCommand', 6, () => named('ProvisionedThroughputExceededException', 'injected throttling'));
    const meta = await runBackup({
      dynamodb: throttled,
      s3,
      bucket,
      tables: ['faults_small'],
      tier: 'adhoc',
      engine: 'scan',
      segments: 4,
      retryBaseMs: 5,
      now: new Date('2026-11-20T00:00:00.000Z'),
    });
    throttled.destroy();
    expect(injected.count).toBe(6);
    expect(meta.recordCounts.faults_small).toBe(500);
    const read = await readExport(s3, bucket, await findManifestSummary(s3, bucket, `backups/adhoc/${meta.backupId}/faults_small`));
    expect(new Set(read.items.map((i) => JSON.stringify(i.pk))).size).toBe(500);
  });

  it('writes failure.json, no metadata.json, and throws when S3 fails mid multipart upload', async () => {
    const failing = createS3Client({ region: 'eu-west-1' });
    // Part 1 goes up; part 2 fails (not retried: injected before the SDK's retry step).
    const injected = inject(
      failing,
      'UploadPartCommand',
      1,
      () => named('InternalError', 'injected UploadPart failure'),
      (input) => input.PartNumber === 2,
    );
    await expect(
      runBackup({
        dynamodb,
        s3: failing,
        bucket,
        tables: ['faults_small', 'faults_big'],
        tier: 'daily',
        engine: 'scan',
        segments: 1,
        now: new Date('2026-11-21T00:00:00.000Z'),
      }),
    ).rejects.toThrow(/injected UploadPart failure/);
    failing.destroy();
    expect(injected.count).toBe(1);
    const prefix = 'backups/daily/2026-11-21T00-00-00-000Z/';
    expect(await exists(`${prefix}metadata.json`)).toBe(false);
    const failure = await getJson<BackupFailure>(s3, bucket, `${prefix}failure.json`);
    expect(failure).toMatchObject({ success: false, table: 'faults_big', reason: expect.stringMatching(/injected UploadPart failure/) });
    const set = (await listBackupSets({ s3, bucket, tier: 'daily' })).find((s) => s.backupId === '2026-11-21T00-00-00-000Z');
    expect(set?.status).toBe('failed');
  });

  it('leaves an incomplete set when killed half-way, and the next run of the slot succeeds', async () => {
    const now = new Date('2026-11-22T00:00:00.000Z');
    const prefix = 'backups/weekly/2026-11-22T00-00-00-000Z/';
    // "Killed": the process dies before the commit marker, so neither metadata.json nor failure.json is written.
    const dying = createS3Client({ region: 'eu-west-1' });
    inject(
      dying,
      'PutObjectCommand',
      100,
      () => named('Killed', 'process killed'),
      (input) => /(metadata|failure)\.json$/.test(String(input.Key)),
    );
    await expect(runBackup({ dynamodb, s3: dying, bucket, tables: ['faults_small'], tier: 'weekly', engine: 'scan', now })).rejects.toThrow(/process killed/);
    dying.destroy();
    // A leftover from an even earlier attempt, which the re-run must clear.
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}faults_small/AWSDynamoDB/00000000000000-deadbeef/data/stale.json.gz`, Body: 'partial' }),
    );
    expect((await listKeys(s3, bucket, prefix)).length).toBeGreaterThan(1);
    expect((await listBackupSets({ s3, bucket, tier: 'weekly' })).map((s) => s.status)).toEqual(['incomplete']);

    const meta = await runBackup({ dynamodb, s3, bucket, tables: ['faults_small'], tier: 'weekly', engine: 'scan', now });
    expect(meta.recordCounts.faults_small).toBe(500);
    expect((await listBackupSets({ s3, bucket, tier: 'weekly' })).map((s) => s.status)).toEqual(['complete']);
    expect(await exists(`${prefix}faults_small/AWSDynamoDB/00000000000000-deadbeef/data/stale.json.gz`)).toBe(false);
    const read = await readExport(s3, bucket, await findManifestSummary(s3, bucket, `${prefix}faults_small`));
    expect(read.items).toHaveLength(500);
  });

  it('gives one backup set for two runs of the same slot', async () => {
    const now = new Date('2026-11-23T00:00:00.000Z');
    const first = await startBackup({ dynamodb, s3, bucket, tables: ['faults_small'], tier: 'monthly', engine: 'scan', now });
    const second = await startBackup({ dynamodb, s3, bucket, tables: ['faults_small'], tier: 'monthly', engine: 'scan', now });
    expect(first).toMatchObject({ status: 'complete', reused: false });
    expect(second).toMatchObject({ status: 'complete', reused: true });
    expect(second.status === 'complete' && second.metadata).toEqual(first.status === 'complete' && first.metadata);
    const sets = await listBackupSets({ s3, bucket, tier: 'monthly' });
    expect(sets).toHaveLength(1);
    expect((await listKeys(s3, bucket, sets[0].prefix)).filter((k) => k.endsWith('manifest-summary.json'))).toHaveLength(1);
  });

  it('fails with a clear message and failure.json when a table does not exist', async () => {
    await expect(
      runBackup({ dynamodb, s3, bucket, tables: ['no_such_table'], tier: 'adhoc', engine: 'scan', now: new Date('2026-11-24T00:00:00.000Z') }),
    ).rejects.toThrow(/table "no_such_table" does not exist/);
    expect(await exists('backups/adhoc/2026-11-24T00-00-00-000Z/failure.json')).toBe(true);
  });

  it('writes metadata.json last: it starts only after every other object of the set is written', async () => {
    // Writes of the run as `start <key>` / `end <key>` events, in the order S3 saw them.
    const events: string[] = [];
    const recording = createS3Client({ region: 'eu-west-1' });
    recording.middlewareStack.add(
      (next, context) => async (args) => {
        const key = String((args.input as { Key?: string }).Key);
        const write = ['PutObjectCommand', 'CreateMultipartUploadCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand'].includes(
          context.commandName ?? '',
        );
        if (write) events.push(`start ${key}`);
        const result = await next(args);
        if (write) events.push(`end ${key}`);
        return result;
      },
      { step: 'initialize', name: `record-writes-${Math.random()}` },
    );
    const meta = await runBackup({
      dynamodb,
      s3: recording,
      bucket,
      tables: ['faults_small', 'faults_big'],
      tier: 'adhoc',
      engine: 'scan',
      segments: 2,
      now: new Date('2026-11-25T00:00:00.000Z'),
    });
    recording.destroy();
    const metadataKey = `backups/adhoc/${meta.backupId}/${METADATA_FILE}`;
    const startMeta = events.indexOf(`start ${metadataKey}`);
    expect(startMeta).toBeGreaterThan(0);
    expect(events.filter((e) => e.endsWith(METADATA_FILE))).toEqual([`start ${metadataKey}`, `end ${metadataKey}`]);
    // Then the set's catalog entry, strictly after metadata.json has ended, and nothing else.
    const entryKey = catalogEntryKey('adhoc', meta.backupId);
    expect(events.slice(-3)).toEqual([`end ${metadataKey}`, `start ${entryKey}`, `end ${entryKey}`]);
    // Every other write (data files, both tables' manifests) has ended before metadata.json starts.
    const before = events.slice(0, startMeta);
    const others = new Set(events.filter((e) => !e.endsWith(METADATA_FILE) && !e.endsWith(entryKey)).map((e) => e.replace(/^(start|end) /, '')));
    for (const table of ['faults_small', 'faults_big']) {
      expect([...others]).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`/${table}/AWSDynamoDB/.*/manifest-summary\\.json$`))]));
    }
    for (const key of others) expect(before).toContain(`end ${key}`);
  });

  it('does not take a metadata.json without success: true for a complete set, nor reuse its slot', async () => {
    const now = new Date('2026-11-26T00:00:00.000Z');
    const prefix = 'backups/daily/2026-11-26T00-00-00-000Z/';
    // What a broken writer could leave: a metadata.json that says the run did not succeed, plus failure.json.
    await putJson(s3, bucket, `${prefix}${METADATA_FILE}`, { backupId: '2026-11-26T00-00-00-000Z', tier: 'daily', success: false, tables: ['faults_small'] });
    await putJson(s3, bucket, `${prefix}${FAILURE_FILE}`, { backupId: '2026-11-26T00-00-00-000Z', tier: 'daily', success: false, reason: 'injected' });
    const set = (await listBackupSets({ s3, bucket, tier: 'daily' })).find((s) => s.backupId === '2026-11-26T00-00-00-000Z');
    expect(set?.status).toBe('failed');
    expect(set?.summary).toBeUndefined();
    // "latest" is the newest COMPLETE set, never this newer failed one.
    const latest = await resolveBackupSet({ s3, bucket, ref: 'latest' });
    expect(latest.status).toBe('complete');
    expect(latest.backupId).not.toBe('2026-11-26T00-00-00-000Z');
    // A new run of the slot backs up for real instead of returning the failed marker.
    const run = await startBackup({ dynamodb, s3, bucket, tables: ['faults_small'], tier: 'daily', engine: 'scan', now });
    expect(run).toMatchObject({ status: 'complete', reused: false });
    expect(run.status === 'complete' && run.metadata.recordCounts).toEqual({ faults_small: 500 });
    expect(await exists(`${prefix}${FAILURE_FILE}`)).toBe(false);
  });
});
