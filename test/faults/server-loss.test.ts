/**
 * Fault suite, server loss: DynamoDB Local or s3rver stopped by the pid this test started, in
 * the middle of a backup or a restore (a second server of the kind, so the suite's own pair
 * stays up to check what was left). Each case checks the process survives, the error names the
 * service and the fix, the exit code, failure.json and the BackupFailure metric, and that every
 * multipart upload started was completed or aborted (s3rver has no ListMultipartUploads, so the
 * uploads are followed through a recording client).
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, DeleteTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import { createSlotTable } from '../../lambda/backup/slot';
import { BackupFailure } from '../../lambda/format/backup-set';
import { createDynamoDbClient, createS3Client } from '../../lambda/shared/clients';
import { getJson, getJsonIfExists } from '../../lambda/store/s3-io';
import { describeError } from '../../lambda/shared/errors';
import { registerBackupCommand } from '../../cli/backup';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';
import { freePort, type ExtraServer } from '../../cli/support/local-servers';

const bucket = 'faults-server-loss';
// Every kill hits a server of its own (startExtraServer), so the worker's shared pair stays up
// for the checks and for the files after this one.
const local = useLocalServers({ buckets: [bucket] });

/** Runs `fn` with the SDK variables changed (clients created inside see them), then puts them back. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

/** An S3 client that records multipart uploads: created ids, completed and aborted ones. */
function recordingS3(): { s3: S3Client; created: string[]; completed: string[]; aborted: string[] } {
  const rec = { s3: createS3Client(), created: [] as string[], completed: [] as string[], aborted: [] as string[] };
  rec.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { UploadId?: string };
      if (context.commandName === 'AbortMultipartUploadCommand') rec.aborted.push(input.UploadId!);
      const out = await next(args);
      if (context.commandName === 'CreateMultipartUploadCommand') rec.created.push((out.output as { UploadId: string }).UploadId);
      if (context.commandName === 'CompleteMultipartUploadCommand') rec.completed.push(input.UploadId!);
      return out;
    },
    { step: 'initialize', name: 'recordMultipart' },
  );
  return rec;
}

/**
 * Kills the victim and resolves once it has exited: a request sent after this meets a closed port,
 * never a server still dying. The tests call it in front of the request the kill is meant for.
 */
async function killed(victim: ExtraServer): Promise<void> {
  process.kill(victim.pid, 'SIGKILL');
  await victim.exited;
}

/** Holds the client's next request after `doom()` until the victim is dead (a client middleware). */
function killBeforeNextRequest(client: S3Client | DynamoDBClient, victim: ExtraServer) {
  let doomed = false;
  let done = false;
  // Both clients' stacks take the same initialize-step middleware; TypeScript cannot call add on the union.
  (client as DynamoDBClient).middlewareStack.add(
    (next) => async (args) => {
      if (doomed && !done) {
        done = true;
        await killed(victim);
      }
      return next(args);
    },
    { step: 'initialize', name: 'killVictimFirst' },
  );
  return {
    doom: () => (doomed = true),
    get killed() {
      return done;
    },
  };
}
/** Incompressible items (300 KB of random binary each): a few Scan pages fill a 5 MB multipart part. */
const bulky = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: { S: `big-${i}` }, payload: { B: randomBytes(300_000) } }));

