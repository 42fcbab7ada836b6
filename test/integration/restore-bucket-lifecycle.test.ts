/**
 * Issue 20, must show: a version expired by lifecycle is named, never silently skipped, on the
 * real local versioned S3 with RGW's own lifecycle doing the expiry (`rgw lc debug interval`: a
 * lifecycle "day" lasts 2 s here; measured: the noncurrent version went 2.1 s after it became
 * noncurrent). The restore reads the bucket's rule itself (NoncurrentDays 1) and is told only the
 * day's length. Its own RGW: the debug interval is a gateway setting.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand, PutBucketLifecycleConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { restoreBucket } from '../../lambda/buckets/restore-bucket';
import { useVersionedS3 } from '../support/use-versioned-s3';
import { markTime, versionedBucket } from '../support/versioned-buckets';

jest.setTimeout(120_000);

const DAY_SECONDS = 2;
const ctx = useVersionedS3({ lifecycleDaySeconds: DAY_SECONDS });
const JOURNALS = 'journals';
const MEDIA = 'media-lifecycle';

beforeAll(async () => {
  await ctx.s3.send(new CreateBucketCommand({ Bucket: JOURNALS }));
});

/** Versions of `key`; waits (at most 60 listings, 500 ms apart) until lifecycle has expired all but `keep` of them. */
async function expiredDownTo(bucket: string, key: string, keep: number): Promise<number> {
  let n = Infinity;
  for (let i = 0; i < 60 && n > keep; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    n = ((await ctx.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }))).Versions ?? []).length;
  }
  return n;
}

test("a version RGW's lifecycle expired is named unrestorable with the oldest time the key can reach; the key is left as it is", async () => {
  await versionedBucket(ctx.s3, MEDIA);
  await ctx.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: MEDIA,
      LifecycleConfiguration: { Rules: [{ ID: 'versions', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
    }),
  );
  await ctx.s3.send(new PutObjectCommand({ Bucket: MEDIA, Key: 'old.png', Body: 'v1' }));
  const at = await markTime(ctx.s3, MEDIA);
  await ctx.s3.send(new PutObjectCommand({ Bucket: MEDIA, Key: 'old.png', Body: 'v2' }));
  // The server's own event: lifecycle removes v1 (noncurrent for a "day").
  expect(await expiredDownTo(MEDIA, 'old.png', 1)).toBe(1);

  const report = await restoreBucket({ s3: ctx.s3, bucket: MEDIA, at, journalBucket: JOURNALS, confirm: true, lifecycleDayMs: DAY_SECONDS * 1000 });
  expect(report.counts).toEqual({ restore: 0, delete: 0, untouched: 0, unrestorable: 1 });
  expect(report.unrestorable).toEqual([
    {
      key: 'old.png',
      oldestRestorable: expect.any(String),
      reason: expect.stringMatching(
        /^no version at .*: lifecycle expires noncurrent versions after 1 days, so the version current then may be gone; the oldest state of this key is /,
      ),
    },
  ]);
  expect(new Date(report.unrestorable[0].oldestRestorable).getTime()).toBeGreaterThan(at.getTime());
  // Not taken for "created after the time": no delete marker, v2 still the object.
  expect(await (await ctx.s3.send(new GetObjectCommand({ Bucket: MEDIA, Key: 'old.png' }))).Body!.transformToString()).toBe('v2');
  expect(await expiredDownTo(MEDIA, 'old.png', 1)).toBe(1);
});
