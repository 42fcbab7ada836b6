/**
 * The check of a bucket restore: every key's size and checksum at the time match what the
 * bucket now holds. It runs per key range, so each listing page is checked as soon as its copies
 * are written, while the next pages copy (restore-bucket.ts); a page is done in the journal only
 * once checked. Streaming: the planned keys and the destination's listing are both in key order,
 * so a merge of the two holds one page of each.
 *
 * The checksum is the ETag (MD5 of the bytes for single-part, unencrypted or SSE-S3 objects); for
 * an SSE-KMS object or a copy of a multipart one S3's ETag is not the source's, so those match by
 * size and by being this restore's copy (written since it started, or the multipart ETag the
 * journal recorded).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { planKey, sameContent, type PlanContext } from './plan';
import { compareKeys, keyPages } from './versions';
import type { KeyVersions, VersionEntry } from './types';

/** The outcome of the check. */
export interface VerifyResult {
  /** Keys whose state at the time was compared. */
  readonly checked: number;
  /** "key: why", the first 20. */
  readonly mismatches: string[];
  readonly mismatchCount: number;
}

/** Keys after `after` (exclusive) up to `last` (inclusive; undefined: to the end), under the restore's prefix. */
export interface KeyRange {
  readonly prefix?: string;
  readonly after?: string;
  readonly last?: string;
  /** Keys the range should hold (a page's): the destination is listed no further than that. */
  readonly expectedKeys?: number;
}

const MAX_LISTED = 20;

/** An empty result. */
export function noMismatch(): VerifyResult {
  return { checked: 0, mismatches: [], mismatchCount: 0 };
}

/** Sums results (the first 20 mismatches kept). */
export function addResults(a: VerifyResult, b: VerifyResult): VerifyResult {
  return {
    checked: a.checked + b.checked,
    mismatches: [...a.mismatches, ...b.mismatches].slice(0, MAX_LISTED),
    mismatchCount: a.mismatchCount + b.mismatchCount,
  };
}

function collector() {
  const r = { checked: 0, mismatches: [] as string[], mismatchCount: 0 };
  const bad = (m: string) => {
    r.mismatchCount++;
    if (r.mismatches.length < MAX_LISTED) r.mismatches.push(m);
  };
  return { r, bad };
}

const inRange = (key: string, range: KeyRange) => range.after === undefined || compareKeys(key, range.after) > 0;
const pastRange = (key: string, range: KeyRange) => range.last !== undefined && compareKeys(key, range.last) > 0;

/** The keys of a listing that fall in `range`; stops listing once past it. */
export async function* keysInRange(keys: AsyncIterable<KeyVersions> | Iterable<KeyVersions>, range: KeyRange): AsyncGenerator<KeyVersions> {
  for await (const kv of keys) {
    if (pastRange(kv.key, range)) return;
    if (inRange(kv.key, range)) yield kv;
  }
}

/** The keys of a bucket's version listing in `range` (one listing from `range.after`). */
export async function* listedKeys(s3: S3Client, bucket: string, range: KeyRange): AsyncGenerator<KeyVersions> {
  for await (const page of keyPages(s3, bucket, { prefix: range.prefix, afterKey: range.after })) {
    for (const kv of page.keys) {
      if (pastRange(kv.key, range)) return;
      yield kv;
    }
  }
}

/** In place: planning the range again must find nothing left to do (every key as it was, or named unrestorable). */
export async function verifyInPlace(s3: S3Client, bucket: string, ctx: PlanContext, range: KeyRange): Promise<VerifyResult> {
  const { r, bad } = collector();
  for await (const kv of listedKeys(s3, bucket, range)) {
    const a = planKey(kv, ctx);
    if (a.kind === 'unrestorable') continue;
    r.checked++;
    if (a.kind === 'restore') bad(`${a.key}: the newest version is not the one of ${ctx.at.toISOString()} (size or checksum differ)`);
    if (a.kind === 'delete') bad(`${a.key}: did not exist at ${ctx.at.toISOString()} but is still there`);
  }
  return r;
}

async function* destinationObjects(s3: S3Client, bucket: string, range: KeyRange): AsyncGenerator<VersionEntry> {
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: range.prefix || undefined,
        StartAfter: token ? undefined : range.after,
        ContinuationToken: token,
        // one more than expected shows an extra key past the page; more would list the next page's keys
        MaxKeys: range.expectedKeys === undefined ? undefined : Math.min(1000, range.expectedKeys + 1),
      }),
    );
    for (const o of res.Contents ?? []) {
      if (pastRange(o.Key!, range)) return;
      yield {
        key: o.Key!,
        versionId: '',
        lastModified: o.LastModified!,
        isLatest: true,
        deleteMarker: false,
        size: o.Size ?? 0,
        etag: (o.ETag ?? '').replace(/"/g, ''),
      };
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Into another bucket: over `range` it holds exactly the keys present at the time, each with its
 * bytes. `planned` are the source's keys of the range (the page in memory, or a fresh listing).
 */
export async function verifyCopy(
  s3: S3Client,
  source: string,
  destination: string,
  ctx: PlanContext,
  range: KeyRange,
  planned: AsyncIterable<KeyVersions> | Iterable<KeyVersions>,
): Promise<VerifyResult> {
  const { r, bad } = collector();
  const dest = destinationObjects(s3, destination, range);
  const extra = (key: string) => bad(`${key}: in "${destination}" but not in "${source}" at ${ctx.at.toISOString()}`);
  let d = await dest.next();
  for await (const kv of keysInRange(planned, range)) {
    const a = planKey(kv, { ...ctx, inPlace: false });
    while (!d.done && compareKeys(d.value.key, kv.key) < 0) {
      extra(d.value.key);
      d = await dest.next();
    }
    const here = !d.done && d.value.key === kv.key ? d.value : undefined;
    if (here) d = await dest.next();
    if (a.kind === 'unrestorable') continue;
    r.checked++;
    if (a.kind === 'restore' && !here) bad(`${kv.key}: missing from "${destination}"`);
    else if (a.kind === 'restore' && !sameContent(here!, a.version, ctx)) bad(`${kv.key}: size or checksum differ from the version of ${ctx.at.toISOString()}`);
    else if (a.kind !== 'restore' && here) bad(`${kv.key}: did not exist at ${ctx.at.toISOString()} but is in "${destination}"`);
  }
  for (; !d.done; d = await dest.next()) extra(d.value.key);
  return r;
}
