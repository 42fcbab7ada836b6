/**
 * `dr list`, `dr validate`, `dr restore` and `dr pitr-restore` run in-process (a fresh commander
 * program with the register functions) against DynamoDB Local and s3rver: exit codes, --json
 * output that is JSON and nothing else, clear messages for bad input, nothing written on refusal.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { BackupMetadata } from '../../lambda/format/backup-set';
import { readJournal } from '../../lambda/restore/journal';
import { countItems, createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { registerListCommand } from '../../cli/list';
import { registerValidateCommand } from '../../cli/validate';
import { registerRestoreCommand } from '../../cli/restore';
import { registerPitrRestoreCommand } from '../../cli/pitr-restore';
import { batchWriteAll } from '../support/ddb-compare';
import { CliRun, runCli, testProgram } from '../support/run-cli';
import { FIXTURE_SCHEMA, makeItems, writeNativeExport } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'cli-recovery-bucket';
const emptyBucket = 'cli-not-a-backup-bucket';
const local = useLocalServers({ buckets: [bucket, emptyBucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
const table = 'cli-orders';
let good: BackupMetadata;
let bad: BackupMetadata;
let breach: Date;

/** Runs `dr <args>` in-process with a fresh program. */
function dr(...args: string[]): Promise<CliRun> {
  return runCli(testProgram(registerListCommand, registerValidateCommand, registerRestoreCommand, registerPitrRestoreCommand), args);
}

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
  const items: Record<string, AttributeValue>[] = makeItems(200, 'cli');
  await batchWriteAll(dynamodb, table, items);
  // The damaged set is the older one, so "latest" stays the good one.
  bad = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'daily', engine: 'scan', now: new Date('2026-11-22T02:00:00.000Z'), segments: 8 });
  // A set's recovery point is when its data was read (trusted time), so the breach falls between the two runs.
  breach = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
  while (Date.now() <= breach.getTime()) await new Promise((r) => setImmediate(r));
  good = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'daily', engine: 'scan', now: new Date('2026-11-23T02:00:00.000Z'), segments: 8 });
  const key = bad.tableDetails[table].files.find((f) => f.itemCount > 0)!.key;
  const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  body[Math.floor(body.length / 2)] ^= 0xff;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
});

test('dr list --json prints only JSON: both sets, newest first, with status and records', async () => {
  const r = await dr('list', '--bucket', bucket, '--json');
  expect(r.code).toBe(0);
  const rows = JSON.parse(r.stdout);
  expect(rows.map((x: { backupId: string; status: string; records: number }) => [x.backupId, x.status, x.records])).toEqual([
    [good.backupId, 'complete', 200],
    [bad.backupId, 'complete', 200],
  ]);
});

test('dr list --before names the last complete set before a breach', async () => {
  const r = await dr('list', '--bucket', bucket, '--before', breach.toISOString());
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`last complete set before ${breach.toISOString()}: daily/${bad.backupId}`);
  expect(r.stdout).not.toContain(good.backupId);
});

test('dr list on a bucket that does not exist, or is not a backup bucket: clear message, exit 1', async () => {
  const missing = await dr('list', '--bucket', 'no-such-bucket-here');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/bucket "no-such-bucket-here" does not exist/);
  const empty = await dr('list', '--bucket', emptyBucket);
  expect(empty.code).toBe(1);
  expect(empty.stderr).toMatch(/not a dr-stack backup bucket/);
});

test('dr validate latest: exit 0, --json report valid', async () => {
  const r = await dr('validate', 'latest', '--bucket', bucket, '--json');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ backupId: good.backupId, valid: true, problems: [] });
});

test('dr validate of a damaged set: exit 1, names the bad object', async () => {
  const r = await dr('validate', bad.backupId, '--bucket', bucket);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/INVALID/);
  expect(r.stdout).toContain(`PROBLEM s3://${bucket}/${bad.tableDetails[table].exportFolder}data/`);
});

