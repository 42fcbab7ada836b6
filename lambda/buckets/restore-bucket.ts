/**
 * `dr restore-bucket`: bring a versioned bucket (or a prefix of it) back to its state at a time,
 * in place or into another, empty bucket; resumable, verified.
 *
 * The listing streams page by page into a bounded pool of copies (memory: one page plus the
 * copies in flight). Each page is a part of the restore journal (lambda/restore/journal.ts, in
 * the backup bucket under `restores/bucket/<destination>.json`), done once every key of it is
 * written; a resumed run lists again after the last page of the unbroken run of done pages.
 * Keys of a page a killed run had started are recognised as already restored (same bytes, or
 * written by this restore since it started), so no object is copied twice into a newer version.
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RestoreJournal, readJournalVersion, type RestoreJournalRecord } from '../restore/journal';
import { addDeleteMarker, copyVersion } from './copy';
import { countPlan, emptyCounts, planKey, sameContent, type PlanContext, type PlanCount } from './plan';
import { preflight } from './preflight';
import { BucketRestoreRefusedError, BucketVerifyError, type ActionCounts, type KeyAction, type VersionEntry, type VersionHorizon } from './types';
import { verifyCopy, verifyInPlace, type VerifyResult } from './verify';
import { keyPages, type KeyPage } from './versions';

/** Options of {@link restoreBucket}. */
export interface RestoreBucketOptions {
  readonly s3: S3Client;
  /** The versioned bucket to restore from (the replica with `--from-replica`). */
  readonly bucket: string;
  readonly at: Date;
  readonly prefix?: string;
  /** Copy the state into this empty bucket. @default - in place */
  readonly to?: string;
  /** `--confirm` (needed in place). */
  readonly confirm?: boolean;
  readonly dryRun?: boolean;
  readonly resume?: boolean;
  /** The bucket holding the journal (the backup bucket). */
  readonly journalBucket: string;
  /** @default 32 - copies in flight */
  readonly concurrency?: number;
  /** SSE-KMS key for the copies. @default - the destination's default key */
  readonly kmsKeyId?: string;
  /** Tests only: lower the 5 GB CopyObject limit to exercise multipart copy. */
  readonly multipartThreshold?: number;
  readonly partSize?: number;
  /** Tests only: the lifecycle day length (RGW) or a fixed horizon. @default - read from the bucket */
  readonly horizon?: VersionHorizon;
  /** Called after each key is done (objects and bytes so far). */
  readonly onProgress?: (p: { readonly objects: number; readonly bytes: number }) => void;
}

/** What the restore did. */
export interface RestoreBucketReport {
  readonly bucket: string;
  readonly destination: string;
  readonly mode: 'in-place' | 'copy';
  readonly at: string;
  readonly dryRun: boolean;
  readonly counts: ActionCounts;
  /** Bytes copied (planned, for a dry run). */
  readonly bytes: number;
  readonly seconds: number;
  readonly objectsPerSecond: number;
  /** The first keys of each action (dry run). */
  readonly firstKeys?: PlanCount['firstKeys'];
  readonly unrestorable: PlanCount['unrestorable'];
  readonly verified?: VerifyResult;
  readonly runs: number;
}

/** The journal's target name for a restore into `destination` (a prefix gets its own journal). */
export function bucketJournalTarget(destination: string, prefix?: string): string {
  return prefix ? `bucket/${destination}/${createHash('sha256').update(prefix).digest('hex').slice(0, 16)}` : `bucket/${destination}`;
}

/** The last page of the unbroken run of done pages: where a resumed listing starts. */
function resumeAfter(j: RestoreJournalRecord | undefined): string | undefined {
  let after: string | undefined;
  for (const p of j?.parts ?? []) {
    if (!p.done) break;
    after = p.id;
  }
  return after;
}

