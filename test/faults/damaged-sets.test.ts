/**
 * Fault cases: a damaged backup set (metadata.json unreadable, empty, of the wrong shape,
 * deleted; its catalog entry unreadable) is listed as such and skipped; it never takes the
 * catalog down for the other sets. Real DynamoDB Local + s3rver. Each case asserts the outcome
 * of `dr list`, `latest`, `dr validate` of the damaged set and of a good one, their exit codes,
 * and that none of them wrote anything.
 */
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { BackupMetadata, backupSetPrefix } from '../../lambda/format/backup-set';
import { catalogEntryKey } from '../../lambda/format/catalog-entry';
import { latestCompleteSet, listBackupSets, resolveBackupSet } from '../../lambda/store/catalog';
import { registerListCommand } from '../../cli/list';
import { registerValidateCommand } from '../../cli/validate';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { CliRun, runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(180_000);

const bucket = 'damaged-sets';
const table = 'dmg_orders';
const local = useLocalServers({ buckets: [bucket] });
let s3: S3Client;
/** The newest good set: every case adds a damaged set newer than it. */
let good: BackupMetadata;
let hour = 10;

const dr = (...args: string[]): Promise<CliRun> => runCli(testProgram(registerListCommand, registerValidateCommand), ['--bucket', bucket, ...args]);

const backupAt = (h: number) =>
  runBackup({
    dynamodb: local.dynamodb,
    s3,
    bucket,
    tables: [table],
    tier: 'daily',
    engine: 'scan',
    now: new Date(`2026-11-20T${String(h).padStart(2, '0')}:00:00Z`),
  });

const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

/** Every key and its ETag: compared before and after, to prove the commands wrote nothing. */
async function snapshot(s: S3Client): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(`${o.Key} ${o.ETag}`);
    token = page.NextContinuationToken;
  } while (token);
  return out.sort();
}

/** A new set newer than every other, damaged by `damage`; returns its id. */
async function damagedSet(damage: (prefix: string, id: string) => Promise<unknown>): Promise<string> {
  const md = await backupAt(++hour);
  await damage(backupSetPrefix('daily', md.backupId), md.backupId);
  return md.backupId;
}

/** The commands every case runs, and what they printed; asserts nothing was written. */
async function observe(id: string) {
  const before = await snapshot(s3);
  const list = await dr('list');
  const listJson = await dr('--json', 'list');
  const validateDamaged = await dr('validate', id);
  const validateGood = await dr('validate', good.backupId);
  const latest = await resolveBackupSet({ s3, bucket, ref: 'latest' });
  expect(await snapshot(s3)).toEqual(before);
  const row = (JSON.parse(listJson.stdout) as { backupId: string; status: string; reason?: string }[]).find((r) => r.backupId === id);
  return { list, row, validateDamaged, validateGood, latest };
}

beforeAll(async () => {
  s3 = local.s3;
  await createTestTable(local.dynamodb, table);
  await batchWriteAll(
    local.dynamodb,
    table,
    Array.from({ length: 12 }, (_, i) => ({ pk: { S: `o-${i}` }, total: { N: String(i) } })),
  );
  await backupAt(8);
  good = await backupAt(9);
});