describe('server loss mid-backup', () => {
  it('DynamoDB Local killed mid-scan: the run fails cleanly, failure.json names DynamoDB, the multipart upload is aborted', async () => {
    const victim = await local.servers.startExtraServer('dynamodb');
    await withEnv({ ...victim.env, AWS_MAX_ATTEMPTS: '2' }, async () => {
      const dynamodb = createDynamoDbClient();
      await createTestTable(dynamodb, 'doomed');
      await batchWriteAll(dynamodb, 'doomed', bulky(26), 4);
      const rec = recordingS3();
      const fate = killBeforeNextRequest(dynamodb, victim);
      const run = runBackup({
        dynamodb,
        s3: rec.s3,
        bucket,
        tables: ['doomed'],
        tier: 'adhoc',
        engine: 'scan',
        segments: 1,
        now: new Date('2026-12-01T01:00:00.000Z'),
        // After 7.5 MB of export lines (base64: ~5.6 MB gzipped, so part 1 of the upload is out) the
        // server dies before the next Scan page (pages of 4 items, 400 KB lines: pages 6 and 7 remain).
        onProgress: (p) => p.bytes > 7_500_000 && fate.doom(),
      });
      await expect(run).rejects.toThrow();
      expect(fate.killed).toBe(true);
      const failure = await getJson<BackupFailure>(local.s3, bucket, 'backups/adhoc/2026-12-01T01-00-00-000Z/failure.json');
      expect(failure).toMatchObject({ success: false, table: 'doomed' });
      expect(failure.reason).toMatch(new RegExp(`DynamoDB is unreachable: 127\\.0\\.0\\.1:\\d+ .*start the local DynamoDB Local at ${victim.endpoint}`));
      expect(await getJsonIfExists(local.s3, bucket, 'backups/adhoc/2026-12-01T01-00-00-000Z/metadata.json')).toBeUndefined();
      expect(rec.created.length).toBeGreaterThanOrEqual(1);
      const open = rec.created.filter((id) => !rec.completed.includes(id) && !rec.aborted.includes(id));
      expect(open).toEqual([]);
      expect(rec.aborted.length).toBeGreaterThanOrEqual(1);
      dynamodb.destroy();
      rec.s3.destroy();
    });
  }, 120_000);

  it('table deleted mid-scan (Lambda handler): throws after printing the BackupFailure metric, failure.json written', async () => {
    await createTestTable(local.dynamodb, 'vanishing');
    await batchWriteAll(
      local.dynamodb,
      'vanishing',
      Array.from({ length: 3000 }, (_, i) => ({ pk: { S: `v${i}` }, pad: { S: 'p'.repeat(700) } })),
    );
    let scans = 0;
    const send = DynamoDBClient.prototype.send;
    const spy = jest.spyOn(DynamoDBClient.prototype, 'send').mockImplementation(async function (this: DynamoDBClient, command: unknown) {
      const scan = command instanceof ScanCommand ? ++scans : 0;
      const out = await (send as (c: unknown) => Promise<unknown>).call(this, command);
      // After the first Scan page, the table goes away: the next page fails.
      if (scan === 1) await local.dynamodb.send(new DeleteTableCommand({ TableName: 'vanishing' }));
      return out;
    } as typeof send);
    let stdout = '';
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
    try {
      await createSlotTable(local.dynamodb, 'faults-dr-state');
      await withEnv(
        { APP_NAME: 'shop', BACKUP_BUCKET: bucket, TABLES: 'vanishing', ENGINE: 'scan', SCAN_SEGMENTS: '1', STATE_TABLE: 'faults-dr-state' },
        async () => {
          const { handler } = await import('../../lambda/handlers/backup');
          await expect(handler({ tier: 'daily', time: '2026-12-01T02:00:00Z', backfill: true })).rejects.toThrow(
            /non-existent table|not found|ResourceNotFound/i,
          );
        },
      );
    } finally {
      spy.mockRestore();
      out.mockRestore();
    }
    expect(scans).toBeGreaterThanOrEqual(2);
    const emf = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf.some((m) => m.BackupFailure === 1)).toBe(true);
    const failure = await getJson<BackupFailure>(local.s3, bucket, 'backups/daily/2026-12-01T02-00-00-000Z/failure.json');
    expect(failure).toMatchObject({ success: false, table: 'vanishing' });
  }, 120_000);

  it('a bad event.time (Lambda handler) names the field, the value and the format', async () => {
    await withEnv({ APP_NAME: 'shop', BACKUP_BUCKET: bucket, TABLES: 'x', STATE_TABLE: 'faults-dr-state' }, async () => {
      const { handler } = await import('../../lambda/handlers/backup');
      await expect(handler({ tier: 'daily', time: 'tomorrow 2am' })).rejects.toThrow(
        'event.time must be an ISO 8601 UTC time like 2026-11-23T02:00:00Z (what EventBridge sends as <aws.events.event.time>); got "tomorrow 2am"',
      );
    });
  });

  it('dr backup with DynamoDB down: exit 1, the message says DynamoDB is unreachable and how to fix it', async () => {
    // A port nothing listens on: the server is gone.
    const victim = { endpoint: `http://127.0.0.1:${await freePort()}` };
    const r = await withEnv({ AWS_ENDPOINT_URL_DYNAMODB: victim.endpoint, AWS_MAX_ATTEMPTS: '1', DR_BACKUP_BUCKET: bucket }, () =>
      runCli(testProgram(registerBackupCommand), ['backup', '--tables', 'orders']),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `error: DynamoDB is unreachable: 127\\.0\\.0\\.1:\\d+ refused the connection \\(ECONNREFUSED\\): start the local DynamoDB Local at ${victim.endpoint}, or correct AWS_ENDPOINT_URL_DYNAMODB`,
      ),
    );
  }, 120_000);

  it('s3rver killed mid-backup: the run fails with an error naming S3, the process survives', async () => {
    const victim = await local.servers.startExtraServer('s3');
    await createTestTable(local.dynamodb, 'to_dead_s3');
    await batchWriteAll(
      local.dynamodb,
      'to_dead_s3',
      Array.from({ length: 2000 }, (_, i) => ({ pk: { S: `d${i}` }, pad: { S: 'd'.repeat(700) } })),
    );
    await withEnv({ ...victim.env, AWS_MAX_ATTEMPTS: '1' }, async () => {
      const s3 = createS3Client();
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const fate = killBeforeNextRequest(s3, victim);
      const error = await runBackup({
        dynamodb: local.dynamodb,
        s3,
        bucket,
        tables: ['to_dead_s3'],
        tier: 'adhoc',
        engine: 'scan',
        segments: 1,
        now: new Date('2026-12-01T03:00:00.000Z'),
        // Dies after the first Scan page, before the run's next S3 request.
        onProgress: () => fate.doom(),
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(fate.killed).toBe(true);
      expect(describeError(error)).toMatch(/^S3 is unreachable: \S+ (refused|dropped) the connection .*AWS_ENDPOINT_URL_S3/);
      s3.destroy();
    });
  }, 120_000);
});

