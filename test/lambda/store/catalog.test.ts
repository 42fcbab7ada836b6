/**
 * The catalog contract (lambda/store/, shared/SEAMS.md): what `latest` and `--before` trust.
 * - A set's time is its RECOVERY POINT (when its data was read, format/trusted-time.ts), never its
 *   slot: `latest` is the set with the newest recovery point and `--before T` the newest whose
 *   recovery point is strictly before T, whatever their slots say.
 * - A committed set is trusted only as committed: metadata.json must match the sha256 its catalog
 *   entry recorded (damaged otherwise: test/faults/damaged-sets.test.ts), and its recovery point
 *   must be one its data can have been read at: not after its catalog entry was written, nor
 *   (without the read-late marker) long after its slot. A set that says otherwise (forged with a
 *   consistent entry, or written by a clock far off) is damaged and skipped: trusted, it would win
 *   `latest` over every newer set.
 * Against DynamoDB Local and s3rver; sets written by the backup itself.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../../lambda/backup/backup';
import { backupSetPrefix, METADATA_FILE, parseBackupId, type BackupMetadata } from '../../../lambda/format/backup-set';
import { catalogEntryKey } from '../../../lambda/format/catalog-entry';
import { recoveryPoint } from '../../../lambda/format/trusted-time';
import { latestCompleteSet, listCatalog } from '../../../lambda/store/catalog';
import { getText, putText } from '../../../lambda/store/s3-io';
import { batchWriteAll, createTestTable } from '../../support/ddb-compare';
import { useLocalServers } from '../../support/use-local-servers';

jest.setTimeout(120_000);
const bucket = 'catalog-contract';
const table = 'cc_orders';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A daily set whose slot is `slot`; its data is read now. */
const backupAt = (slot: number) => runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'daily', engine: 'scan', now: new Date(slot), segments: 1 });

/** The slot `ms` from now, to the minute. */
const slotIn = (ms: number) => Math.floor((Date.now() + ms) / MINUTE) * MINUTE;

let onTime: BackupMetadata;
let readLate: BackupMetadata;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTestTable(dynamodb, table);
  await batchWriteAll(
    dynamodb,
    table,
    Array.from({ length: 10 }, (_, i) => ({ pk: { S: `o-${i}` } })),
  );
  // The later slot is read first; the earlier slot is read after it (a late retry, a backfill).
  onTime = await backupAt(slotIn(-2 * MINUTE));
  readLate = await backupAt(slotIn(-3 * 60 * MINUTE));
});

describe('latest and --before go by the recovery point, never the slot', () => {
  it('latest is the set whose data was read last, though its slot is the older one', async () => {
    expect(recoveryPoint(readLate).getTime()).toBeGreaterThan(recoveryPoint(onTime).getTime());
    expect(parseBackupId(readLate.backupId).getTime()).toBeLessThan(parseBackupId(onTime.backupId).getTime());
    expect((await latestCompleteSet({ s3, bucket }))?.backupId).toBe(readLate.backupId);
  });

  it('--before T is the newest set whose data was read strictly before T', async () => {
    expect((await latestCompleteSet({ s3, bucket, before: recoveryPoint(readLate) }))?.backupId).toBe(onTime.backupId);
    expect((await latestCompleteSet({ s3, bucket, before: new Date(recoveryPoint(readLate).getTime() + 1) }))?.backupId).toBe(readLate.backupId);
    expect(await latestCompleteSet({ s3, bucket, before: recoveryPoint(onTime) })).toBeUndefined();
  });
});

describe('a recovery point its data cannot have been read at is not trusted', () => {
  it('a set whose metadata.json and entry (consistent sha256) say its data is from two days ahead is damaged; latest skips it', async () => {
    const forged = await backupAt(slotIn(-MINUTE));
    const metadataKey = `${backupSetPrefix('daily', forged.backupId)}${METADATA_FILE}`;
    const entryKey = catalogEntryKey('daily', forged.backupId);
    const future = new Date(Date.now() + 2 * DAY).toISOString();
    const body = `${JSON.stringify({ ...(JSON.parse(await getText(s3, bucket, metadataKey)) as BackupMetadata), exportTime: future }, null, 2)}\n`;
    await putText(s3, bucket, metadataKey, body, 'application/json');
    const entry = JSON.parse(await getText(s3, bucket, entryKey)) as { summary: object };
    const rewritten = {
      ...entry,
      summary: { ...entry.summary, exportTime: future },
      metadataBytes: Buffer.byteLength(body),
      metadataSha256: createHash('sha256').update(body).digest('hex'),
    };
    await putText(s3, bucket, entryKey, `${JSON.stringify(rewritten, null, 2)}\n`, 'application/json');

    expect((await latestCompleteSet({ s3, bucket }))?.backupId).toBe(readLate.backupId);
    const listed = (await listCatalog({ s3, bucket })).sets.find((s) => s.backupId === forged.backupId);
    expect(listed?.status).toBe('damaged');
    expect(listed?.damage?.reason).toMatch(
      new RegExp(
        `its recovery point \\(data as of ${future.replace(/[.]/g, '\\.')}\\) is later than its data can have been read .*its times cannot be trusted`,
      ),
    );
  });
});
