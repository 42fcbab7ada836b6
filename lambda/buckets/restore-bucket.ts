/**
 * `dr restore-bucket`: bring a versioned bucket (or a prefix of it) back to its state at a time,
 * in place or into another, empty bucket; resumable, verified.
 *
 * The listing streams page by page into a bounded pool of copies (page-pool.ts; memory: a few
 * pages plus the copies in flight). Each page is a part of the restore journal
 * (lambda/restore/journal, in the backup bucket under `restores/bucket/<destination>.json`), done
 * once every key of it is written and checked; a resumed run lists again after the last page of
 * the unbroken run of done pages, and checks those earlier pages again beside its copies. Keys of
 * a page a killed run had started are recognised as already restored (same bytes, or written by
 * this restore since it started), so no object is copied twice into a newer version.
 *
 * The checks before any write (preflight.ts) and the journal's read go out together, and the
 * first listing page is requested while the journal is claimed: nothing waits on a round trip it
 * does not need.
 */
import { createHash } from 'node:crypto';
import { RestoreJournal, readJournalVersion, type RestoreJournalRecord } from '../restore/journal';
import { PagePool, prefetched } from './page-pool';
import { countPlan, type PlanContext, type PlanCount } from './plan';
import { preflight } from './preflight';
import { BucketRestoreRefusedError, BucketVerifyError, type ActionCounts, type RestoreBucketOptions } from './types';
import { addResults, listedKeys, verifyCopy, verifyInPlace, type KeyRange, type VerifyResult } from './verify';
import { keyPages } from './versions';

export type { RestoreBucketOptions } from './types';

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

/**
 * The arguments of `dr restore-bucket` that continue the unfinished restore a journal records
 * (`dr list` prints them): the source, the time, where it goes, the prefix, `--resume`.
 */
export function resumeArgs(j: Pick<RestoreJournalRecord, 'target' | 'source' | 'backupId' | 'engine' | 'prefix'>): string[] {
  const destination = j.target.split('/')[1];
  const where = j.engine === 'copy' ? ['--to', destination] : ['--in-place', '--confirm'];
  return [j.source, '--at', j.backupId, ...where, ...(j.prefix ? ['--prefix', j.prefix] : []), '--resume'];
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

/** Settles both, then throws the first failure in the order given (the journal's refusal before the checks'). */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** Listed times have whole seconds: a copy written in the start's second must count as this restore's. */
const wholeSecond = (iso: string) => new Date(Math.floor(new Date(iso).getTime() / 1000) * 1000);

/** Restores the bucket (see the file comment). Throws BucketRestoreRefusedError before any write, BucketVerifyError after a bad copy. */
export async function restoreBucket(o: RestoreBucketOptions): Promise<RestoreBucketReport> {
  const started = Date.now();
  const now = new Date();
  const destination = o.to ?? o.bucket;
  const target = bucketJournalTarget(destination, o.prefix);
  const opened = o.dryRun ? Promise.resolve({} as Awaited<ReturnType<typeof openJournal>>) : openJournal(o, target, destination);
  const [{ prev, journalEtag }, facts] = await both(
    opened,
    preflight(o.s3, {
      bucket: o.bucket,
      at: o.at,
      now,
      to: o.to,
      inPlaceConfirmed: o.confirm === true,
      dryRun: o.dryRun === true,
      resumingCopy: opened.then(
        (j) => j.prev !== undefined,
        () => false,
      ),
      prefix: o.prefix,
    }),
  );
  const ctx: PlanContext = {
    at: o.at,
    now,
    inPlace: !o.to,
    horizon: o.horizon ?? (o.lifecycleDayMs ? { ...facts.horizon, dayMs: o.lifecycleDayMs } : facts.horizon),
    copiedEtags: prev?.objects,
    restoreStartedAt: prev ? wholeSecond(prev.startedAt) : undefined,
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
  const after = resumeAfter(prev);
  // The first page is listed while the journal is claimed (a read; nothing is written before the claim).
  const pages = prefetched(keyPages(o.s3, o.bucket, { prefix: o.prefix, afterKey: after, pageSize: o.listPageSize }));
  o.onFirstWrite?.();
  const journal = await RestoreJournal.start({
    s3: o.s3,
    bucket: o.journalBucket,
    target,
    source: o.bucket,
    backupId: o.at.toISOString(),
    tier: 'bucket',
    engine: mode,
    intoExisting: !o.to,
    prefix: o.prefix,
    parts: (prev?.parts ?? []).map((p) => ({ id: p.id, items: p.items })),
    resumeFrom: prev,
    journalEtag,
  }).catch(async (e: unknown) => {
    await pages.return(undefined);
    throw e;
  });
  // The check: a version of the right size written since the first start is this restore's copy.
  const checkCtx: PlanContext = { ...ctx, restoreStartedAt: wholeSecond(journal.record.startedAt) };
  const startedPages = new Set((prev?.parts ?? []).filter((p) => !p.done).map((p) => p.id));
  const run = new PagePool(o, ctx, checkCtx, journal, facts, startedPages);
  let verified: VerifyResult;
  try {
    // A resumed run checks the pages earlier runs finished again, beside its own copies.
    const earlier = after === undefined ? undefined : checkRange(o, { ...checkCtx, copiedEtags: prev?.objects }, { prefix: o.prefix, last: after });
    earlier?.catch(() => undefined);
    const last = await run.all(pages, after);
    verified = addResults(run.verified, (await earlier) ?? { checked: 0, mismatches: [], mismatchCount: 0 });
    // Into another bucket: nothing may follow the last key the source had.
    if (o.to) verified = addResults(verified, await verifyCopy(o.s3, o.bucket, o.to, checkCtx, { prefix: o.prefix, after: last }, []));
  } catch (e) {
    await journal.failed(e instanceof Error ? e.message : String(e));
    throw e;
  }
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

/** The check of a key range written by earlier runs: listed again (the source, and the destination of a copy). */
function checkRange(o: RestoreBucketOptions, ctx: PlanContext, range: KeyRange): Promise<VerifyResult> {
  return o.to ? verifyCopy(o.s3, o.bucket, o.to, ctx, range, listedKeys(o.s3, o.bucket, range)) : verifyInPlace(o.s3, o.bucket, ctx, range);
}
