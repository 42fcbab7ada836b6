/**
 * The local versioned S3 (Ceph RGW, cli/support/versioned-s3.ts) keeps versions and delete
 * markers, copies by VersionId, its daemons are gone after stop(), and its gateway can run on a
 * simulated clock (libfaketime) so versions are stamped minutes in the past without waiting.
 */
import * as fs from 'node:fs';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { startVersionedS3 } from '../../cli/support/local-servers';
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

test('stop() ends exactly the daemons start recorded and removes the folder', async () => {
  const other = await startVersionedS3();
  const client = versionedS3Client(other);
  await client.send(new CreateBucketCommand({ Bucket: 'second' }));
  client.destroy();
  await other.stop();
  const alive = other.pids.filter(({ pid }) => {
    try {
      return !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  });
  expect(other.pids.map((p) => p.name)).toEqual(['ceph-mon', 'ceph-osd', 'radosgw']);
  expect(alive).toEqual([]);
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