test('dr validate of an unknown backup id: exit 1, points at dr list', async () => {
  const r = await dr('validate', '2020-01-01T00-00-00-000Z', '--bucket', bucket);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/no backup set "2020-01-01T00-00-00-000Z".*dr list/);
});

test('dr restore without --confirm: prints the plan, exit 2, writes nothing', async () => {
  const r = await dr('restore', 'latest', '--bucket', bucket, '--suffix', '-plan');
  expect(r.code).toBe(2);
  expect(r.stdout).toContain(`restore plan for backup set daily/${good.backupId}`);
  expect(r.stdout).toContain(`${table}-plan`);
  expect(r.stderr).toMatch(/add --confirm/);
  expect(await tableExists(dynamodb, `${table}-plan`)).toBe(false);
});

test('dr restore --confirm --json: restores, verifies, JSON only on stdout', async () => {
  const r = await dr('restore', good.backupId, '--confirm', '--bucket', bucket, '--json', '--suffix', '-cli');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({ confirmed: true, backupId: good.backupId, tables: [{ source: table, target: `${table}-cli`, verifiedItems: 200 }] });
  expect(await countItems(dynamodb, `${table}-cli`)).toBe(200);
});

test("dr restore --confirm: prints the validation time and each table's phases", async () => {
  const r = await dr('restore', good.backupId, '--confirm', '--bucket', bucket, '--suffix', '-text');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`restored backup set daily/${good.backupId} \\(data as of [^)]+\\) in [0-9.]+ s \\(validation [0-9.]+ s\\):`));
  expect(r.stdout).toMatch(/SOURCE +TARGET +ENGINE +ITEMS \(VERIFIED\) +CREATE S +LOAD S +VERIFY S +TOTAL S/);
  // The endpoint is DynamoDB Local: auto chooses write.
  expect(r.stdout).toMatch(new RegExp(`${table} +${table}-text +write +200 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+`));
});

test('dr restore of a set with a flipped byte (size intact): stops at that file, exit 1, the target unfinished, never restored, how to remove it', async () => {
  const r = await dr('restore', bad.backupId, '--confirm', '--bucket', bucket, '--suffix', '-bad');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/a data file of the backup set failed its checks: s3:\/\/\S+\.json\.gz: /);
  expect(r.stderr).toMatch(
    new RegExp(
      `"${table}-bad" is unfinished \\(\\d+ of \\d+ data files written and checked\\), never verified: it is not a restored table; delete it \\(aws dynamodb delete-table --table-name ${table}-bad\\)`,
    ),
  );
  expect(r.stdout).not.toMatch(/restored backup set/);
  expect(await readJournal(s3, bucket, `${table}-bad`)).toMatchObject({ state: 'failed', backupId: bad.backupId });
});

test('dr restore of a set with a truncated data file: refused by the cheap checks, exit 1, no table created', async () => {
  const key = bad.tableDetails[table].files.find((f) => f.itemCount > 0)!.key;
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await res.Body!.transformToByteArray());
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body.subarray(0, body.length - 7) }));
  try {
    const r = await dr('restore', bad.backupId, '--confirm', '--bucket', bucket, '--suffix', '-cut');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed validation: restore refused, nothing written/);
    expect(r.stderr).toMatch(/data file is \d+ bytes, metadata.json says \d+ \(truncated or replaced\)/);
    expect(await tableExists(dynamodb, `${table}-cut`)).toBe(false);
  } finally {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
});

test('dr restore --into-existing into a non-empty table: refused, exit 1, nothing written', async () => {
  const before = await countItems(dynamodb, table);
  expect(before).toBe(200);
  const r = await dr('restore', 'latest', '--confirm', '--bucket', bucket, '--into-existing');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/"cli-orders" is not empty/);
  expect(r.stdout).toBe('');
  expect(await countItems(dynamodb, table)).toBe(before);
});

test('dr restore --suffix with --into-existing: exit 1', async () => {
  const r = await dr('restore', 'latest', '--confirm', '--bucket', bucket, '--into-existing', '--suffix', '-x');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/exclude each other/);
});

