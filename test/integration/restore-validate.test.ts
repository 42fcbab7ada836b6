/**
 * Damaged backup sets against DynamoDB Local and s3rver: a flipped byte, a truncated file, a
 * missing file and a missing metadata.json are each detected by validate (naming the object)
 * and refused by restore (no table created).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { BackupMetadata, METADATA_FILE, backupSetPrefix } from '../../lambda/format/backup-set';
import { readJournal } from '../../lambda/restore/journal';
import { restoreBackupSet } from '../../lambda/restore/restore';
import { createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { validateBackupSet } from '../../lambda/validate/validate';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

let dynamodb: DynamoDBClient;
let s3: S3Client;
const bucket = 'restore-damage-bucket';
const local = useLocalServers({ buckets: [bucket] });
const table = 'damage-src';
let hour = 0;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
  const items: Record<string, AttributeValue>[] = makeItems(300, 'dmg');
  for (let i = 0; i < items.length; i += 25) {
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
});

/** A fresh complete set (its own slot), several data files. */
async function freshSet(): Promise<BackupMetadata> {
  hour++;
  return runBackup({
    dynamodb,
    s3,
    bucket,
    tables: [table],
    tier: 'daily',
    engine: 'scan',
    now: new Date(Date.UTC(2026, 10, 1, hour)),
    segments: 8,
    maxFileBytes: 16 * 1024,
  });
}

async function getBytes(key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function putBytes(key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** The largest data file of a set (so a cut lands inside compressed data). */
function dataKey(md: BackupMetadata): string {
  return [...md.tableDetails[table].files].sort((a, b) => b.bytes - a.bytes)[0].key;
}

/**
 * Validate names the object; the restore refuses the set before any write (`before`: the cheap
 * checks find it), or (`during`: only reading the file finds it, and the restore checks each file
 * as it writes it) stops at that file, leaving the target unfinished (journal `failed`), never
 * restored, with the command that removes it.
 */
async function expectDetectedAndRefused(md: BackupMetadata, object: string, message: RegExp, when: 'before' | 'during' = 'before'): Promise<void> {
  const report = await validateBackupSet({ s3, bucket, ref: md.backupId });
  expect(report.valid).toBe(false);
  expect(report.problems).toEqual(
    expect.arrayContaining([expect.objectContaining({ object: `s3://${bucket}/${object}`, message: expect.stringMatching(message) })]),
  );
  const suffix = `-r${hour}`;
  const target = `${table}${suffix}`;
  const run = restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, suffix, protect: false });
  if (when === 'before') {
    await expect(run).rejects.toThrow(/restore refused/);
    expect(await tableExists(dynamodb, target)).toBe(false);
    return;
  }
  const err = await run.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err?.message).toMatch(/a data file of the backup set failed its checks/);
  expect(err?.message).toContain(`s3://${bucket}/${object}`);
  expect(err?.message).toMatch(message);
  expect(err?.message).toMatch(
    new RegExp(`"${target}" is unfinished .*never verified: it is not a restored table; delete it \\(aws dynamodb delete-table --table-name ${target}\\)`),
  );
  expect(err?.message).not.toMatch(/--resume/);
  expect(await readJournal(s3, bucket, target)).toMatchObject({ state: 'failed', backupId: md.backupId, problem: expect.stringMatching(message) });
}

test('an intact set validates', async () => {
  const md = await freshSet();
  const report = await validateBackupSet({ s3, bucket, ref: md.backupId });
  expect(report.problems).toEqual([]);
  expect(report.valid).toBe(true);
  expect(report.tables[0].items).toBe(300);
  expect(report.tables[0].files).toBeGreaterThan(1);
});

test('a flipped byte is detected (checksums); the restore stops at that file, its target unfinished, never restored', async () => {
  const md = await freshSet();
  const key = dataKey(md);
  const bytes = await getBytes(key);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  await putBytes(key, bytes);
  await expectDetectedAndRefused(md, key, /sha256 differs|md5|line \d+|cannot be read/, 'during');
});

test('a truncated file is detected and the restore refused', async () => {
  const md = await freshSet();
  const key = dataKey(md);
  const bytes = await getBytes(key);
  await putBytes(key, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await expectDetectedAndRefused(md, key, /truncated|sha256 differs/);
});

test('a data file swapped for another well-formed one, its manifest md5 rewritten to match: metadata.json sha256 still catches it', async () => {
  const md = await freshSet();
  const key = dataKey(md);
  const lines = gunzipSync(await getBytes(key))
    .toString('utf8')
    .split('\n');
  const edited = lines[0].replace(/dmg/g, 'XXX');
  expect(edited).not.toBe(lines[0]);
  const original = await getBytes(key);
  const forged = gzipSync([edited, ...lines.slice(1)].join('\n'));
  await putBytes(key, forged);
  // The export's own manifest now agrees with the forged file (what an attacker with write access could do).
  const folder = md.tableDetails[table].exportFolder;
  const manifest = (await getBytes(`${folder}manifest-files.json`))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { md5Checksum: string; dataFileS3Key: string });
  const entry = manifest.find((e) => key.endsWith(e.dataFileS3Key));
  expect(entry).toBeDefined();
  entry!.md5Checksum = createHash('md5').update(forged).digest('base64');
  const body = `${manifest.map((e) => JSON.stringify(e)).join('\n')}\n`;
  await putBytes(`${folder}manifest-files.json`, Buffer.from(body));
  await putBytes(`${folder}manifest-files.checksum`, Buffer.from(createHash('md5').update(body).digest('hex')));
  const report = await validateBackupSet({ s3, bucket, ref: md.backupId });
  expect(report.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^sha256 differs from metadata\.json/)]);
  // A forged file of another size is refused by the cheap checks; one of the same size while it is written.
  const when = forged.length === original.length ? 'during' : 'before';
  await expectDetectedAndRefused(
    md,
    key,
    when === 'during' ? /sha256 differs from metadata\.json/ : /sha256 differs from metadata\.json|bytes, metadata.json says/,
    when,
  );
});

test('a missing data file is detected and the restore refused', async () => {
  const md = await freshSet();
  const key = dataKey(md);
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await expectDetectedAndRefused(md, key, /data file is missing/);
});

test('a missing metadata.json makes the set incomplete: detected and the restore refused', async () => {
  const md = await freshSet();
  const key = `${backupSetPrefix(md.tier, md.backupId)}${METADATA_FILE}`;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await expectDetectedAndRefused(md, key, /incomplete: metadata.json is missing/);
});

test('an unknown backup id is a clear error', async () => {
  await expect(validateBackupSet({ s3, bucket, ref: '2020-01-01T00-00-00-000Z' })).rejects.toThrow(/no backup set "2020-01-01T00-00-00-000Z".*dr list/);
  await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: 'nonsense' })).rejects.toThrow(/is not a backup id/);
});

test('drift over 25% against the previous complete set is a warning, not a failure', async () => {
  const more = makeItems(120, 'extra');
  for (let i = 0; i < more.length; i += 25) {
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: more.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  const md = await freshSet();
  const report = await validateBackupSet({ s3, bucket, ref: md.backupId });
  expect(report.valid).toBe(true);
  expect(report.warnings.join('\n')).toMatch(/420 items vs 300 .*40% change/);
});