async function openJournal(o: RestoreBucketOptions, target: string, destination: string): Promise<{ prev?: RestoreJournalRecord; journalEtag?: string }> {
  const read = await readJournalVersion(o.s3, o.journalBucket, target);
  // The claim is a write conditional on the version read here (one run per destination).
  const journalEtag = read?.etag;
  const prev = read?.record;
  if (!prev || prev.state === 'verified') return { journalEtag };
  const at = o.at.toISOString();
  if (!o.resume)
    throw new BucketRestoreRefusedError(
      `"${destination}" has an unfinished restore to ${prev.backupId} (started ${prev.startedAt}, ${prev.parts.filter((p) => p.done).length} pages done): nothing was written; rerun with --resume to continue it`,
    );
  if (prev.backupId !== at || prev.source !== o.bucket)
    throw new BucketRestoreRefusedError(
      `the unfinished restore of "${destination}" is from "${prev.source}" at ${prev.backupId}, not "${o.bucket}" at ${at}: nothing was written; resume it with --at ${prev.backupId}`,
    );
  return { prev, journalEtag };
}

/** Restores the bucket (see the file comment). Throws BucketRestoreRefusedError before any write, BucketVerifyError after a bad copy. */
export async function restoreBucket(o: RestoreBucketOptions): Promise<RestoreBucketReport> {
  const started = Date.now();
  const now = new Date();
  const destination = o.to ?? o.bucket;
  const target = bucketJournalTarget(destination, o.prefix);
  const { prev, journalEtag } = o.dryRun ? {} : await openJournal(o, target, destination);
  const facts = await preflight(o.s3, {
    bucket: o.bucket,
    at: o.at,
    now,
    to: o.to,
    inPlaceConfirmed: o.confirm === true,
    dryRun: o.dryRun === true,
    resumingCopy: prev !== undefined,
    prefix: o.prefix,
  });
  // Listed times have whole seconds: a copy written in the start's second must count as this restore's.
  const startedAt = new Date(Math.floor(new Date(prev?.startedAt ?? now).getTime() / 1000) * 1000);
  const ctx: PlanContext = {
    at: o.at,
    now,
    inPlace: !o.to,
    horizon: o.horizon ?? facts.horizon,
    copiedEtags: prev?.objects,
    restoreStartedAt: prev ? startedAt : undefined,
  };
  const mode = o.to ? 'copy' : 'in-place';
  const base = { bucket: o.bucket, destination, mode, at: o.at.toISOString() } as const;
  if (o.dryRun) {
    const plan = await countPlan(o.s3, o.bucket, ctx, { prefix: o.prefix });
    const seconds = (Date.now() - started) / 1000;
    return {
      ...base,
      dryRun: true,
      counts: plan.counts,
      bytes: plan.bytes,
      seconds,
      objectsPerSecond: 0,
      firstKeys: plan.firstKeys,
      unrestorable: plan.unrestorable,
      runs: 0,
    };
  }
  const journal = await RestoreJournal.start({
    s3: o.s3,
    bucket: o.journalBucket,
    target,
    source: o.bucket,
    backupId: o.at.toISOString(),
    tier: 'bucket',
    engine: mode,
    intoExisting: !o.to,
    parts: (prev?.parts ?? []).map((p) => ({ id: p.id, items: p.items })),
    resumeFrom: prev,
    journalEtag,
  });
  const startedPages = new Set((prev?.parts ?? []).filter((p) => !p.done).map((p) => p.id));
  const run = new PagePool(o, ctx, journal, facts, startedPages);
  try {
    await run.all(keyPages(o.s3, o.bucket, { prefix: o.prefix, afterKey: resumeAfter(prev) }));
  } catch (e) {
    await journal.failed(e instanceof Error ? e.message : String(e));
    throw e;
  }
  const verifyCtx: PlanContext = {
    ...ctx,
    copiedEtags: journal.record.objects,
    restoreStartedAt: new Date(Math.floor(new Date(journal.record.startedAt).getTime() / 1000) * 1000),
  };
  const verified = o.to ? await verifyCopy(o.s3, o.bucket, o.to, verifyCtx, o.prefix) : await verifyInPlace(o.s3, o.bucket, verifyCtx, o.prefix);
  if (verified.mismatchCount > 0) {
    const msg = `${verified.mismatchCount} of ${verified.checked} keys of "${destination}" do not match their state at ${o.at.toISOString()}: ${verified.mismatches.join('; ')}`;
    await journal.failed(msg);
    throw new BucketVerifyError(`${msg}; rerun with --resume to copy them again`, verified.mismatches);
  }
  await journal.verified(verified.checked);
  const seconds = (Date.now() - started) / 1000;
  const done = run.counts.restore + run.counts.delete;
  return {
    ...base,
    dryRun: false,
    counts: run.counts,
    bytes: run.bytes,
    seconds,
    objectsPerSecond: seconds > 0 ? done / seconds : 0,
    unrestorable: run.unrestorable,
    verified,
    runs: journal.record.runs,
  };
}

