/**
 * The scheduled backup handler and its slot, against DynamoDB Local and s3rver: duplicate
 * deliveries of one EventBridge event in parallel, a retry after a run died, other slots, and
 * a bad event time. Each set is checked with `dr validate`'s engine (lambda/validate); success
 * metrics are counted from the EMF lines the handler writes on stdout.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createSlotTable, SlotLostError, SlotStore } from '../../lambda/backup/slot';
import { startBackup } from '../../lambda/backup/backup';
import { backupIdFor, backupSetPrefix, FAILURE_FILE, METADATA_FILE, Tier } from '../../lambda/format/backup-set';
import { exportIdFor } from '../../lambda/store/manifest-writer';
import { listKeys } from '../../lambda/store/s3-io';
import { validateBackupSet } from '../../lambda/validate/validate';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(300_000);
const bucket = 'backup-slot-test';
const stateTable = 'slot-dr-state';
const table = 'slot_orders';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
let handler: typeof import('../../lambda/handlers/backup').handler;
const ENV = { APP_NAME: 'shop', BACKUP_BUCKET: bucket, TABLES: table, ENGINE: 'scan', SCAN_SEGMENTS: '4', MAX_FILE_BYTES: '20000', STATE_TABLE: stateTable };

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  Object.assign(process.env, ENV);
  await createSlotTable(dynamodb, stateTable);
  await createTestTable(dynamodb, table);
  await batchWriteAll(
    dynamodb,
    table,
    Array.from({ length: 400 }, (_, i) => ({ pk: { S: `order-${i}` }, total: { N: String(i * 3) }, note: { S: 'x'.repeat(i % 50) } })),
  );
  // Imported after the env is set: the handler builds its clients when loaded.
  handler = (await import('../../lambda/handlers/backup')).handler;
});

/** The handler's EMF lines while `fn` runs, parsed. */
async function captureEmf<T>(fn: () => Promise<T>): Promise<{ result: T; emf: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (lines.push(...String(c).split('\n')), true));
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const result = await fn();
    const emf = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { result, emf: emf.filter((e) => '_aws' in e) };
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
}

const successes = (emf: Record<string, unknown>[], tier: Tier) => emf.filter((e) => e.Tier === tier && e.BackupSuccess === 1).length;

/** Every set of the slot in the bucket, by status; and the validation of the complete one. */
async function setsOf(tier: Tier, time: string) {
  const backupId = backupIdFor(new Date(time));
  const keys = await listKeys(s3, bucket, backupSetPrefix(tier, backupId));
  const summaries = keys.filter((k) => k.endsWith('manifest-summary.json'));
  const report = await validateBackupSet({ s3, bucket, ref: `${tier}/${backupId}`, compareWithPrevious: false });
  return { backupId, keys, summaries, report };
}

describe('backup slot: duplicate deliveries', () => {
  it('12 trials of 3 parallel deliveries of one event each end with exactly one VALID set and exactly one success metric', async () => {
    for (let trial = 0; trial < 12; trial++) {
      const time = `2026-10-${String(trial + 1).padStart(2, '0')}T02:00:00Z`;
      const event = { tier: 'daily' as const, time, backfill: true };
      const { result, emf } = await captureEmf(() => Promise.all([handler(event), handler(event), handler(event)]));
      const statuses = result.map((r) => r.status).sort();
      // One run wrote and committed; the duplicates waited for it and exited without writing.
      expect({ trial, statuses }).toEqual({ trial, statuses: ['committed', 'committed', 'complete'] });
      expect({ trial, successes: successes(emf, 'daily') }).toEqual({ trial, successes: 1 });
      const { report, summaries, keys } = await setsOf('daily', time);
      expect({ trial, valid: report.valid, problems: report.problems }).toEqual({ trial, valid: true, problems: [] });
      expect(report.tables).toEqual([expect.objectContaining({ table, items: 400 })]);
      // Files of one run only: one export folder, one manifest, no failure marker.
      expect(summaries).toHaveLength(1);
      expect(keys.filter((k) => k.endsWith(FAILURE_FILE))).toEqual([]);
    }
  });

  it('a delivery after the slot was committed exits at once: no write to the set, no metric', async () => {
    const time = '2026-10-01T02:00:00Z';
    const before = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: backupSetPrefix('daily', backupIdFor(new Date(time))) }));
    const { result, emf } = await captureEmf(() => handler({ tier: 'daily', time: '2026-10-01T02:00:59Z', backfill: true }));
    expect(result).toMatchObject({ status: 'committed', backupId: '2026-10-01T02-00-00-000Z' });
    expect(emf).toEqual([]);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: backupSetPrefix('daily', backupIdFor(new Date(time))) }));
    expect(after.Contents?.map((o) => [o.Key, o.ETag, o.LastModified?.toISOString()])).toEqual(
      before.Contents?.map((o) => [o.Key, o.ETag, o.LastModified?.toISOString()]),
    );
  });
});

