/**
 * The write side of a bucket restore: every listing page's keys through one bounded pool of
 * copies, and each page checked as soon as its copies are written, while the next pages copy.
 *
 * Why it overlaps (BENCHMARKS.md, figure 8): a restore that lists, copies, then lists again to
 * verify spends the first listing and the whole check with the copy pool empty. Here the next
 * page is listed while the current one copies ({@link prefetched}), and a page's check (a listing
 * of its key range) runs beside the following pages' copies. A page is done in the journal only
 * once every key of it is written AND checked, so `--resume` never skips an unchecked page.
 * Memory: the page being copied, the one listed ahead, and the pages being checked.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { RestoreJournal } from '../restore/journal';
import { addDeleteMarker, copyVersion } from './copy';
import { emptyCounts, planKey, sameContent, type PlanContext, type PlanCount } from './plan';
import type { BucketFacts } from './preflight';
import type { KeyAction, RestoreBucketOptions, VersionEntry } from './types';
import { addResults, noMismatch, verifyCopy, verifyInPlace, type KeyRange, type VerifyResult } from './verify';
import type { KeyPage } from './versions';

/**
 * The items of `src` with the next one always requested ahead: its request is in flight while the
 * caller works on the current one. The first request starts at once.
 */
export function prefetched<T>(src: AsyncIterable<T>): AsyncGenerator<T> {
  const it = src[Symbol.asyncIterator]();
  const ask = () => {
    const p = it.next();
    // handled here so a failure while the caller is busy is not an unhandled rejection; awaited below
    p.catch(() => undefined);
    return p;
  };
  let next = ask();
  return (async function* () {
    try {
      for (;;) {
        const r = await next;
        if (r.done) return;
        next = ask();
        yield r.value;
      }
    } finally {
      await next.catch(() => undefined);
      await it.return?.(undefined);
    }
  })();
}

/** Runs every page's actions through at most `concurrency` requests in flight; checks each page, then marks it done in the journal. */
export class PagePool {
  readonly counts = emptyCounts();
  bytes = 0;
  objects = 0;
  readonly unrestorable: PlanCount['unrestorable'] = [];
  /** The check of every page this run wrote. */
  verified: VerifyResult = noMismatch();
  private readonly limit: number;
  private wake?: () => void;

  constructor(
    private readonly o: RestoreBucketOptions,
    private readonly ctx: PlanContext,
    /** The plan's context for the checks (the first start's time: see PlanContext.restoreStartedAt). */
    private readonly checkCtx: PlanContext,
    private readonly journal: RestoreJournal,
    private readonly facts: BucketFacts,
    private readonly startedPages: ReadonlySet<string>,
  ) {
    this.limit = Math.max(1, o.concurrency ?? 32);
  }

  /**
   * Writes and checks every page after `after` (the last page a previous run finished); returns
   * the last key of the last page (where a copy's check of extra keys starts).
   */
  async all(pages: AsyncIterable<KeyPage>, after: string | undefined): Promise<string | undefined> {
    const running = new Set<Promise<void>>();
    const checks: Promise<void>[] = [];
    let failure: unknown;
    let last = after;
    for await (const page of pages) {
      const known = this.journal.record.parts.some((p) => p.id === page.lastKey);
      this.journal.addPart({ id: page.lastKey, items: page.keys.length });
      // The page is in the journal before any of its copies is sent (one write per page, while the
      // previous page's copies run): a killed copy's resume then checks each key of it before
      // copying, and never writes a second version into the destination.
      if (!known) await this.journal.flush().catch((e: unknown) => (failure ??= e));
      if (failure) break;
      const resumed = this.startedPages.has(page.lastKey);
      const range = { prefix: this.o.prefix, after: last, last: page.lastKey, expectedKeys: page.keys.length };
      last = page.lastKey;
      const written: Promise<void>[] = [];
      for (const kv of page.keys) {
        if (failure) break;
        // One waiter (this loop), woken by the copy that frees a slot: no race over every promise in flight.
        while (running.size >= this.limit) await new Promise<void>((wake) => (this.wake = wake));
        const p = this.apply(planKey(kv, this.ctx), resumed)
          .catch((e: unknown) => {
            failure ??= e;
          })
          .finally(() => {
            running.delete(p);
            this.wake?.();
          });
        running.add(p);
        written.push(p);
      }
      if (failure) break;
      const check = Promise.all(written)
        .then(() => (failure ? undefined : this.check(page, range)))
        .catch((e: unknown) => {
          failure ??= e;
        });
      checks.push(check);
    }
    await Promise.all(running);
    await Promise.all(checks);
    if (failure) throw failure;
    return last;
  }

  /** The check of one page; a page whose keys all match is done. */
  private async check(page: KeyPage, range: KeyRange): Promise<void> {
    const o = this.o;
    const ctx = { ...this.checkCtx, copiedEtags: this.journal.record.objects };
    const r = o.to ? await verifyCopy(o.s3, o.bucket, o.to, ctx, range, page.keys) : await verifyInPlace(o.s3, o.bucket, ctx, range);
    this.verified = addResults(this.verified, r);
    if (r.mismatchCount === 0) this.journal.markPartDone(page.lastKey);
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