/** Runs every page's actions through at most `concurrency` requests in flight; marks pages done in the journal. */
class PagePool {
  readonly counts = emptyCounts();
  bytes = 0;
  objects = 0;
  readonly unrestorable: PlanCount['unrestorable'] = [];
  private readonly limit: number;

  constructor(
    private readonly o: RestoreBucketOptions,
    private readonly ctx: PlanContext,
    private readonly journal: RestoreJournal,
    private readonly facts: { destinationObjectLock: boolean; destinationKmsKeyId?: string },
    private readonly startedPages: ReadonlySet<string>,
  ) {
    this.limit = Math.max(1, o.concurrency ?? 32);
  }

  async all(pages: AsyncIterable<KeyPage>): Promise<void> {
    const running = new Set<Promise<void>>();
    let failure: unknown;
    for await (const page of pages) {
      this.journal.addPart({ id: page.lastKey, items: page.keys.length });
      const resumed = this.startedPages.has(page.lastKey);
      let left = page.keys.length;
      const pageDone = () => {
        if (--left === 0) this.journal.markPartDone(page.lastKey);
      };
      for (const kv of page.keys) {
        if (failure) break;
        while (running.size >= this.limit) await Promise.race(running);
        const action = planKey(kv, this.ctx);
        const p = this.apply(action, resumed)
          .then(pageDone)
          .catch((e: unknown) => {
            failure ??= e;
          });
        running.add(p);
        void p.finally(() => running.delete(p));
      }
      if (failure) break;
    }
    await Promise.all(running);
    if (failure) throw failure;
    await this.journal.flush();
  }

  private async apply(a: KeyAction, resumedPage: boolean): Promise<void> {
    this.counts[a.kind]++;
    if (a.kind === 'unrestorable' && this.unrestorable.length < 100)
      this.unrestorable.push({ key: a.key, oldestRestorable: a.oldestRestorable.toISOString(), reason: a.reason });
    if (a.kind === 'restore' && !(resumedPage && this.o.to && (await this.alreadyCopied(a.version)))) {
      await copyVersion(
        {
          s3: this.o.s3,
          sourceBucket: this.o.bucket,
          bucket: this.o.to ?? this.o.bucket,
          kmsKeyId: this.o.kmsKeyId ?? this.facts.destinationKmsKeyId,
          objectLock: this.facts.destinationObjectLock,
          multipartThreshold: this.o.multipartThreshold,
          partSize: this.o.partSize,
          beforeComplete: (key, etag) => this.journal.recordObject(key, etag),
        },
        a.version,
      );
      this.bytes += a.version.size;
    }
    if (a.kind === 'delete') await addDeleteMarker(this.o.s3, this.o.bucket, a.key);
    this.objects++;
    this.o.onProgress?.({ objects: this.objects, bytes: this.bytes });
  }

  /** A page a killed copy had started: is this key's copy already in the destination? */
  private async alreadyCopied(v: VersionEntry): Promise<boolean> {
    try {
      const h = await this.o.s3.send(new HeadObjectCommand({ Bucket: this.o.to!, Key: v.key }));
      const entry: VersionEntry = {
        ...v,
        versionId: h.VersionId ?? '',
        etag: (h.ETag ?? '').replace(/"/g, ''),
        size: h.ContentLength ?? -1,
        lastModified: h.LastModified!,
      };
      return sameContent(entry, v, this.ctx);
    } catch (e) {
      if ((e as { name?: string }).name === 'NotFound' || (e as { name?: string }).name === 'NoSuchKey') return false;
      throw e;
    }
  }
}
