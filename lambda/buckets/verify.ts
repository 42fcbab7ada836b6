/**
 * The check after a bucket restore: every key's size and checksum at the time match what the
 * bucket now holds. Streaming like the restore itself: the source's plan and the destination's
 * listing are both in key order, so a merge of the two needs one page of each in memory.
 *
 * The checksum is the ETag (MD5 of the bytes for single-part, unencrypted or SSE-S3 objects); for
 * an SSE-KMS object or a copy of a multipart one S3's ETag is not the source's, so those match by
 * size and by being this restore's copy (written since it started, or the multipart ETag the
 * journal recorded).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { planKey, sameContent, type PlanContext } from './plan';
import { compareKeys, keyPages } from './versions';
import type { VersionEntry } from './types';

/** The outcome of the check. */
export interface VerifyResult {
  /** Keys whose state at the time was compared. */
  readonly checked: number;
  /** "key: why", the first 20. */
  readonly mismatches: string[];
  readonly mismatchCount: number;
}

const MAX_LISTED = 20;

function collector() {
  const r = { checked: 0, mismatches: [] as string[], mismatchCount: 0 };
  const bad = (m: string) => {
    r.mismatchCount++;
    if (r.mismatches.length < MAX_LISTED) r.mismatches.push(m);
  };
  return { r, bad };
}

/** In place: planning again must find nothing left to do (every key as it was, or named unrestorable). */
export async function verifyInPlace(s3: S3Client, bucket: string, ctx: PlanContext, prefix?: string): Promise<VerifyResult> {
  const { r, bad } = collector();
  for await (const page of keyPages(s3, bucket, { prefix })) {
    for (const kv of page.keys) {
      const a = planKey(kv, ctx);
      if (a.kind === 'unrestorable') continue;
      r.checked++;
      if (a.kind === 'restore') bad(`${a.key}: the newest version is not the one of ${ctx.at.toISOString()} (size or checksum differ)`);
      if (a.kind === 'delete') bad(`${a.key}: did not exist at ${ctx.at.toISOString()} but is still there`);
    }
  }
  return r;
}

async function* destinationObjects(s3: S3Client, bucket: string, prefix?: string): AsyncGenerator<VersionEntry> {
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
    for (const o of res.Contents ?? [])
      yield {
        key: o.Key!,
        versionId: '',
        lastModified: o.LastModified!,
        isLatest: true,
        deleteMarker: false,
        size: o.Size ?? 0,
        etag: (o.ETag ?? '').replace(/"/g, ''),
      };
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
}

/** Into another bucket: it holds exactly the keys present at the time, each with its bytes. */
export async function verifyCopy(s3: S3Client, source: string, destination: string, ctx: PlanContext, prefix?: string): Promise<VerifyResult> {
  const { r, bad } = collector();
  const dest = destinationObjects(s3, destination, prefix);
  let d = await dest.next();
  for await (const page of keyPages(s3, source, { prefix })) {
    for (const kv of page.keys) {
      const a = planKey(kv, { ...ctx, inPlace: false });
      while (!d.done && compareKeys(d.value.key, kv.key) < 0) {
        bad(`${d.value.key}: in "${destination}" but not in "${source}" at ${ctx.at.toISOString()}`);
        d = await dest.next();
      }
      const here = !d.done && d.value.key === kv.key ? d.value : undefined;
      if (here) d = await dest.next();
      if (a.kind === 'unrestorable') continue;
      r.checked++;
      if (a.kind === 'restore' && !here) bad(`${kv.key}: missing from "${destination}"`);
      else if (a.kind === 'restore' && !sameContent(here!, a.version, ctx))
        bad(`${kv.key}: size or checksum differ from the version of ${ctx.at.toISOString()}`);
      else if (a.kind !== 'restore' && here) bad(`${kv.key}: did not exist at ${ctx.at.toISOString()} but is in "${destination}"`);
    }
  }
  for (; !d.done; d = await dest.next()) bad(`${d.value.key}: in "${destination}" but not in "${source}" at ${ctx.at.toISOString()}`);
  return r;
}
