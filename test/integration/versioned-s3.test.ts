/**
 * The local versioned S3 (Ceph RGW, cli/support/versioned-s3.ts) keeps versions and delete
 * markers, copies by VersionId, its daemons are gone after stop(), and its gateway can run on a
 * simulated clock (libfaketime) so versions are stamped minutes in the past without waiting.
 * Also the sharing of test/support/use-versioned-s3.ts: suites of one worker get the same
 * gateway, each under a tenant of its own, and the run's teardown stops what a worker left.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { startVersionedS3, stopVersionedS3Left } from '../../cli/support/local-servers';
import { useVersionedS3, versionedS3Client } from '../support/use-versioned-s3';

const ctx = useVersionedS3();

async function versionedBucket(name: string): Promise<void> {
  await ctx.s3.send(new CreateBucketCommand({ Bucket: name }));
  await ctx.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
}

const body = async (bucket: string, key: string, versionId?: string) =>
  (await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).Body!.transformToString();

test('a versioned bucket keeps every version, and a delete leaves a marker over them', async () => {
  await versionedBucket('keeps');
  const v1 = (await ctx.s3.send(new PutObjectCommand({ Bucket: 'keeps', Key: 'a.txt', Body: 'one' }))).VersionId;
  await ctx.s3.send(new PutObjectCommand({ Bucket: 'keeps', Key: 'a.txt', Body: 'two' }));
  await ctx.s3.send(new DeleteObjectCommand({ Bucket: 'keeps', Key: 'a.txt' }));
  const listed = await ctx.s3.send(new ListObjectVersionsCommand({ Bucket: 'keeps' }));
  expect(listed.Versions?.length).toBe(2);
  expect(listed.DeleteMarkers?.map((m) => m.IsLatest)).toEqual([true]);
  expect(await body('keeps', 'a.txt', v1)).toBe('one');
});

test('CopyObject by VersionId makes an old version the newest again', async () => {
  await versionedBucket('copies');
  const v1 = (await ctx.s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'k', Body: 'old' }))).VersionId!;
  await ctx.s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'k', Body: 'encrypted-by-ransomware' }));
  await ctx.s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'k', CopySource: `copies/k?versionId=${encodeURIComponent(v1)}` }));
  expect(await body('copies', 'k')).toBe('old');
});

test("the gateway's frontend runs with tcp_nodelay=1, and start.sh refuses any other RGW_TCP_NODELAY than 0 or 1", () => {
  // Without it a GET waited ~40 ms for the client's delayed ACK (BENCHMARKS.md figure 11).
  const conf = fs.readFileSync(path.join(ctx.server.workDir, 'ceph.conf'), 'utf8');
  expect(conf).toMatch(/^rgw frontends = beast endpoint=127\.0\.0\.1:\d+ tcp_nodelay=1$/m);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-nodelay-'));
  const r = spawnSync('bash', [path.join(__dirname, '../../cli/support/rgw/start.sh'), work, '1'], {
    env: { ...process.env, RGW_TCP_NODELAY: 'yes' },
    encoding: 'utf8',
  });
  expect([r.status, r.stderr.trim()]).toEqual([1, 'start.sh: RGW_TCP_NODELAY is 0 or 1 (got "yes")']);
  expect(fs.readdirSync(work)).toEqual([]); // refused before anything was written
  fs.rmSync(work, { recursive: true });
});

/** The pids among `pids` that still run (a zombie counts as gone). */
const stillRunning = (pids: readonly { pid: number }[]) =>
  pids.filter(({ pid }) => {
    try {
      return !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  });

test('stop() ends exactly the daemons start recorded and removes the folder', async () => {
  const other = await startVersionedS3();
  const client = versionedS3Client(other);
  await client.send(new CreateBucketCommand({ Bucket: 'second' }));
  client.destroy();
  await other.stop();
  expect(other.pids.map((p) => p.name)).toEqual(['ceph-mon', 'ceph-osd', 'radosgw']);
  expect(stillRunning(other.pids)).toEqual([]);
  expect(fs.existsSync(other.workDir)).toBe(false);
  // the suite's own RGW is untouched
  await ctx.s3.send(new CreateBucketCommand({ Bucket: 'still-up' }));
});

test('a simulated clock stamps versions at its offset, and a new offset applies from the next write', async () => {
  const clocked = await startVersionedS3({ clockOffsetSeconds: -300 });
  const client = versionedS3Client(clocked);
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'clocked' }));
    await client.send(new PutBucketVersioningCommand({ Bucket: 'clocked', VersioningConfiguration: { Status: 'Enabled' } }));
    await client.send(new PutObjectCommand({ Bucket: 'clocked', Key: 'k', Body: 'five minutes ago' }));
    clocked.setClockOffset!(0);
    await client.send(new PutObjectCommand({ Bucket: 'clocked', Key: 'k', Body: 'now' }));
    const now = Date.now();
    const versions = (await client.send(new ListObjectVersionsCommand({ Bucket: 'clocked' }))).Versions ?? [];
    const ageSeconds = versions.map((v) => Math.round((now - v.LastModified!.getTime()) / 60_000) * 60);
    // newest first: written on the real clock, then the one written five minutes "earlier"
    expect(ageSeconds).toEqual([0, 300]);
  } finally {
    client.destroy();
    await clocked.stop();
  }
});

test("the run's teardown stops a gateway a worker left running in the run's folder", async () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-'));
  const left = await startVersionedS3({ workDir: path.join(runDir, 'dr-rgw-left') });
  try {
    expect(stillRunning(left.pids)).toHaveLength(3);
    await stopVersionedS3Left(runDir);
    expect(stillRunning(left.pids)).toEqual([]);
  } finally {
    await left.stop();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
});

describe('suites of one file share its gateway, each in a tenant of its own', () => {
  const neighbour = useVersionedS3();

  test('a second suite gets the same gateway, signing as another user', () => {
    expect(neighbour.server.endpoint).toBe(ctx.server.endpoint);
    expect(neighbour.server.accessKeyId).not.toBe(ctx.server.accessKeyId);
    expect(neighbour.server.env.AWS_ACCESS_KEY_ID).toBe(neighbour.server.accessKeyId);
  });

  test('two suites each have a bucket of the same name, with their own objects, and list only their own', async () => {
    for (const [suite, text] of [
      [ctx, 'first'],
      [neighbour, 'second'],
    ] as const) {
      await suite.s3.send(new CreateBucketCommand({ Bucket: 'same-name' }));
      await suite.s3.send(new PutObjectCommand({ Bucket: 'same-name', Key: 'k', Body: text }));
    }
    expect(await body('same-name', 'k')).toBe('first');
    const got = await neighbour.s3.send(new GetObjectCommand({ Bucket: 'same-name', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('second');
    expect((await neighbour.s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['same-name']);
  });
});

test('the gateway outlives a suite done with it while another suite of the file still uses it (stopped after the last)', async () => {
  const listed = await ctx.s3.send(new ListBucketsCommand({}));
  expect(listed.Buckets?.map((b) => b.Name)).toContain('same-name');
});
