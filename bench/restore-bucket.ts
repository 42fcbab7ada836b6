/**
 * `npx tsx bench/restore-bucket.ts [--objects 2000] [--memory-objects 1000,10000]`: the bucket
 * restore's figures (issue 20) on the local versioned S3 (Ceph RGW), printed as the markdown of
 * bench/restore-bucket.md (pasted there by hand; BENCHMARKS.md includes it).
 *
 * 1. objects/s of `restoreBucket --to` (list, plan, copy, verify) against a raw loop of
 *    CopyObject by VersionId with the same parallelism over the same objects, in one run;
 * 2. peak heap and RSS of `restoreBucket` in place at N and 10 N objects (10 % of them overwritten):
 *    flat when the listing streams.
 */
import {
  CreateBucketCommand,
  CopyObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startVersionedS3 } from '../cli/support/local-servers';
import { restoreBucket } from '../lambda/buckets/restore-bucket';
import { copySource } from '../lambda/buckets/copy';
import { keyPages } from '../lambda/buckets/versions';
import { versionedS3Client } from '../test/support/use-versioned-s3';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const CONCURRENCY = 32;

async function pool<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** A versioned bucket of `n` 4 KB objects, `overwrite` of them overwritten after the returned time. */
async function seed(s3: S3Client, bucket: string, n: number, overwrite: number): Promise<Date> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const keys = Array.from({ length: n }, (_, i) => `media/${String(i).padStart(6, '0')}.jpg`);
  await pool(keys, 32, (k) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: Buffer.alloc(4096, k.length) })));
  const at = new Date();
  for (let i = 0; i < 40 && Date.now() < Math.floor(at.getTime() / 1000) * 1000 + 1000; i++) await new Promise((r) => setTimeout(r, 50));
  await pool(keys.slice(0, overwrite), 32, (k) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'ENCRYPTED' })));
  return at;
}

/** Peak heap and RSS while `fn` runs, sampled every 20 ms, after a GC when exposed. */
async function peakMemory<T>(fn: () => Promise<T>): Promise<{ result: T; heapMb: number; rssMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  let heap = 0;
  let rss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    rss = Math.max(rss, m.rss);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await fn();
    sample();
    return { result, heapMb: heap / 2 ** 20, rssMb: rss / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const n = Number(arg('objects', '2000'));
  const memorySizes = arg('memory-objects', '1000,10000').split(',').map(Number);
  const rgw = await startVersionedS3({ region: 'us-east-1' });
  const s3 = versionedS3Client(rgw, 5);
  await s3.send(new CreateBucketCommand({ Bucket: 'journals' }));
  const lines: string[] = [];
  try {
    // 1. ratio against a raw parallel CopyObject loop, same objects, same run
    const at = await seed(s3, 'ratio-src', n, n);
    for (const b of ['ratio-raw', 'ratio-dr']) await s3.send(new CreateBucketCommand({ Bucket: b }));
    const versions: { key: string; versionId: string }[] = [];
    for await (const page of keyPages(s3, 'ratio-src'))
      for (const kv of page.keys) {
        const v = kv.entries.find((e) => e.lastModified <= at)!;
        versions.push({ key: v.key, versionId: v.versionId });
      }
    let t = Date.now();
    await pool(versions, CONCURRENCY, (v) => s3.send(new CopyObjectCommand({ Bucket: 'ratio-raw', Key: v.key, CopySource: copySource('ratio-src', v) })));
    const rawSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    let lastCopy = t;
    const report = await restoreBucket({
      s3,
      bucket: 'ratio-src',
      at,
      to: 'ratio-dr',
      journalBucket: 'journals',
      concurrency: CONCURRENCY,
      onProgress: () => (lastCopy = Date.now()),
    });
    const drSeconds = (Date.now() - t) / 1000;
    const copySeconds = (lastCopy - t) / 1000;
    const raw = n / rawSeconds;
    const dr = report.counts.restore / drSeconds;
    const copyPhase = report.counts.restore / copySeconds;
    lines.push(
      `| restore-bucket --to vs raw CopyObject loop, end to end | ${n} objects of 4 KB, ${CONCURRENCY} in flight | raw ${raw.toFixed(0)} objects/s (${rawSeconds.toFixed(1)} s) | restore-bucket ${dr.toFixed(0)} objects/s (${drSeconds.toFixed(1)} s: preflight, listing, copies, journal, verification) | ratio ${(dr / raw).toFixed(2)} |`,
      `| the same run, up to the last copy | | | ${copyPhase.toFixed(0)} objects/s (${copySeconds.toFixed(1)} s; verification ${(drSeconds - copySeconds).toFixed(1)} s) | ratio ${(copyPhase / raw).toFixed(2)} |`,
    );
    // 2. memory at N and 10 N
    for (const size of memorySizes) {
      const bucket = `memory-${size}`;
      const atM = await seed(s3, bucket, size, Math.round(size / 10));
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 }));
      if (!listed.Versions?.length) throw new Error('seed failed');
      const m = await peakMemory(() => restoreBucket({ s3, bucket, at: atM, confirm: true, journalBucket: 'journals', concurrency: CONCURRENCY }));
      lines.push(
        `| memory, restore-bucket in place | ${size} objects, ${m.result.counts.restore} restored | peak heap ${m.heapMb.toFixed(1)} MB | peak RSS ${m.rssMb.toFixed(1)} MB | ${m.result.seconds.toFixed(1)} s |`,
      );
    }
  } finally {
    s3.destroy();
    await rgw.stop();
  }
  process.stdout.write(`| figure | size | | | |\n|---|---|---|---|---|\n${lines.join('\n')}\n`);
}

void main();
