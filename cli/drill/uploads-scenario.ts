/**
 * Drill scenario 6, "uploads encrypted by ransomware": a versioned uploads bucket (a few thousand
 * objects of mixed sizes, some over 8 MB) has 30 % of its objects overwritten and 10 % deleted at
 * T; `restore-bucket --in-place --confirm` (the function the CLI calls) brings back the state of
 * just before T, and every object's bytes are compared with the originals.
 *
 * Locally the bucket lives on a real versioned S3, Ceph RGW (cli/support/versioned-s3.ts),
 * started for this scenario and stopped after it: s3rver has no versions. On AWS it is a scratch
 * bucket in the drill's S3.
 *
 * The restore point is T − 1 min, as the runbook says, where T is when the attack starts. The
 * originals must then be older than T − 1 min without the drill waiting a minute: locally the
 * gateway runs on a simulated clock ({@link SEED_HEAD_START_SECONDS} behind while seeding, then
 * set to the real time), so the originals are stamped minutes before T, the attack at T, and the
 * restore picks versions by those stamps. Where there is no simulated clock (AWS, or libfaketime
 * not installed) the restore point is the second after seeding, and the report says so.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startVersionedS3, versionedS3Client } from '../support/local-servers';
import { FAKETIME_PACKAGE, hasSimulatedClock } from '../support/versioned-s3';
import { createScratchBucket, deleteScratchBucket, scratchBucketName, sweepStaleScratchBuckets } from './scratch-buckets';
import { restoreBucket } from '../../lambda/buckets/restore-bucket';
import type { ScenarioResult } from './report';
import type { ScenarioContext } from './scenarios';
import type { TableVerification } from './verify';

/** How far behind the real time the local gateway's clock is while seeding (within S3's 15 minutes of request skew). */
export const SEED_HEAD_START_SECONDS = 300;
/** The restore point, before the attack: T − 1 min. */
export const RESTORE_BEFORE_ATTACK_MS = 60_000;

const KB = 1024;
const MB = 1024 * KB;

/** Objects seeded for a drill of `items` table items: 1 per 8 items, 200 to 3,000. */
export function uploadsCount(items: number): number {
  return Math.min(3000, Math.max(200, Math.round(items / 8)));
}

/** Key and size of object `i` of `n`: mostly 1-64 KB, one in ten 64-256 KB, and 2 per 1,000 (at least 2) of 8-12 MB. */
export function uploadSpec(i: number, n: number): { key: string; size: number } {
  const h = createHash('sha256').update(`upload-${i}`).digest();
  const big = Math.max(2, Math.round(n / 500));
  const size =
    i < big ? 8 * MB + (h.readUInt32BE(0) % (4 * MB)) : i % 10 === 0 ? 64 * KB + (h.readUInt32BE(0) % (192 * KB)) : KB + (h.readUInt32BE(0) % (63 * KB));
  return { key: `uploads/${String(h.readUInt16BE(4) % 100).padStart(2, '0')}/${i}.${['jpg', 'png', 'pdf', 'mp4'][i % 4]}`, size };
}

/** The deterministic bytes of an object (a counter hashed in blocks). */
export function uploadBody(key: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  const seed = createHash('sha256').update(key).digest();
  for (let off = 0, n = 0; off < size; off += 32, n++) {
    seed.copy(out, off, 0, Math.min(32, size - off));
    seed.writeUInt32BE(n, 0);
  }
  return out;
}

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

async function pool<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The bucket the scenario runs on: RGW locally (stopped by `stop`), a scratch bucket on AWS. */
async function uploadsBucket(ctx: ScenarioContext): Promise<UploadsBucket> {
  if (ctx.env.mode === 'local') {
    const clocked = hasSimulatedClock();
    const rgw = await startVersionedS3(clocked ? { clockOffsetSeconds: -SEED_HEAD_START_SECONDS } : {});
    const s3 = versionedS3Client(rgw);
    await s3.send(new CreateBucketCommand({ Bucket: 'drill-journals' }));
    // The journal's conditional writes are beyond RGW 16 (lambda/store/s3-io.ts): off while it runs.
    const conditionalWrites = process.env.DR_S3_CONDITIONAL_WRITES;
    process.env.DR_S3_CONDITIONAL_WRITES = rgw.env.DR_S3_CONDITIONAL_WRITES;
    const restoreEnv = () => {
      if (conditionalWrites === undefined) delete process.env.DR_S3_CONDITIONAL_WRITES;
      else process.env.DR_S3_CONDITIONAL_WRITES = conditionalWrites;
    };
    return {
      s3,
      bucket: 'drill-uploads',
      journals: 'drill-journals',
      where: `Ceph RGW ${rgw.endpoint} (local versioned S3)`,
      clock: rgw.setClockOffset
        ? { seededAgo: SEED_HEAD_START_SECONDS, toRealTime: () => rgw.setClockOffset!(0) }
        : { missing: `no simulated clock (install ${FAKETIME_PACKAGE}: apt-get install -y ${FAKETIME_PACKAGE})` },
      stop: async () => (restoreEnv(), s3.destroy(), rgw.stop()),
    };
  }
  // AWS: a scratch bucket of its own, deleted at the end; one a killed drill left is deleted first.
  const s3 = ctx.env.s3;
  const swept = await sweepStaleScratchBuckets(s3, ctx.appName, new Date());
  for (const b of swept.deleted) ctx.step(`  deleted scratch bucket ${b}, left by an earlier drill that did not finish`);
  for (const e of swept.errors) ctx.step(`  ${e}`);
  const bucket = scratchBucketName(ctx.appName, new Date());
  await createScratchBucket(s3, bucket);
  return {
    s3,
    bucket,
    journals: ctx.env.bucket,
    where: `scratch bucket ${bucket} (deleted at the end of the scenario)`,
    clock: { missing: "S3's clock cannot be set" },
    stop: () => deleteScratchBucket(s3, bucket),
  };
}