describe('a damaged set newer than the good ones', () => {
  it.each([
    ['metadata.json is not valid JSON', '{"formatVersion": 1, "backupId": ', /metadata\.json: it is not valid JSON/],
    ['metadata.json is empty', '', /metadata\.json: it is empty/],
    ['metadata.json has the wrong shape', '{"hello": "world"}', /metadata\.json: formatVersion is undefined, expected 1/],
    ['metadata.json is of another set', JSON.stringify({ formatVersion: 1, backupId: '2020-01-01T00-00-00-000Z' }), /backupId is "2020-01-01T00-00-00-000Z"/],
  ])('%s: listed DAMAGED with the reason and the fix, skipped by latest, validate says so (exit 1)', async (_case, body, reason) => {
    const id = await damagedSet((prefix) => put(`${prefix}metadata.json`, body));
    const r = await observe(id);
    expect(r.list.code).toBe(0);
    expect(r.row).toMatchObject({ status: 'damaged', reason: expect.stringMatching(reason) });
    expect(r.list.stdout).toMatch(new RegExp(`${id}\\s+daily\\s+\\S+\\s+-\\s+DAMAGED`));
    expect(r.list.stdout).toContain(`DAMAGED daily/${id}: s3://${bucket}/backups/daily/${id}/metadata.json`);
    expect(r.list.stdout).toContain(`Fix: run "dr validate daily/${id}" for details; then delete the set`);
    expect(r.latest.backupId).toBe(good.backupId);
    expect(r.validateDamaged.code).toBe(1);
    expect(r.validateDamaged.stdout).toMatch(reason);
    expect(r.validateDamaged.stdout).toContain(`set daily/${id} is DAMAGED`);
    expect(r.validateGood.code).toBe(0);
    expect(r.validateGood.stdout).toContain(`backup set daily/${good.backupId}: VALID`);
  });

  it('metadata.json of the same size but other content: listed complete (size matches), caught by latest and validate (sha256)', async () => {
    const id = await damagedSet(async (prefix) => {
      const res = await resolveBackupSet({ s3, bucket, ref: `daily/${prefix.split('/')[2]}` });
      const text = JSON.stringify(res.metadata, null, 2).replace(`"totalRecords": 12`, `"totalRecords": 13`);
      await put(`${prefix}metadata.json`, `${text}\n`);
    });
    const r = await observe(id);
    expect(r.row?.status).toBe('complete');
    expect(r.latest.backupId).toBe(good.backupId);
    expect(r.validateDamaged.code).toBe(1);
    expect(r.validateDamaged.stdout).toContain('metadata.json differs from the one committed');
  });

  it('metadata.json deleted, data still there: incomplete with the reason, skipped, validate exit 1', async () => {
    const id = await damagedSet((prefix) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}metadata.json` })));
    const r = await observe(id);
    expect(r.list.code).toBe(0);
    expect(r.row).toMatchObject({ status: 'incomplete', reason: expect.stringContaining('metadata.json is missing although the catalog entry says complete') });
    expect(r.latest.backupId).toBe(good.backupId);
    expect(r.validateDamaged.code).toBe(1);
    expect(r.validateDamaged.stdout).toContain(`set daily/${id} is incomplete: metadata.json is missing although the catalog entry says complete`);
    expect(r.validateGood.code).toBe(0);
  });

  it('its catalog entry is not JSON: DAMAGED naming the entry, skipped, validate exit 1', async () => {
    const id = await damagedSet((_prefix, backupId) => put(catalogEntryKey('daily', backupId), 'not json'));
    const r = await observe(id);
    expect(r.row).toMatchObject({ status: 'damaged', reason: expect.stringMatching(/^catalog entry: it is not valid JSON/) });
    expect(r.list.stdout).toContain(`DAMAGED daily/${id}: s3://${bucket}/backups/daily/_catalog/${id}.json`);
    expect(r.latest.backupId).toBe(good.backupId);
    expect(r.validateDamaged.code).toBe(1);
    expect(r.validateGood.code).toBe(0);
  });

  it("the scheduled backup's previous-set lookup skips the damaged sets", async () => {
    // Every set here was read minutes ago (trusted time: the recovery point is the read, not the slot).
    const previous = await latestCompleteSet({ s3, bucket, tier: 'daily', before: new Date() });
    expect(previous?.backupId).toBe(good.backupId);
    expect(previous?.metadata?.totalRecords).toBe(12);
  });
});

describe('a set written before the catalog (no entry), with an unreadable metadata.json', () => {
  it('is found by the file scan, listed DAMAGED, and the listing says it scanned', async () => {
    // The oldest set loses its entry: as if written by a version without the catalog.
    const oldest = (await listBackupSets({ s3, bucket, tier: 'daily' })).at(-1)!;
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: catalogEntryKey('daily', oldest.backupId) }));
    await put(`${oldest.prefix}metadata.json`, '{ broken');
    const before = await snapshot(s3);
    const list = await dr('list');
    const sets = await listBackupSets({ s3, bucket, tier: 'daily' });
    expect(await snapshot(s3)).toEqual(before);
    expect(list.code).toBe(0);
    expect(sets.find((s) => s.backupId === oldest.backupId)).toMatchObject({ status: 'damaged', foundBy: 'scan' });
    expect(list.stdout).toContain(`DAMAGED daily/${oldest.backupId}: s3://${bucket}/${oldest.prefix}metadata.json: metadata.json: it is not valid JSON`);
    expect(list.stdout).toContain('1 set(s) have no catalog entry');
    expect((await resolveBackupSet({ s3, bucket, ref: 'latest' })).backupId).toBe(good.backupId);
  });
});
