/**
 * Issue #23 defect 4, `dr restore` at the CLI: the fault proxy holds every BatchWriteItem forever
 * (DynamoDB accepted the connection and never answers). The restore ends with a timeout naming
 * DynamoDB and its endpoint, the target unfinished and resumable, instead of hanging.
 * DR_SOCKET_TIMEOUT_MS (the documented override of the clients' 60 s socket idle limit) and
 * AWS_MAX_ATTEMPTS bound it to seconds; on clients without a timeout the command never ends and the
 * test fails by its own timeout.
 */
import { runBackup } from '../../lambda/backup/backup';
import { readJournal } from '../../lambda/restore/journal';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'faults-restore-hang';
const local = useLocalServers({ buckets: [bucket] });

test('every BatchWriteItem held forever: dr restore fails with a timeout naming DynamoDB within seconds; the target is left unfinished, never verified', async () => {
  await createTestTable(local.dynamodb, 'rhang_src');
  await batchWriteAll(
    local.dynamodb,
    'rhang_src',
    Array.from({ length: 30 }, (_, i) => ({ pk: { S: `h${i}` } })),
  );
  const m = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: ['rhang_src'], tier: 'adhoc', engine: 'scan', segments: 1 });
  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  const held = proxy.rule({ service: 'dynamodb', operation: 'BatchWriteItem', times: Infinity }, { kind: 'hold' });
  const saved = { ...process.env };
  Object.assign(process.env, proxy.env, { DR_SOCKET_TIMEOUT_MS: '400', AWS_MAX_ATTEMPTS: '2' });
  const t0 = Date.now();
  try {
    const r = await runCli(testProgram(registerRestoreCommand), [
      '--bucket',
      bucket,
      'restore',
      `adhoc/${m.backupId}`,
      '--tables',
      'rhang_src',
      '--suffix',
      '-hang',
      '--confirm',
    ]);
    const out = `${r.stdout}${r.stderr}`;
    expect(r.code).not.toBe(0);
    expect(out).toContain(`DynamoDB timed out: a request at ${proxy.endpoints.dynamodb} got no answer (`);
    expect(out).toMatch(/socket timed out after 400 ms/);
    expect(out).toMatch(/"rhang_src-hang" is unfinished .*never verified: it is not a restored table/);
    expect(held.hits).toBeGreaterThanOrEqual(2);
    expect(Date.now() - t0).toBeLessThan(20_000);
  } finally {
    process.env = saved;
    await proxy.close();
  }
  expect((await readJournal(local.s3, bucket, 'rhang_src-hang'))?.state).not.toBe('verified');
}, 40_000);
