/**
 * Issue #23 defect 7: a data file's download cut by the network (the fault proxy sends the
 * headers and half the body, then closes) is continued from the byte it reached, a bounded number
 * of times; what the retries cannot mend is reported as a network failure naming S3 and its
 * endpoint, never as a damaged set. (A file whose bytes are wrong is still called corrupt:
 * restore-edges.test.ts, "flipped byte".)
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { runBackup } from '../../lambda/backup/backup';
import { registerRestoreCommand } from '../../cli/restore';
import { registerValidateCommand } from '../../cli/validate';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'faults-download-cut';
const local = useLocalServers({ buckets: [bucket] });
const DATA_GET = { service: 's3' as const, method: 'GET', path: /\/data\/[^?]*\.json\.gz/ };

let ref: string;
let dataFiles: number;
let proxy: FaultProxy;
let saved: NodeJS.ProcessEnv;

/** Runs `dr` in this process with the SDK pointed at the fault proxy. */
async function throughProxy(...args: string[]) {
  saved = { ...process.env };
  Object.assign(process.env, proxy.env);
  try {
    return await runCli(testProgram(registerRestoreCommand, registerValidateCommand), ['--bucket', bucket, ...args]);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

beforeAll(async () => {
  await createTestTable(local.dynamodb, 'cut_src');
  await batchWriteAll(
    local.dynamodb,
    'cut_src',
    Array.from({ length: 2000 }, (_, i) => ({ pk: { S: `c${i}` }, body: { S: `item ${i} `.repeat(20) } })),
  );
  const m = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: ['cut_src'], tier: 'adhoc', engine: 'scan', segments: 1 });
  ref = `adhoc/${m.backupId}`;
  dataFiles = m.tableDetails.cut_src.files.length;
}, 120_000);

beforeEach(async () => {
  proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
});
afterEach(async () => {
  await proxy.close();
});

test('one cut download: validate continues it from the byte reached (a ranged GET) and says VALID', async () => {
  const cut = proxy.rule(DATA_GET, { kind: 'cut' });
  const r = await throughProxy('validate', ref);
  expect(cut.hits).toBe(1);
  // One GET per file, plus the one that continued the cut file (the sha256 check below proves the bytes were spliced right).
  expect(proxy.seen.filter((s) => s.method === 'GET' && DATA_GET.path.test(s.path))).toHaveLength(dataFiles + 1);
  expect(r.stdout).toMatch(/VALID/);
  expect(r.stdout).not.toMatch(/INVALID/);
  expect(r.code).toBe(0);
});

test('every download cut: validate fails naming an S3 network failure and the endpoint, not a damaged set', async () => {
  proxy.rule({ ...DATA_GET, times: Infinity }, { kind: 'cut' });
  const r = await throughProxy('validate', ref);
  expect(r.code).toBe(1);
  const out = `${r.stdout}${r.stderr}`;
  expect(out).toContain(`S3 network failure: s3://${bucket}/`);
  expect(out).toContain(`could not be read to the end from ${proxy.endpoints.s3} (4 attempts`);
  expect(out).toMatch(/not a damaged backup/);
  expect(out).not.toMatch(/INVALID|corrupt|sha256 differs|md5 .* differs/);
});

test('one cut download during a restore: the restore continues it and verifies every item', async () => {
  const cut = proxy.rule(DATA_GET, { kind: 'cut' });
  const r = await throughProxy('restore', ref, '--confirm', '--suffix', '-cut1');
  expect(cut.hits).toBe(1);
  expect(r.code).toBe(0);
  expect((await local.dynamodb.send(new ScanCommand({ TableName: 'cut_src-cut1', Select: 'COUNT' }))).Count).toBe(2000);
});

test('every download cut during a restore: a network failure (resumable), not a corrupt set', async () => {
  proxy.rule({ ...DATA_GET, times: Infinity }, { kind: 'cut' });
  const r = await throughProxy('restore', ref, '--confirm', '--suffix', '-cutall');
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`S3 network failure: s3://${bucket}/`);
  expect(r.stderr).toMatch(/rerun the same command with --resume|--resume/);
  expect(r.stderr).not.toMatch(/failed its checks|corrupt|restore a set that "dr validate" passes/);
});
