/**
 * `dr backup --json` and the backup Lambda handler against DynamoDB Local and s3rver, through
 * the standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 variables.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { registerBackupCommand } from '../../cli/backup';
import { listBackupSets } from '../../lambda/store/catalog';
import { createSlotTable } from '../../lambda/backup/slot';
import { BackupMetadata, backupIdFor } from '../../lambda/format/backup-set';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'backup-cli-test';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  for (const t of ['cli_orders', 'cli_inventory']) {
    await createTestTable(dynamodb, t);
    await batchWriteAll(
      dynamodb,
      t,
      Array.from({ length: 120 }, (_, i) => ({ pk: { S: `${t}-${i}` }, qty: { N: String(i) } })),
    );
  }
});

/** Runs argv and captures stdout/stderr. */
async function run(argv: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await runCli(testProgram(registerBackupCommand), argv);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code };
}

describe('dr backup', () => {
  it("--json prints the new set's metadata and nothing else on stdout", async () => {
    const r = await run(['--json', '--bucket', bucket, 'backup', '--tables', 'cli_orders,cli_inventory', '--engine', 'scan', '--segments', '8']);
    expect(r.exitCode).toBe(0);
    const meta = JSON.parse(r.stdout) as BackupMetadata;
    expect(meta).toMatchObject({
      success: true,
      tier: 'adhoc',
      tables: ['cli_orders', 'cli_inventory'],
      recordCounts: { cli_orders: 120, cli_inventory: 120 },
      totalRecords: 240,
    });
    const sets = await listBackupSets({ s3, bucket, tier: 'adhoc' });
    expect(sets.map((s) => [s.backupId, s.status])).toEqual([[meta.backupId, 'complete']]);
  });

  it('prints plain progress and a summary for people', async () => {
    const r = await run(['--bucket', bucket, 'backup', '--tables', 'cli_orders', '--tier', 'weekly', '--engine', 'scan']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cli_orders: 120 items/);
    expect(r.stderr).toMatch(/backup set weekly\/\S+ complete: 120 items/);
  });

  it('fails with exit code 1 and a message naming the missing table', async () => {
    const r = await run(['--bucket', bucket, 'backup', '--tables', 'nope', '--engine', 'scan']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/table "nope" does not exist/);
  });

  it('rejects a bad --segments value', async () => {
    const r = await run(['--bucket', bucket, 'backup', '--tables', 'cli_orders', '--segments', 'many']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--segments must be a whole number/);
  });
});

describe('backup Lambda handler', () => {
  const lines: string[] = [];
  let handler: typeof import('../../lambda/handlers/backup').handler;

  const ENV_KEYS = ['APP_NAME', 'BACKUP_BUCKET', 'TABLES', 'ENGINE', 'SCAN_SEGMENTS', 'MAX_FILE_BYTES', 'STATE_TABLE'];
  afterAll(() => ENV_KEYS.forEach((k) => delete process.env[k]));

  beforeAll(async () => {
    Object.assign(process.env, {
      APP_NAME: 'shop',
      BACKUP_BUCKET: bucket,
      TABLES: 'cli_orders,cli_inventory',
      ENGINE: 'scan',
      SCAN_SEGMENTS: '0',
      MAX_FILE_BYTES: '',
      STATE_TABLE: 'cli-dr-state',
    });
    await createSlotTable(dynamodb, 'cli-dr-state');
    handler = (await import('../../lambda/handlers/backup')).handler;
  });

  const capture = async <T>(fn: () => Promise<T>): Promise<T> => {
    lines.length = 0;
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (lines.push(String(c)), true));
    try {
      return await fn();
    } finally {
      spy.mockRestore();
    }
  };

  it('backs up the TABLES of its env and emits success metrics as EMF', async () => {
    const res = await capture(() => handler({ tier: 'daily', time: '2026-11-23T02:00:00Z', backfill: true }));
    expect(res).toMatchObject({ backupId: '2026-11-23T02-00-00-000Z', status: 'complete', totalRecords: 240 });
    const emf = lines.map((l) => JSON.parse(l));
    expect(emf.find((d) => d.Tier === 'daily')).toMatchObject({ App: 'shop', BackupSuccess: 1, BackupFailure: 0 });
    expect(emf.find((d) => d.Table === 'cli_orders')).toMatchObject({ BackupRecordCount: 120 });
  });

  it('throws and emits BackupFailure when a table is missing; the failed set never counts as the latest good backup', async () => {
    process.env.TABLES = 'cli_orders,missing_table';
    // A slot newer than every complete set (this minute): were the failed set taken for a good one, its age would be wrong.
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    await expect(capture(() => handler({ tier: 'daily', time: slot.toISOString() }))).rejects.toThrow(/missing_table/);
    const emf = lines.map((l) => JSON.parse(l));
    expect(emf.find((d) => d.Tier === 'daily')).toMatchObject({ App: 'shop', BackupFailure: 1, BackupSuccess: 0 });
    expect(emf.some((d) => 'BackupRecordCount' in d || 'BackupSizeBytes' in d)).toBe(false);
    // The newest complete sets are the `dr backup` runs of this file, made minutes ago.
    const age = emf.find((d) => 'LatestBackupAgeMinutes' in d)?.LatestBackupAgeMinutes;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    const failed = (await listBackupSets({ s3, bucket, tier: 'daily' })).find((x) => x.backupId === backupIdFor(slot));
    expect(failed?.status).toBe('failed');
  });

  it('refuses an unknown tier', async () => {
    await expect(handler({ tier: 'hourly' as never })).rejects.toThrow(/event.tier must be one of/);
  });
});
