/**
 * `restoreBucket` (lambda/buckets/) against the real local versioned S3 (Ceph RGW): one bucket
 * per test. The time of the restore is a listed LastModified, and the test lets the clock pass the
 * next whole second before the changes "after" it (S3 times are whole seconds in listings).
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bucketJournalTarget, restoreBucket, type RestoreBucketOptions } from '../../lambda/buckets/restore-bucket';
import { journalKey, readJournal, type RestoreJournalRecord } from '../../lambda/restore/journal';
import { BucketRestoreRefusedError } from '../../lambda/buckets/types';
import { startFaultProxy } from '../support/fault-proxy';
import { useVersionedS3, versionedS3Client } from '../support/use-versioned-s3';
import { markTime as markTimeIn } from '../support/versioned-buckets';

const ctx = useVersionedS3();
const JOURNALS = 'journals';
let n = 0;

beforeAll(async () => {
  await ctx.s3.send(new CreateBucketCommand({ Bucket: JOURNALS }));
});

async function bucket(versioned = true): Promise<string> {
  const name = `shop-media-${++n}`;
  await ctx.s3.send(new CreateBucketCommand({ Bucket: name }));
  if (versioned) await ctx.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  return name;
}

const put = (s3: S3Client, b: string, key: string, body: string | Buffer, extra: Record<string, unknown> = {}) =>
  s3.send(new PutObjectCommand({ Bucket: b, Key: key, Body: body, ...extra }));
const text = async (b: string, key: string) => (await ctx.s3.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body!.transformToString();
const exists = (b: string, key: string) =>
  ctx.s3.send(new HeadObjectCommand({ Bucket: b, Key: key })).then(
    () => true,
    () => false,
  );
const versionCount = async (b: string, key: string) => ((await ctx.s3.send(new ListObjectVersionsCommand({ Bucket: b, Prefix: key }))).Versions ?? []).length;

const markTime = (b: string) => markTimeIn(ctx.s3, b);

const opts = (b: string, at: Date, extra: Partial<RestoreBucketOptions> = {}): RestoreBucketOptions => ({
  s3: ctx.s3,
  bucket: b,
  at,
  journalBucket: JOURNALS,
  confirm: true,
  ...extra,
});

describe('in place', () => {
  test('an overwritten object gets its old bytes back as the newest version, with content type, metadata and tags', async () => {
    const b = await bucket();
    await put(ctx.s3, b, 'img/a.jpg', 'original', { ContentType: 'image/jpeg', Metadata: { shot: 'front' }, Tagging: 'sku=42' });
    const at = await markTime(b);
    await put(ctx.s3, b, 'img/a.jpg', 'ENCRYPTED', { ContentType: 'application/octet-stream' });
    const report = await restoreBucket(opts(b, at));
    expect(report.counts.restore).toBe(1);
    expect(await text(b, 'img/a.jpg')).toBe('original');
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: b, Key: 'img/a.jpg' }));
    expect([head.ContentType, head.Metadata?.shot]).toEqual(['image/jpeg', 'front']);
    expect((await ctx.s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'img/a.jpg' }))).TagSet).toEqual([{ Key: 'sku', Value: '42' }]);
    expect(report.verified?.mismatchCount).toBe(0);
  });

  test('a deleted object comes back', async () => {
    const b = await bucket();
    await put(ctx.s3, b, 'doc.pdf', 'pdf');
    const at = await markTime(b);
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'doc.pdf' }));
    await restoreBucket(opts(b, at));
    expect(await text(b, 'doc.pdf')).toBe('pdf');
  });

  test('an object deleted then created again gets the bytes of the time', async () => {
    const b = await bucket();
    await put(ctx.s3, b, 'k', 'then');
    const at = await markTime(b);
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
    await put(ctx.s3, b, 'k', 'later');
    await restoreBucket(opts(b, at));
    expect(await text(b, 'k')).toBe('then');
  });

  test('a key created after the time is removed by a delete marker (its versions stay), unchanged keys are left alone', async () => {
    const b = await bucket();
    await put(ctx.s3, b, 'same', 'same');
    const at = await markTime(b);
    await put(ctx.s3, b, 'ransom-note.txt', 'pay');
    const report = await restoreBucket(opts(b, at));
    expect(report.counts).toEqual({ restore: 0, delete: 1, untouched: 1, unrestorable: 0 });
    expect(await exists(b, 'ransom-note.txt')).toBe(false);
    expect(await versionCount(b, 'ransom-note.txt')).toBe(1);
    expect(await versionCount(b, 'same')).toBe(1);
  });

  test('a version expired by lifecycle is named with the oldest time the key can reach (expiry simulated by deleting the noncurrent version)', async () => {
    // The test removes the noncurrent version itself, as NoncurrentVersionExpiration would, and
    // gives the planner a fixed horizon of one "day" of one millisecond; RGW's own lifecycle doing
    // the expiry, with the rule read from the bucket: restore-bucket-lifecycle.test.ts.
    const b = await bucket();
    const v1 = (await put(ctx.s3, b, 'old.png', 'v1')).VersionId!;
    const at = await markTime(b);
    await put(ctx.s3, b, 'old.png', 'v2');
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'old.png', VersionId: v1 }));
    await markTime(b);
    const report = await restoreBucket(opts(b, at, { horizon: { noncurrentDays: 1, dayMs: 1 } }));
    expect(report.counts.unrestorable).toBe(1);
    expect(report.unrestorable[0].key).toBe('old.png');
    expect(new Date(report.unrestorable[0].oldestRestorable).getTime()).toBeGreaterThan(at.getTime());
    expect(await text(b, 'old.png')).toBe('v2');
  });

  test('an object over the multipart threshold is copied by UploadPartCopy and keeps its bytes and content type', async () => {
    const b = await bucket();
    const big = Buffer.alloc(12 * 1024 * 1024, 7);
    big.write('first-bytes', 0);
    await put(ctx.s3, b, 'video.mp4', big, { ContentType: 'video/mp4' });
    const at = await markTime(b);
    await put(ctx.s3, b, 'video.mp4', 'gone');
    const report = await restoreBucket(opts(b, at, { multipartThreshold: 8 * 1024 * 1024, partSize: 5 * 1024 * 1024 }));
    const got = await ctx.s3.send(new GetObjectCommand({ Bucket: b, Key: 'video.mp4' }));
    expect(got.ContentType).toBe('video/mp4');
    expect(got.ETag).toMatch(/-3"?$/);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(big)).toBe(true);
    expect(report.verified?.mismatchCount).toBe(0);
  });

  test('a second run finds nothing to do and writes no new version', async () => {
    const b = await bucket();
    await put(ctx.s3, b, 'a', 'a1');
    const at = await markTime(b);
    await put(ctx.s3, b, 'a', 'a2');
    await restoreBucket(opts(b, at));
    const again = await restoreBucket(opts(b, at));
    expect(again.counts).toEqual({ restore: 0, delete: 0, untouched: 1, unrestorable: 0 });
    expect(await versionCount(b, 'a')).toBe(3);
  });
});

describe('--to another bucket', () => {
  test('holds exactly the keys of the time: a key created after it is absent', async () => {
    const b = await bucket();
    const dest = await bucket();
    await put(ctx.s3, b, 'a', 'a1');
    await put(ctx.s3, b, 'b', 'b1');
    const at = await markTime(b);
    await put(ctx.s3, b, 'a', 'a2');
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'b' }));
    await put(ctx.s3, b, 'new', 'n');
    const report = await restoreBucket(opts(b, at, { to: dest, confirm: false }));
    expect([await text(dest, 'a'), await text(dest, 'b'), await exists(dest, 'new')]).toEqual(['a1', 'b1', false]);
    expect(report.verified).toEqual({ checked: 3, mismatches: [], mismatchCount: 0 });
    expect(await text(b, 'a')).toBe('a2');
  });

  test('a page is in the journal before any of its copies is sent, so a killed copy can tell its own copies', async () => {
    const b = await bucket();
    const dest = await bucket();
    for (const k of ['a', 'b', 'c']) await put(ctx.s3, b, k, `${k}-original`);
    const at = await markTime(b);
    const proxy = await startFaultProxy({ dynamodb: ctx.server.endpoint, s3: ctx.server.endpoint });
    const s3 = versionedS3Client({ ...ctx.server, endpoint: proxy.endpoints.s3 });
    try {
      const pageRecorded = proxy.rule(
        { service: 's3', method: 'PUT', path: /\/journals\/restores\//, body: (x) => (JSON.parse(x) as RestoreJournalRecord).parts.length > 0 },
        { kind: 'pass' },
      );
      const firstCopy = proxy.rule({ service: 's3', method: 'PUT', path: /x-id=CopyObject/ }, { kind: 'pass' });
      let recordedFirst: boolean | undefined;
      void pageRecorded.answered.then(() => (recordedFirst ??= true));
      void firstCopy.arrived.then(() => (recordedFirst ??= false));
      await restoreBucket({ ...opts(b, at, { to: dest }), s3 });
      expect(recordedFirst).toBe(true);
    } finally {
      s3.destroy();
      await proxy.close();
    }
  });
});

describe('each page checked', () => {
  test('a resumed run checks again the pages an earlier run finished: a key changed since is named', async () => {
    const b = await bucket();
    for (const k of ['a', 'b', 'c']) await put(ctx.s3, b, k, `${k}-original`);
    const at = await markTime(b);
    for (const k of ['a', 'b', 'c']) await put(ctx.s3, b, k, 'ENCRYPTED');
    // requests of two entries (one key's versions): pages of a key or two, the first one "a"
    await restoreBucket(opts(b, at, { listPageSize: 2 }));
    // as if that run had been killed after its first page, and the attacker came back to that page
    const target = bucketJournalTarget(b);
    const done = (await readJournal(ctx.s3, JOURNALS, target))!;
    expect(done.parts.map((p) => p.id)).toEqual(['a', 'c']);
    const killed: RestoreJournalRecord = { ...done, state: 'unfinished', parts: done.parts.map((p, i) => ({ ...p, done: i === 0 })) };
    await put(ctx.s3, JOURNALS, journalKey(target), JSON.stringify(killed));
    await put(ctx.s3, b, 'a', 'ENCRYPTED AGAIN');
    await expect(restoreBucket(opts(b, at, { listPageSize: 2, resume: true }))).rejects.toThrow(/1 of 3 keys .* a: the newest version is not the one of/);
  });
});

describe('refusals before any write', () => {
  test('--at in the future', async () => {
    const b = await bucket();
    await expect(restoreBucket(opts(b, new Date(Date.now() + 3_600_000)))).rejects.toThrow(/in the future.*nothing was written/);
  });

  test('a bucket without versioning says nothing earlier can be restored, and the fix', async () => {
    const b = await bucket(false);
    await put(ctx.s3, b, 'x', 'x');
    await expect(restoreBucket(opts(b, new Date(Date.now() - 60_000)))).rejects.toThrow(/never enabled.*no earlier state.*put-bucket-versioning/);
  });

  test('--in-place without --confirm', async () => {
    const b = await bucket();
    await put(ctx.s3, b, 'x', 'x1');
    const at = await markTime(b);
    await put(ctx.s3, b, 'x', 'x2');
    await expect(restoreBucket(opts(b, at, { confirm: false }))).rejects.toBeInstanceOf(BucketRestoreRefusedError);
    expect(await text(b, 'x')).toBe('x2');
  });

  test('--to a bucket that is not empty', async () => {
    const b = await bucket();
    const dest = await bucket();
    await put(ctx.s3, dest, 'keep-me', 'k');
    await put(ctx.s3, b, 'x', 'x');
    await expect(restoreBucket(opts(b, await markTime(b), { to: dest }))).rejects.toThrow(/not empty.*keep-me.*nothing was written/);
    expect(await versionCount(dest, '')).toBe(1);
  });
});