describe('backup slot: retry after a crash', () => {
  it('takes over the slot of a run that died once its lease expired, clears its partial files and writes one VALID set (attempt 2, one success metric)', async () => {
    const time = '2026-10-20T02:00:00Z';
    const slotTime = new Date(time);
    const backupId = backupIdFor(slotTime);
    // The dead run: claimed the slot (its lease has run out), wrote part of its data, never a marker.
    // Claimed a minute ago by its clock, with a 1 ms lease: expired by the handler's clock, no waiting.
    const dead = await new SlotStore({ dynamodb, tableName: stateTable, leaseMs: 1, clock: () => Date.now() - 60_000 }).claim(
      { kind: 'backup', scope: 'daily', time: slotTime },
      'dead-run',
    );
    expect(dead.outcome).toBe('claimed');
    const partial = `${backupSetPrefix('daily', backupId)}${table}/AWSDynamoDB/${exportIdFor(slotTime, backupId, table)}/data/partial.json.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: partial, Body: 'half a file' }));

    const { result, emf } = await captureEmf(() => handler({ tier: 'daily', time, backfill: true }));
    expect(result).toMatchObject({ status: 'complete', attempt: 2, totalRecords: 400 });
    expect(successes(emf, 'daily')).toBe(1);
    const { report, keys, summaries } = await setsOf('daily', time);
    expect(report.valid).toBe(true);
    expect(keys).not.toContain(partial);
    expect(summaries).toHaveLength(1);
    expect(await new SlotStore({ dynamodb, tableName: stateTable }).get({ kind: 'backup', scope: 'daily', time: slotTime })).toMatchObject({
      state: 'committed',
      attempt: 2,
    });
  });

  it('a run that lost its slot to a takeover writes no marker into the set (fenced) and says so', async () => {
    const slotTime = new Date('2026-10-21T02:00:00Z');
    const slot = { kind: 'backup', scope: 'weekly', time: slotTime };
    const paused = await new SlotStore({ dynamodb, tableName: stateTable, leaseMs: 1, clock: () => Date.now() - 60_000 }).claim(slot, 'paused-run');
    if (paused.outcome !== 'claimed') throw new Error('claim failed');
    expect((await new SlotStore({ dynamodb, tableName: stateTable }).claim(slot, 'successor')).outcome).toBe('claimed');
    await expect(
      startBackup({ dynamodb, s3, bucket, tables: [table], tier: 'weekly', engine: 'scan', now: slotTime, fence: () => paused.lease.fence() }),
    ).rejects.toThrow(SlotLostError);
    const keys = await listKeys(s3, bucket, backupSetPrefix('weekly', backupIdFor(slotTime)));
    expect(keys.filter((k) => k.endsWith(METADATA_FILE) || k.endsWith(FAILURE_FILE))).toEqual([]);
  });
});

describe('backup slot: different slots', () => {
  it('another minute or another tier at the same minute is another slot with its own set and metric; other seconds of the same minute are the same slot', async () => {
    const events = [
      { tier: 'daily' as const, time: '2026-10-25T03:00:00Z', backfill: true },
      { tier: 'daily' as const, time: '2026-10-25T04:00:00Z', backfill: true },
      { tier: 'weekly' as const, time: '2026-10-25T03:00:00Z', backfill: true },
    ];
    const { result, emf } = await captureEmf(() => Promise.all(events.map((e) => handler(e))));
    expect(result.map((r) => [r.tier, r.backupId, r.status])).toEqual([
      ['daily', '2026-10-25T03-00-00-000Z', 'complete'],
      ['daily', '2026-10-25T04-00-00-000Z', 'complete'],
      ['weekly', '2026-10-25T03-00-00-000Z', 'complete'],
    ]);
    expect(successes(emf, 'daily')).toBe(2);
    expect(successes(emf, 'weekly')).toBe(1);
    for (const e of events) expect((await setsOf(e.tier, e.time)).report.valid).toBe(true);
    const again = await captureEmf(() => handler({ tier: 'daily', time: '2026-10-25T03:00:37.5Z', backfill: true }));
    expect(again.result).toMatchObject({ status: 'committed', backupId: '2026-10-25T03-00-00-000Z' });
    expect(again.emf).toEqual([]);
  });
});

describe('backup slot: bad input', () => {
  it('refuses an event.time that is not an EventBridge time, naming the field, the value and the format, before claiming anything', async () => {
    await expect(handler({ tier: 'daily', time: 'Tuesday 2am' })).rejects.toThrow(
      /^event\.time must be an ISO 8601 UTC time like 2026-11-23T02:00:00Z \(what EventBridge sends as <aws\.events\.event\.time>\); got "Tuesday 2am"$/,
    );
  });
  it('refuses to run without STATE_TABLE (scheduled runs need their slot)', async () => {
    delete process.env.STATE_TABLE;
    try {
      await expect(handler({ tier: 'daily', time: '2026-10-26T02:00:00Z', backfill: true })).rejects.toThrow(/environment variable STATE_TABLE is not set/);
    } finally {
      process.env.STATE_TABLE = stateTable;
    }
  });
});