test('dr restore --from-export: plan without --confirm (exit 2), load with it', async () => {
  await writeNativeExport(s3, bucket, 'exports/cli/orders', 'orders', makeItems(40, 'fx'));
  await createTableFromSchema(dynamodb, 'cli-from-export', FIXTURE_SCHEMA);
  const plan = await dr('restore', '--from-export', `s3://${bucket}/exports/cli/orders`, '--target', 'cli-from-export');
  expect(plan.code).toBe(2);
  expect(plan.stderr).toMatch(/would load 40 items/);
  expect(await countItems(dynamodb, 'cli-from-export')).toBe(0);
  const run = await dr('restore', '--from-export', `s3://${bucket}/exports/cli/orders`, '--target', 'cli-from-export', '--confirm', '--json');
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ written: true, verifiedItems: 40 });
  expect(await countItems(dynamodb, 'cli-from-export')).toBe(40);
});

test('dr pitr-restore with a bad time, or against DynamoDB Local (no PITR API): clear message, exit 1', async () => {
  const badTime = await dr('pitr-restore', '--time', 'yesterday', '--tables', table);
  expect(badTime.code).toBe(1);
  expect(badTime.stderr).toMatch(/--time is not an ISO 8601 time \(got "yesterday"\)/);
  const local = await dr('pitr-restore', '--time', '2026-11-23T01:00:00Z', '--tables', table, '--confirm');
  expect(local.code).toBe(1);
  expect(local.stderr).toMatch(/no point-in-time recovery API.*dr restore/);
  expect(await tableExists(dynamodb, `${table}-restored`)).toBe(false);
});

test("the real bin (npx tsx bin/dr.ts) with the local servers' env: validate --json exit 0, restore without --confirm exit 2", () => {
  const root = path.resolve(__dirname, '../..');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [require.resolve('tsx/cli'), 'bin/dr.ts', ...args], {
      cwd: root,
      env: { ...process.env, ...local.env, DR_BACKUP_BUCKET: bucket },
      encoding: 'utf8',
    });
  const v = run('validate', 'latest', '--json');
  expect(v.status).toBe(0);
  expect(JSON.parse(v.stdout)).toMatchObject({ backupId: good.backupId, valid: true });
  const r = run('restore', 'latest', '--suffix', '-bin');
  expect(r.status).toBe(2);
  expect(r.stdout).toContain(`${table}-bin`);
});

test.each(['0', '1.5', 'abc'])('dr restore --parallel-tables %p: exit 1, names the flag and the fix, no table created', async (n) => {
  const r = await dr('restore', good.backupId, '--confirm', '--bucket', bucket, '--suffix', '-badpar', '--parallel-tables', n);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(
    new RegExp(`--parallel-tables must be a whole number of 1 or more \\(got "${n.replace('.', '\\.')}"\\).*use 1 for one after another`),
  );
  expect(await tableExists(dynamodb, `${table}-badpar`)).toBe(false);
});

test('dr restore --parallel-tables 2: passed through (--json parallelTables, per-table start/finish), start and end lines without a terminal', async () => {
  const json = await dr('restore', good.backupId, '--confirm', '--bucket', bucket, '--json', '--suffix', '-par', '--parallel-tables', '2');
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout);
  expect(report).toMatchObject({ confirmed: true, parallelTables: 2, tables: [{ source: table, verifiedItems: 200 }] });
  expect(Date.parse(report.tables[0].finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.tables[0].startedAt));
  const text = await dr('restore', good.backupId, '--confirm', '--bucket', bucket, '--suffix', '-par-text');
  expect(text.code).toBe(0);
  expect(text.stderr).toMatch(/then restoring 1 table\(s\), 1 at a time/);
  expect(text.stderr).toContain(`${table}-par-text: started (200 items)`);
  expect(text.stderr).toContain(`${table}-par-text: restored, 200 items verified`);
});
