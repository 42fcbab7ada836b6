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
import { startVersionedS3, versionedS3Client } from '../cli/support/local-servers';
import { restoreBucket } from '../lambda/buckets/restore-bucket';
import { copySource } from '../lambda/buckets/copy';
import { keyPages } from '../lambda/buckets/versions';
import { recordRequests, summarizeTimeline } from './request-timeline';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const CONCURRENCY = 32;
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

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

/**
 * Peak heap and RSS while `fn` runs, sampled every 20 ms; and the peak live heap: every 250 ms a
 * full GC (when exposed: node --expose-gc) then the heap in use, so garbage not yet collected does
 * not count (what grows with the bucket would still show).
 */
async function peakMemory<T>(fn: () => Promise<T>): Promise<{ result: T; heapMb: number; liveMb: number; rssMb: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let heap = 0;
  let live = 0;
  let rss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    rss = Math.max(rss, m.rss);
  };
  const sampleLive = () => {
    gc?.();
    live = Math.max(live, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 20);
  const liveTimer = setInterval(sampleLive, 250);
  try {
    const result = await fn();
    sample();
    return { result, heapMb: heap / 2 ** 20, liveMb: live / 2 ** 20, rssMb: rss / 2 ** 20 };
  } finally {
    clearInterval(timer);
    clearInterval(liveTimer);
  }
}

async function main(): Promise<void> {
  const n = Number(arg('objects', '2000'));
  const memorySizes = arg('memory-objects', '1000,10000').split(',').filter(Boolean).map(Number);
  const rounds = Number(arg('rounds', '3'));
  const rgw = await startVersionedS3({ region: 'us-east-1' });
  const s3 = versionedS3Client(rgw, 5);
  const timeline = recordRequests(s3);
  // The journal's conditional writes are beyond RGW 16 (lambda/store/s3-io.ts): off, as in the tests.
  process.env.DR_S3_CONDITIONAL_WRITES = rgw.env.DR_S3_CONDITIONAL_WRITES;
  await s3.send(new CreateBucketCommand({ Bucket: 'journals' }));
  const lines: string[] = [];
  const profiles: string[] = [];
  const memory: string[] = [];
  try {
    // 1. ratio against a raw parallel CopyObject loop, same objects, same run; rounds alternate
    // which goes first (the machine is shared: one round says little).
    const at = n > 0 ? await seed(s3, 'ratio-src', n, n) : new Date();
    const versions: { key: string; versionId: string }[] = [];
    if (n > 0)
      for await (const page of keyPages(s3, 'ratio-src'))
        for (const kv of page.keys) {
          const v = kv.entries.find((e) => e.lastModified <= at)!;
          versions.push({ key: v.key, versionId: v.versionId });
        }
    const ratios: number[] = [];
    let rawCpu = 0;
    for (let round = 1; n > 0 && round <= rounds; round++) {
      const rawBucket = `ratio-raw-${round}`;
      const drBucket = `ratio-dr-${round}`;
      for (const b of [rawBucket, drBucket]) await s3.send(new CreateBucketCommand({ Bucket: b }));
      const runRaw = async () => {
        const t = Date.now();
        const cpu = process.cpuUsage();
        await pool(versions, CONCURRENCY, (v) => s3.send(new CopyObjectCommand({ Bucket: rawBucket, Key: v.key, CopySource: copySource('ratio-src', v) })));
        rawCpu = cpuSeconds(cpu);
        return (Date.now() - t) / 1000;
      };
      const runDr = async () => {
        timeline.clear();
        const t = Date.now();
        const cpu = process.cpuUsage();
        let lastCopy = t;
        const report = await restoreBucket({
          s3,
          bucket: 'ratio-src',
          at,
          to: drBucket,
          journalBucket: 'journals',
          concurrency: CONCURRENCY,
          onProgress: () => (lastCopy = Date.now()),
        });
        return {
          cpu: cpuSeconds(cpu),
          seconds: (Date.now() - t) / 1000,
          copySeconds: (lastCopy - t) / 1000,
          restored: report.counts.restore,
          profile: summarizeTimeline(timeline.requests, CONCURRENCY),
        };
      };
      const first = round % 2 === 1 ? 'raw' : 'dr';
      const rawSeconds = first === 'raw' ? await runRaw() : 0;
      const dr = await runDr();
      const rawSecondsLast = first === 'dr' ? await runRaw() : rawSeconds;
      const raw = n / rawSecondsLast;
      const drRate = dr.restored / dr.seconds;
      ratios.push(drRate / raw);
      lines.push(
        `| ${round} (${first} first) | raw ${raw.toFixed(0)} objects/s (${rawSecondsLast.toFixed(1)} s) | restore-bucket ${drRate.toFixed(0)} objects/s (${dr.seconds.toFixed(1)} s; up to its last copy ${dr.copySeconds.toFixed(1)} s) | ${(drRate / raw).toFixed(2)} |`,
      );
      profiles.push(`round ${round}: client CPU raw ${rawCpu.toFixed(2)} s, restore-bucket ${dr.cpu.toFixed(2)} s; ${dr.profile}`);
    }
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
    if (ratios.length) lines.push(`| median | | | **${median.toFixed(2)}** |`, '');
    // 2. memory at N and 10 N
    for (const size of memorySizes) {
      const bucket = `memory-${size}`;
      const atM = await seed(s3, bucket, size, Math.round(size / 10));
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 }));
      if (!listed.Versions?.length) throw new Error('seed failed');
      const m = await peakMemory(() => restoreBucket({ s3, bucket, at: atM, confirm: true, journalBucket: 'journals', concurrency: CONCURRENCY }));
      memory.push(
        `| ${size} objects, ${m.result.counts.restore} restored in place | ${m.heapMb.toFixed(1)} MB | ${m.liveMb.toFixed(1)} MB | ${m.rssMb.toFixed(1)} MB | ${m.result.seconds.toFixed(1)} s |`,
      );
    }
  } finally {
    s3.destroy();
    await rgw.stop();
  }
  process.stdout.write(
    `${n} objects of 4 KB, ${CONCURRENCY} in flight, every object overwritten after the time\n\n| round | raw CopyObject loop | restore-bucket --to (preflight, listing, copies, journal, verification) | ratio |\n|---|---|---|---|\n${lines.join('\n')}\n` +
      `${profiles.map((p) => `- ${p}`).join('\n')}\n\n| memory | peak heap | peak live heap (after GC) | peak RSS | time |\n|---|---|---|---|---|\n${memory.join('\n')}\n`,
  );
}

void main();
