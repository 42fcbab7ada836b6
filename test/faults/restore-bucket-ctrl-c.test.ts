/**
 * Issue #23 defect 13, for `dr restore-bucket`: Ctrl-C mid-copy says in one line which bucket is
 * left unfinished, where its journal is and the exact command that resumes; it exits 130, the
 * journal stays resumable, and that command finishes without a second copy of any object (on the
 * old code the process died silently by the signal).
 *
 * Against the real local versioned S3 (Ceph RGW). The CLI runs as a child through the fault
 * proxy, which holds the 30th CopyObject and every request after it: SIGINT is sent by PID while
 * that copy is held, so it lands mid-copy on any machine.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { registerRestoreBucketCommand } from '../../cli/restore-bucket';
import { bucketJournalTarget } from '../../lambda/buckets/restore-bucket';
import { readJournal } from '../../lambda/restore/journal';
import { startFaultProxy, type RequestMatcher } from '../support/fault-proxy';
import { runCli, testProgram } from '../support/run-cli';
import { useVersionedS3 } from '../support/use-versioned-s3';
import { markTime, putMany, versionCounts, versionedBucket } from '../support/versioned-buckets';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const ctx = useVersionedS3();
const JOURNALS = 'journals';
const SHOP = 'shop-ctrl-c';
let savedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  savedEnv = { ...process.env };
  Object.assign(process.env, ctx.server.env);
  await ctx.s3.send(new CreateBucketCommand({ Bucket: JOURNALS }));
});
afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

/** Runs `dr restore-bucket` as a child through the fault proxy; SIGINT by PID once `held` arrives. Returns the exit code and stderr. */
async function interrupted(args: string[], held: RequestMatcher, freeze: boolean): Promise<{ code: number | null; stderr: string }> {
  const proxy = await startFaultProxy({ dynamodb: ctx.server.endpoint, s3: ctx.server.endpoint });
  let stderr = '';
  try {
    const rule = proxy.rule(held, { kind: 'hold' }, { freeze });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin', 'dr.ts'), 'restore-bucket', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...proxy.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const first = await Promise.race([rule.arrived.then(() => 'held' as const), ended.then(() => 'ended' as const)]);
    if (first !== 'held') throw new Error(`dr restore-bucket ended before the held request: ${stderr}`);
    process.kill(child.pid!, 'SIGINT');
    const code = await ended;
    await proxy.settled();
    return { code, stderr };
  } finally {
    await proxy.close();
  }
}

test('Ctrl-C mid-copy: one line names the bucket, its journal and the resume command; exit 130; that command finishes with no duplicate version', async () => {
  // 300 keys; every third is overwritten after the time: 100 copies to make in place.
  const keys = Array.from({ length: 300 }, (_, i) => `img/${String(i).padStart(4, '0')}.jpg`);
  const hit = new Set(keys.filter((_, i) => i % 3 === 0));
  await versionedBucket(ctx.s3, SHOP);
  await putMany(ctx.s3, SHOP, keys, (k) => `original ${k}`);
  const at = (await markTime(ctx.s3, SHOP)).toISOString();
  await putMany(ctx.s3, SHOP, [...hit], (k) => `ransom ${k}`);

  const { code, stderr } = await interrupted(
    [SHOP, '--at', at, '--in-place', '--confirm', '--concurrency', '4', '--bucket', JOURNALS],
    { service: 's3', method: 'PUT', path: /x-id=CopyObject/, nth: 30 },
    true,
  );
  expect(code).toBe(130);
  const resume = `dr restore-bucket ${SHOP} --at ${at} --in-place --confirm --resume --concurrency 4 --bucket ${JOURNALS}`;
  const lines = stderr.split('\n').filter((l) => l.startsWith('Ctrl-C'));
  expect(lines).toEqual([
    `Ctrl-C: restore-bucket stopped; the in-place restore of "${SHOP}" to ${at} is unfinished (never verified, "${SHOP}" is not yet as it was; journal s3://${JOURNALS}/restores/bucket/${SHOP}.json); resume with: ${resume}`,
  ]);
  expect((await readJournal(ctx.s3, JOURNALS, bucketJournalTarget(SHOP)))?.state).toBe('unfinished');

  const r = await runCli(testProgram(registerRestoreBucketCommand), [...resume.split(' ').slice(1), '--json']);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { runs: number; counts: Record<string, number> };
  expect(report.runs).toBe(2);
  // The stopped run's copies are recognised as done: fewer than the 100 are copied again.
  expect(report.counts.restore).toBeLessThan(100);
  expect((await readJournal(ctx.s3, JOURNALS, bucketJournalTarget(SHOP)))?.state).toBe('verified');
  // original + ransom + exactly one restored copy for the hit keys; the others keep their one version
  const versions = await versionCounts(ctx.s3, SHOP);
  for (const k of keys) expect([k, versions.get(k)]).toEqual([k, hit.has(k) ? 3 : 1]);
  const sample = await ctx.s3.send(new GetObjectCommand({ Bucket: SHOP, Key: keys[297] }));
  expect(await sample.Body!.transformToString()).toBe(`original ${keys[297]}`);
});

test('Ctrl-C before the first write: one line says the bucket is unchanged and nothing is left to resume; exit 130; no journal', async () => {
  const media = 'media-ctrl-c';
  await versionedBucket(ctx.s3, media);
  await putMany(ctx.s3, media, ['a', 'b'], (k) => `original ${k}`);
  const at = (await markTime(ctx.s3, media)).toISOString();
  await putMany(ctx.s3, media, ['a'], () => 'ransom');
  // The journal's read is held: the restore has not claimed anything yet.
  const { code, stderr } = await interrupted(
    [media, '--at', at, '--in-place', '--confirm', '--bucket', JOURNALS],
    { service: 's3', method: 'GET', path: /\/journals\/restores\/bucket\/media-ctrl-c\.json/ },
    false,
  );
  expect(code).toBe(130);
  expect(stderr.split('\n').filter((l) => l.startsWith('Ctrl-C'))).toEqual([
    `Ctrl-C: restore-bucket stopped before its first write; "${media}" is unchanged and there is nothing to resume`,
  ]);
  expect(await readJournal(ctx.s3, JOURNALS, bucketJournalTarget(media))).toBeUndefined();
  expect(Object.fromEntries(await versionCounts(ctx.s3, media))).toEqual({ a: 2, b: 1 });
});