describe('server loss mid-restore', () => {
  beforeAll(async () => {
    await createTestTable(local.dynamodb, 'stock');
    await batchWriteAll(
      local.dynamodb,
      'stock',
      Array.from({ length: 4000 }, (_, i) => ({ pk: { S: `s${i}` }, n: { N: String(i) }, pad: { S: 'q'.repeat(200) } })),
    );
    // Small data files, so the restore is still reading when a server dies.
    await runBackup({
      dynamodb: local.dynamodb,
      s3: local.s3,
      bucket,
      tables: ['stock'],
      tier: 'weekly',
      engine: 'scan',
      segments: 2,
      maxFileBytes: 100_000,
      now: new Date('2026-12-01T04:00:00.000Z'),
    });
  }, 120_000);

  /** Runs `dr restore` with the victim killed (and gone) before the given BatchWriteItem call is sent. */
  async function restoreKilledAt(calls: number, victim: ExtraServer, suffix: string) {
    let n = 0;
    const send = DynamoDBClient.prototype.send;
    const spy = jest.spyOn(DynamoDBClient.prototype, 'send').mockImplementation(function (this: DynamoDBClient, command: unknown) {
      const go = () => (send as (c: unknown) => Promise<unknown>).call(this, command);
      return command instanceof BatchWriteItemCommand && ++n === calls ? killed(victim).then(go) : go();
    } as typeof send);
    try {
      return await withEnv({ AWS_MAX_ATTEMPTS: '1', DR_BACKUP_BUCKET: bucket, ...victim.env }, () =>
        runCli(testProgram(registerRestoreCommand), ['restore', 'weekly/2026-12-01T04-00-00-000Z', '--confirm', '--suffix', suffix, '--concurrency', '1']),
      );
    } finally {
      spy.mockRestore();
    }
  }

  it('s3rver killed mid-restore: exit 1, the error names S3', async () => {
    const victim = await local.servers.startExtraServer('s3');
    // The set, copied to the victim S3 by backing up again there.
    await withEnv(victim.env, async () => {
      const s3 = createS3Client();
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await runBackup({
        dynamodb: local.dynamodb,
        s3,
        bucket,
        tables: ['stock'],
        tier: 'weekly',
        engine: 'scan',
        segments: 2,
        maxFileBytes: 100_000,
        now: new Date('2026-12-01T04:00:00.000Z'),
      });
      s3.destroy();
    });
    const r = await restoreKilledAt(3, victim, '-copy');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED "stock" -> "stock-copy": S3 is unreachable: \S+ (refused|dropped) the connection .*AWS_ENDPOINT_URL_S3/);
  }, 120_000);
  it('DynamoDB Local killed mid-write: exit 1, FAILED names DynamoDB unreachable; the backup set is untouched', async () => {
    // The restore writes into a DynamoDB Local of its own (the set is read from the suite's S3), killed at its fifth BatchWriteItem.
    const victim = await local.servers.startExtraServer('dynamodb');
    const r = await restoreKilledAt(5, victim, '-copy2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('restore of backup set weekly/2026-12-01T04-00-00-000Z failed');
    expect(r.stderr).toMatch(/FAILED "stock" -> "stock-copy2": DynamoDB is unreachable: \S+ (refused|dropped) the connection .*AWS_ENDPOINT_URL_DYNAMODB/);
    // The backup set is untouched: its commit marker still says complete, with every item.
    const meta = await getJson<{ success: boolean; recordCounts: Record<string, number> }>(
      local.s3,
      bucket,
      'backups/weekly/2026-12-01T04-00-00-000Z/metadata.json',
    );
    expect(meta).toMatchObject({ success: true, recordCounts: { stock: 4000 } });
  }, 120_000);
});
