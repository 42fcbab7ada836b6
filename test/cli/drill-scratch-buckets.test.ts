/**
 * The drill's scratch uploads bucket on AWS (cli/drill/scratch-buckets.ts), against the real local
 * versioned S3 (Ceph RGW): a bucket a killed drill left behind is found by its name prefix and
 * age, emptied of every version and delete marker, and deleted; a younger one (a drill still
 * running) and another app's are left alone. "Later" is an injected `now`, not a wait.
 */
import { DeleteObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  STALE_SCRATCH_BUCKET_MS,
  createScratchBucket,
  scratchBucketName,
  scratchBucketPrefix,
  sweepStaleScratchBuckets,
} from '../../cli/drill/scratch-buckets';
import { useVersionedS3 } from '../support/use-versioned-s3';

const ctx = useVersionedS3();
const exists = (b: string) =>
  ctx.s3.send(new HeadBucketCommand({ Bucket: b })).then(
    () => true,
    () => false,
  );

test('names are the app prefix, the UTC time and 8 random hex digits, within 63 characters', () => {
  expect(scratchBucketName('Shop', new Date('2026-12-04T04:05:06.789Z'), 'a1b2c3d4')).toBe('shop-drill-uploads-20261204040506-a1b2c3d4');
  expect(scratchBucketName('x'.repeat(60), new Date()).length).toBeLessThanOrEqual(63);
});

test("a scratch bucket older than six hours (a killed drill's) is emptied of versions and delete markers, then deleted", async () => {
  const left = scratchBucketName('shop', new Date(), 'dead0001');
  await createScratchBucket(ctx.s3, left);
  await ctx.s3.send(new PutObjectCommand({ Bucket: left, Key: 'uploads/a.jpg', Body: 'v1' }));
  await ctx.s3.send(new PutObjectCommand({ Bucket: left, Key: 'uploads/a.jpg', Body: 'v2' }));
  await ctx.s3.send(new DeleteObjectCommand({ Bucket: left, Key: 'uploads/a.jpg' }));
  const later = new Date(Date.now() + STALE_SCRATCH_BUCKET_MS + 60_000);
  const swept = await sweepStaleScratchBuckets(ctx.s3, 'shop', later);
  expect(swept).toEqual({ deleted: [left], errors: [] });
  expect(await exists(left)).toBe(false);
});

test("a younger scratch bucket (a drill still running) and another app's are left alone", async () => {
  const running = scratchBucketName('shop', new Date(), 'a11ve001');
  const other = scratchBucketName('other', new Date(), 'a11ve002');
  for (const b of [running, other]) await createScratchBucket(ctx.s3, b);
  const swept = await sweepStaleScratchBuckets(ctx.s3, 'shop', new Date(Date.now() + STALE_SCRATCH_BUCKET_MS - 60_000));
  expect(swept.deleted).toEqual([]);
  expect(await sweepStaleScratchBuckets(ctx.s3, 'shop', new Date(Date.now() + STALE_SCRATCH_BUCKET_MS + 60_000))).toEqual({ deleted: [running], errors: [] });
  expect([await exists(running), await exists(other), other.startsWith(scratchBucketPrefix('other'))]).toEqual([false, true, true]);
});
