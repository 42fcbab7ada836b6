/**
 * The export finalizer's checks against the native manifests and its resumable hashing, with
 * aws-sdk-client-mock (no emulator has DescribeExport). S3 is an in-memory map behind the same
 * mock library, so every GetObject of a data file can be counted.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DescribeExportCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { PendingBackup } from '../../../lambda/backup/export-engine';
import * as finalize from '../../../lambda/backup/export-finalize';
import { FINALIZE_PROGRESS_FILE, FinalizeProgress, MAX_STALLED_RUNS, finalizePendingBackups } from '../../../lambda/backup/export-finalize';
import { BackupFailure, BackupMetadata, FORMAT_VERSION } from '../../../lambda/format/backup-set';
import { logger } from '../../../lambda/shared/logger';
import { fakeS3 } from '../../support/fake-s3';

// The transform (swc, like native ES modules) exports read-only bindings that jest.spyOn cannot
// replace: the handler reaches finalizePendingBackups through this mock, which runs the real
// function unless a test gives it another implementation.
jest.mock('../../../lambda/backup/export-finalize', () => {
  const actual = jest.requireActual<typeof import('../../../lambda/backup/export-finalize')>('../../../lambda/backup/export-finalize');
  return { ...actual, finalizePendingBackups: jest.fn(actual.finalizePendingBackups) };
});

const ddbMock = mockClient(DynamoDBClient);
const s3Mock = mockClient(S3Client);
const dynamodb = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const bucket = 'shop-backups';
const backupId = '2026-11-23T02-00-00-000Z';
const setPrefix = `backups/daily/${backupId}/`;
const schema = {
  keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
  globalSecondaryIndexes: [],
  localSecondaryIndexes: [],
  billingMode: 'PAY_PER_REQUEST' as const,
};
let store: Map<string, Buffer>;
/** Keys of the objects that never finish streaming (a file too big for the run). */
let endless: Set<string>;
/** Called on every GetObject of a data file (to move a fake clock). */
let onDataRead: () => void;

beforeEach(() => {
  ddbMock.reset();
  s3Mock.reset();
  endless = new Set();
  onDataRead = () => undefined;
  store = fakeS3(s3Mock, (key) => {
    if (key.includes('/data/')) onDataRead();
    // Never pushes, never ends: only the finalizer's deadline stops the read.
    return endless.has(key) ? { Body: new Readable({ read: () => undefined }) } : undefined;
  });
  ddbMock.on(DescribeExportCommand).callsFake(async (input) => {
    const table = /table\/([^/]+)\//.exec(input.ExportArn)![1];
    return {
      ExportDescription: { ExportArn: input.ExportArn, ExportStatus: 'COMPLETED', ExportManifest: `AWSDynamoDB/${exportId(table)}/manifest-summary.json` },
    };
  });
});

const exportId = (table: string) => `01700000000000-${createHash('sha256').update(table).digest('hex').slice(0, 8)}`;
const dataKey = (table: string, n: number) => `${setPrefix}${table}/AWSDynamoDB/${exportId(table)}/data/file${String(n).padStart(4, '0')}.json.gz`;

