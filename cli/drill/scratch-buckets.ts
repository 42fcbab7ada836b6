/**
 * The drill's scratch uploads bucket on AWS (scenario 6): named `<app>-drill-uploads-<time>-<random>`,
 * emptied and deleted at the end of the scenario, and a bucket a killed drill left behind (its
 * cleanup never ran) is found by that prefix and its age and removed by the next drill, like the
 * restore test's stale `*-drtest-*` tables (lambda/restore/restore-test.ts).
 *
 * Requests (`<app>-dr-operator-drill`, lib/constructs/drill-operator-policy.ts; proven by test/permissions/drill-aws.test.ts):
 * ListBuckets (s3:ListAllMyBuckets), CreateBucket, PutBucketVersioning, ListObjectVersions
 * (s3:ListBucketVersions), DeleteObjects by version (s3:DeleteObjectVersion per object), DeleteBucket.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { drillScratchPrefix } from '../../lib/config-names';

/** A scratch bucket older than this was left by a drill that did not finish (no drill runs six hours). */
export const STALE_SCRATCH_BUCKET_MS = 6 * 3600_000;
/** Bounded loops: ListBuckets pages (10,000 buckets each) and listing pages per bucket (1,000 versions each). */
const MAX_PAGES = 10_000;

/** `<app>-drill-uploads-`: the prefix every scratch uploads bucket of this app starts with. */
export function scratchBucketPrefix(appName: string): string {
  return `${drillScratchPrefix({ appName: appName.toLowerCase().replace(/[^a-z0-9-]/g, '-') })}uploads-`;
}

/** A new scratch bucket name: the prefix, the time (UTC, to the second) and 8 random hex digits (bucket names are global). */
export function scratchBucketName(appName: string, now: Date, random = randomBytes(4).toString('hex')): string {
  const time = now
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
  return `${scratchBucketPrefix(appName)}${time}-${random}`.slice(0, 63);
}

/** Creates the versioned scratch bucket in the client's region. */
export async function createScratchBucket(s3: S3Client, bucket: string): Promise<void> {
  const region = await s3.config.region();
  // CreateBucket outside us-east-1 must name the region (else IllegalLocationConstraintException).
  const where = region && region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } } : {};
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ...where }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
}

/** Deletes every version and delete marker of a scratch bucket, then the bucket. */
export async function deleteScratchBucket(s3: S3Client, bucket: string): Promise<void> {
  for (let page = 0; page < MAX_PAGES; page++) {
    // From the start each time: what was listed is gone.
    const res = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const objects = [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    if (objects.length === 0) break;
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    if (out.Errors?.length)
      throw new Error(
        `could not empty scratch bucket "${bucket}": ${out.Errors.slice(0, 3)
          .map((e) => `${e.Key}: ${e.Code} ${e.Message ?? ''}`.trim())
          .join('; ')}`,
      );
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Finds this app's scratch uploads buckets created more than {@link STALE_SCRATCH_BUCKET_MS}
 * before `now` (a killed drill's) and deletes them; a younger one may be another drill's, running.
 */
export async function sweepStaleScratchBuckets(s3: S3Client, appName: string, now: Date): Promise<{ deleted: string[]; errors: string[] }> {
  const prefix = scratchBucketPrefix(appName);
  const stale: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await s3.send(new ListBucketsCommand({ Prefix: prefix, ContinuationToken: token }));
    for (const b of res.Buckets ?? [])
      // Prefix is a filter S3 applies; checked here too (an endpoint may ignore it).
      if (b.Name?.startsWith(prefix) && b.CreationDate && now.getTime() - b.CreationDate.getTime() > STALE_SCRATCH_BUCKET_MS) stale.push(b.Name);
    token = res.ContinuationToken;
    if (!token) break;
  }
  const deleted: string[] = [];
  const errors: string[] = [];
  for (const b of stale) {
    try {
      await deleteScratchBucket(s3, b);
      deleted.push(b);
    } catch (e) {
      errors.push(`could not delete stale scratch bucket "${b}": ${(e as Error).message}`);
    }
  }
  return { deleted, errors };
}