/** Where the scenario runs, and whether the bucket's clock can be set (to stamp the originals minutes before T). */
interface UploadsBucket {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly journals: string;
  readonly where: string;
  readonly clock: { readonly seededAgo: number; toRealTime(): void } | { readonly missing: string };
  stop(): Promise<void>;
}

/**
 * Ends the seeding and returns T (the attack starts now) and the restore point. With a simulated
 * clock the originals were stamped {@link SEED_HEAD_START_SECONDS} behind: setting the clock to
 * the real time puts them minutes before T, and the restore point is T − 1 min. Without one, the
 * attack starts in the second after the last original, and that second is the restore point.
 */
async function startAttack(target: UploadsBucket, notes: string[]): Promise<{ t: Date; at: Date }> {
  if ('toRealTime' in target.clock) {
    target.clock.toRealTime();
    const t = new Date();
    notes.push(
      `simulated clock: the originals were stamped ${target.clock.seededAgo / 60} min before the real time; the attack starts at T = ${t.toISOString()}, the restore point is T - 1 min`,
    );
    return { t, at: new Date(t.getTime() - RESTORE_BEFORE_ATTACK_MS) };
  }
  // S3 times are whole seconds: the attack starts in a later second than the last original.
  const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 999);
  for (let i = 0; i < 40 && Date.now() <= at.getTime(); i++) await new Promise((r) => setTimeout(r, 50));
  notes.push(`${target.clock.missing}: the restore point is the second after seeding (${at.toISOString()}), not T - 1 min`);
  return { t: new Date(), at };
}

/** Scenario 6. */
export async function uploadsEncrypted(ctx: ScenarioContext): Promise<ScenarioResult> {
  const title = 'uploads encrypted by ransomware';
  ctx.step(`scenario ${title}`);
  const notes: string[] = [];
  const verification: TableVerification[] = [];
  const items = [...ctx.expected.values()].reduce((n, t) => n + t.size, 0);
  const n = uploadsCount(items);
  let rtoMs = 0;
  let rpoMs = 0;
  let restored = 0;
  let error: string | undefined;
  const target = await uploadsBucket(ctx);
  try {
    const { s3, bucket } = target;
    if (ctx.env.mode === 'local') await createScratchBucket(s3, bucket);
    const specs = Array.from({ length: n }, (_, i) => uploadSpec(i, n));
    const originals = new Map<string, string>();
    await pool(specs, 16, async ({ key, size }) => {
      const body = uploadBody(key, size);
      originals.set(key, sha(body));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' }));
    });
    const bytes = specs.reduce((s, x) => s + x.size, 0);
    notes.push(`seeded ${n} objects (${(bytes / MB).toFixed(1)} MB, ${specs.filter((s) => s.size > 8 * MB).length} over 8 MB) on ${target.where}`);
    const { t, at } = await startAttack(target, notes);
    rpoMs = t.getTime() - at.getTime();
    const encrypted = specs.filter((_, i) => i % 10 < 3);
    const deleted = specs.filter((_, i) => i % 10 === 3);
    await pool(encrypted, 16, async ({ key }) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `ENCRYPTED ${key}: pay 2 BTC` }));
    });
    await pool(deleted, 16, async ({ key }) => {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/README-RANSOM.txt', Body: 'your files are encrypted' }));
    notes.push(`attack: ${encrypted.length} objects overwritten (30 %), ${deleted.length} deleted (10 %), a ransom note added`);
    const detected = Date.now();
    ctx.step(`  restore-bucket ${bucket} --at ${at.toISOString()} --in-place --confirm`);
    const report = await restoreBucket({ s3, bucket, at, confirm: true, journalBucket: target.journals });
    restored = report.counts.restore + report.counts.delete;
    notes.push(
      `restore-bucket --at ${at.toISOString()} --in-place --confirm: ${report.counts.restore} restored, ${report.counts.delete} deleted, ${report.counts.untouched} untouched, ${report.counts.unrestorable} unrestorable; ${report.objectsPerSecond.toFixed(0)} objects/s; verified ${report.verified?.checked} keys by size and checksum`,
    );
    // Every object's bytes against the original, read back.
    let matched = 0;
    const examples: string[] = [];
    await pool([...originals], 16, async ([key, digest]) => {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (sha(await got.Body!.transformToByteArray()) === digest) matched++;
      else if (examples.length < 5) examples.push(key);
    });
    const noteGone = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'uploads/README-RANSOM.txt' })).then(
      () => false,
      () => true,
    );
    rtoMs = Date.now() - detected;
    if (!noteGone) examples.push('uploads/README-RANSOM.txt (still there)');
    verification.push({
      table: bucket,
      expected: n,
      actual: matched,
      matched,
      missing: n - matched,
      unexpected: noteGone ? 0 : 1,
      different: 0,
      examples,
      ok: matched === n && noteGone,
    });
  } catch (e) {
    error = (e as Error).message ?? String(e);
    ctx.step(`  uploads-encrypted failed: ${error}`);
  } finally {
    await target.stop();
  }
  const passed = !error && verification.length > 0 && verification.every((v) => v.ok);
  ctx.step(`  ${passed ? 'PASS' : 'FAIL'} uploads-encrypted: ${n} objects verified byte for byte, RTO ${rtoMs} ms`);
  return {
    id: 'uploads-encrypted',
    title,
    passed,
    rtoMs,
    rpoMs,
    items: verification[0]?.matched ?? 0,
    itemsPerSecond: rtoMs > 0 ? Math.round((restored * 1000) / rtoMs) : 0,
    tables: [target.bucket],
    verification,
    notes,
    error,
  };
}
