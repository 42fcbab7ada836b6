/**
 * Issue #23 defect 4, at the CLI: `dr validate` through the fault proxy, which holds every S3 GET
 * forever, ends with a timeout error naming S3 instead of hanging. DR_SOCKET_TIMEOUT_MS (the
 * documented override of the clients' 60 s socket idle limit) and AWS_MAX_ATTEMPTS bound it to
 * seconds; on clients without a timeout the command never ends and the test fails by its own.
 */
import { runBackup } from '../../lambda/backup/backup';
import { registerValidateCommand } from '../../cli/validate';
import { createS3Client } from '../../lambda/shared/clients';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'faults-validate-hang';
const local = useLocalServers({ buckets: [bucket] });

test('every S3 GET held forever: dr validate fails with a timeout naming S3 within seconds, after the bounded retries', async () => {
  await createTestTable(local.dynamodb, 'hang_src');
  await batchWriteAll(
    local.dynamodb,
    'hang_src',
    Array.from({ length: 20 }, (_, i) => ({ pk: { S: `h${i}` } })),
  );
  const m = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: ['hang_src'], tier: 'adhoc', engine: 'scan', segments: 1 });
  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  const held = proxy.rule({ service: 's3', method: 'GET', times: Infinity }, { kind: 'hold' });
  const saved = { ...process.env };
  Object.assign(process.env, proxy.env, { DR_SOCKET_TIMEOUT_MS: '400', AWS_MAX_ATTEMPTS: '2' });
  const t0 = Date.now();
  try {
    const r = await runCli(testProgram(registerValidateCommand), ['--bucket', bucket, 'validate', `adhoc/${m.backupId}`]);
    const out = `${r.stdout}${r.stderr}`;
    expect(r.code).not.toBe(0);
    expect(out).toContain(`S3 timed out: a request at ${proxy.endpoints.s3} got no answer (`);
    expect(out).toMatch(/socket timed out after 400 ms/);
    expect(held.hits).toBeGreaterThanOrEqual(2);
    expect(Date.now() - t0).toBeLessThan(15_000);
  } finally {
    process.env = saved;
    await proxy.close();
  }
}, 30_000);

test('DR_SOCKET_TIMEOUT_MS that is not a whole number of milliseconds is refused, naming the variable', () => {
  const saved = process.env.DR_SOCKET_TIMEOUT_MS;
  process.env.DR_SOCKET_TIMEOUT_MS = '2s';
  try {
    expect(() => createS3Client()).toThrow('DR_SOCKET_TIMEOUT_MS must be a whole number of milliseconds, 1 or more (got "2s"); unset it for the default');
  } finally {
    if (saved === undefined) delete process.env.DR_SOCKET_TIMEOUT_MS;
    else process.env.DR_SOCKET_TIMEOUT_MS = saved;
  }
});