/** pending.json of a set with native exports of `tables` (all COMPLETED per the DescribeExport mock). */
function writePending(tables: string[]): void {
  const pending: PendingBackup = {
    formatVersion: FORMAT_VERSION,
    backupId,
    tier: 'daily',
    startedAt: '2026-11-23T02:00:00.000Z',
    exportTime: '2026-11-23T02:00:00.000Z',
    tables,
    exports: tables.map((table) => ({
      table,
      exportArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}/export/${exportId(table)}`,
      s3Prefix: `${setPrefix}${table}`,
      schema,
    })),
    scanned: {},
    source: { region: 'eu-west-1', bucket },
  };
  store.set(`${setPrefix}pending.json`, Buffer.from(JSON.stringify(pending)));
}

/** A finished native export of `table` with `files` data files of 2 items each (relative keys, as AWS writes them). */
function writeNativeExport(table: string, files: number, summaryItemCount = files * 2): void {
  const folder = `${setPrefix}${table}/AWSDynamoDB/${exportId(table)}/`;
  const lines: string[] = [];
  for (let n = 0; n < files; n++) {
    const data = gzipSync(`{"Item":{"pk":{"S":"${table}-${n}-a"}}}\n{"Item":{"pk":{"S":"${table}-${n}-b"}}}\n`);
    store.set(dataKey(table, n), data);
    const rel = dataKey(table, n).slice(`${setPrefix}${table}/`.length);
    lines.push(JSON.stringify({ itemCount: 2, md5Checksum: createHash('md5').update(data).digest('base64'), etag: 'x-1', dataFileS3Key: rel }));
  }
  store.set(`${folder}manifest-files.json`, Buffer.from(`${lines.join('\n')}\n`));
  const summary = {
    version: '2020-06-30',
    itemCount: summaryItemCount,
    billedSizeBytes: 1234,
    manifestFilesS3Key: `AWSDynamoDB/${exportId(table)}/manifest-files.json`,
  };
  store.set(`${folder}manifest-summary.json`, Buffer.from(JSON.stringify(summary)));
}

const readJson = <T>(key: string) => JSON.parse(store.get(key)!.toString()) as T;
const dataReads = () =>
  s3Mock
    .commandCalls(GetObjectCommand)
    .map((c) => c.args[0].input.Key!)
    .filter((k) => k.includes('/data/'));
const sha256 = (key: string) => createHash('sha256').update(store.get(key)!).digest('hex');

/** A clock that moves 1 s on every data file read, from 0. */
function fakeClock(): () => number {
  let t = 0;
  onDataRead = () => (t += 1000);
  return () => t;
}

describe('export finalizer checks the export against its manifests (aws-sdk-client-mock)', () => {
  it('fails the set, naming the file and both md5s, when a data file does not match its manifest line', async () => {
    writePending(['orders']);
    writeNativeExport('orders', 3);
    const bad = dataKey('orders', 1);
    const expected = createHash('md5').update(store.get(bad)!).digest('base64');
    store.set(bad, gzipSync('{"Item":{"pk":{"S":"tampered"}}}\n'));
    const actual = createHash('md5').update(store.get(bad)!).digest('base64');
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket });
    expect(outcome.status).toBe('failed');
    const failure = readJson<BackupFailure>(`${setPrefix}failure.json`);
    expect(failure.table).toBe('orders');
    expect(failure.reason).toContain(bad);
    expect(failure.reason).toContain(`md5 ${actual}`);
    expect(failure.reason).toContain(`manifest says ${expected}`);
    expect(store.has(`${setPrefix}metadata.json`)).toBe(false);
  });

  it('fails the set when the item counts of manifest-files.json do not add up to the summary itemCount', async () => {
    writePending(['orders']);
    writeNativeExport('orders', 3, 7);
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket });
    expect(outcome.status === 'failed' && outcome.reason).toMatch(/orders.*3 data files .* hold 6 items, but .*manifest-summary\.json says itemCount 7/);
    expect(readJson<BackupFailure>(`${setPrefix}failure.json`).table).toBe('orders');
    expect(store.has(`${setPrefix}metadata.json`)).toBe(false);
    expect(dataReads()).toEqual([]);
  });
});

describe('export finalizer hashes resumably (aws-sdk-client-mock)', () => {
  beforeEach(() => {
    writePending(['orders', 'inventory']);
    writeNativeExport('orders', 5);
    writeNativeExport('inventory', 1);
  });

  it('stops at the deadline: outcome running with progress, checkpoint of the hashed files, no metadata.json', async () => {
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket, clock: fakeClock(), deadline: 2500, concurrency: 1 });
    expect(outcome).toMatchObject({ status: 'running', progress: { filesHashed: 3, filesTotal: 6 } });
    const progress = readJson<FinalizeProgress>(`${setPrefix}${FINALIZE_PROGRESS_FILE}`);
    const done = [0, 1, 2].map((n) => dataKey('orders', n));
    expect(Object.keys(progress.files).sort()).toEqual(done);
    for (const key of done) {
      expect(progress.files[key]).toEqual({
        sha256: sha256(key),
        md5: createHash('md5').update(store.get(key)!).digest('base64'),
        bytes: store.get(key)!.length,
      });
    }
    expect(outcome.status === 'running' && outcome.progress?.bytesHashed).toBe(done.reduce((s, k) => s + store.get(k)!.length, 0));
    expect(store.has(`${setPrefix}metadata.json`) || store.has(`${setPrefix}failure.json`)).toBe(false);
  });

  it('finishes on the next pass without reading the hashed files again; metadata.json records their sha256', async () => {
    await finalizePendingBackups({ dynamodb, s3, bucket, clock: fakeClock(), deadline: 2500, concurrency: 1 });
    s3Mock.resetHistory();
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket });
    expect(outcome.status).toBe('complete');
    expect(dataReads().sort()).toEqual([dataKey('inventory', 0), dataKey('orders', 3), dataKey('orders', 4)]);
    const meta = readJson<BackupMetadata>(`${setPrefix}metadata.json`);
    const files = [...meta.tableDetails.orders.files, ...meta.tableDetails.inventory.files];
    expect(files).toHaveLength(6);
    for (const f of files) expect(f.sha256).toBe(sha256(f.key));
    expect(meta.recordCounts).toEqual({ orders: 10, inventory: 2 });
    expect(store.has(`${setPrefix}${FINALIZE_PROGRESS_FILE}`)).toBe(false);
  });

  it('writes nothing and reads and writes nothing when the deadline has already passed', async () => {
    const [outcome] = await finalizePendingBackups({ dynamodb, s3, bucket, deadline: Date.now() - 1 });
    expect(outcome).toMatchObject({ status: 'running', progress: { filesHashed: 0, filesTotal: 6, bytesHashed: 0 } });
    expect(dataReads()).toEqual([]);
    expect(store.has(`${setPrefix}${FINALIZE_PROGRESS_FILE}`)).toBe(false);
  });

  /**
   * A deadline `ms` away on the timer, with the run's clock held at the start: only the timer cuts
   * the run, so every run reaches the hashing however slowly the machine gets there.
   */
  const cutAfter = (ms: number) => {
    const start = Date.now();
    return { deadline: start + ms, clock: () => start };
  };

  it(`aborts a read cut short by the deadline, keeps the rest, and fails the set after ${MAX_STALLED_RUNS} runs without progress`, async () => {
    const big = dataKey('orders', 0);
    endless.add(big);
    const first = await finalizePendingBackups({ dynamodb, s3, bucket, ...cutAfter(2_000) });
    expect(first[0]).toMatchObject({ status: 'running', progress: { filesHashed: 5, filesTotal: 6 } });
    expect(readJson<FinalizeProgress>(`${setPrefix}${FINALIZE_PROGRESS_FILE}`).files[big]).toBeUndefined();
    const outcomes = [];
    for (let run = 0; run < MAX_STALLED_RUNS; run++) outcomes.push((await finalizePendingBackups({ dynamodb, s3, bucket, ...cutAfter(100) }))[0]);
    expect(outcomes.map((o) => o.status)).toEqual([...Array(MAX_STALLED_RUNS - 1).fill('running'), 'failed']);
    const failure = readJson<BackupFailure>(`${setPrefix}failure.json`);
    expect(failure.reason).toContain(big);
    expect(failure.reason).toMatch(/larger than one run can read is not supported/);
    expect(store.has(`${setPrefix}metadata.json`)).toBe(false);
  });
});

describe('export-finalizer handler (aws-sdk-client-mock)', () => {
  let handler: typeof import('../../../lambda/handlers/export-finalizer').handler;
  beforeAll(async () => {
    process.env.APP_NAME = 'shop';
    process.env.BACKUP_BUCKET = bucket;
    process.env.STATE_TABLE = 'shop-dr-state';
    process.env.AWS_REGION ??= 'eu-west-1';
    ({ handler } = await import('../../../lambda/handlers/export-finalizer'));
  });
  afterEach(() => jest.restoreAllMocks());

  it('passes the Lambda remaining time less 60 s as the deadline', async () => {
    const spy = jest.mocked(finalize.finalizePendingBackups).mockClear().mockResolvedValueOnce([]);
    const before = Date.now();
    await handler({}, { getRemainingTimeInMillis: () => 300_000 });
    const { deadline } = spy.mock.calls[0][0];
    expect(deadline).toBeGreaterThanOrEqual(before + 240_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 240_000);
  });

  it('leaves the set running, with its progress, when the run has no time left to hash', async () => {
    writePending(['orders']);
    writeNativeExport('orders', 2);
    // Powertools' Logger writes to its own console on stdout, not through console.log: the test
    // holds its line by the logger's method and reads it.
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const result = await handler({}, { getRemainingTimeInMillis: () => 60_000 });
    expect(result.outcomes).toEqual([{ backupId, tier: 'daily', status: 'running', progress: { filesHashed: 0, filesTotal: 2, bytesHashed: 0 } }]);
    expect(store.has(`${setPrefix}metadata.json`)).toBe(false);
    expect(info.mock.calls.map((c) => c[0])).toEqual([`daily/${backupId}: 0 of 2 data files hashed (0 bytes); the next run continues`]);
  });
});
