/**
 * The checks of a bucket restore before anything is written, and the bucket facts the restore
 * needs (versioning, lifecycle horizon, Object Lock and default key of the destination). Every
 * refusal is a {@link BucketRestoreRefusedError} that names the problem and the fix.
 */
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { BucketRestoreRefusedError, type VersionHorizon } from './types';

/** What a restore asks for, as far as the checks go. */
export interface PreflightRequest {
  readonly bucket: string;
  readonly at: Date;
  readonly now: Date;
  /** Undefined: in place. */
  readonly to?: string;
  readonly inPlaceConfirmed: boolean;
  readonly dryRun: boolean;
  /** A resumed copy into `to` may find it holding this restore's own objects (known once the journal is read). */
  readonly resumingCopy: boolean | Promise<boolean>;
  readonly prefix?: string;
}

/** Facts found by the checks. */
export interface BucketFacts {
  readonly horizon: VersionHorizon;
  readonly destinationObjectLock: boolean;
  /** The destination's default SSE-KMS key, when it has one. */
  readonly destinationKmsKeyId?: string;
}

const errorName = (e: unknown): string => (e as { name?: string })?.name ?? '';

/** Noncurrent-version expiration of the rules that cover `prefix` (the shortest wins), or undefined. */
export async function readHorizon(s3: S3Client, bucket: string, prefix = ''): Promise<VersionHorizon> {
  try {
    const lc = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    const days = (lc.Rules ?? [])
      .filter((r) => r.Status === 'Enabled' && r.NoncurrentVersionExpiration?.NoncurrentDays !== undefined)
      .filter((r) => {
        const p = r.Filter?.Prefix ?? r.Filter?.And?.Prefix ?? r.Prefix ?? '';
        return prefix.startsWith(p) || p.startsWith(prefix);
      })
      .map((r) => r.NoncurrentVersionExpiration!.NoncurrentDays!);
    return { noncurrentDays: days.length ? Math.min(...days) : undefined };
  } catch (e) {
    if (errorName(e) === 'NoSuchLifecycleConfiguration') return {};
    throw e;
  }
}

async function objectLockEnabled(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    const c = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    return c.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (e) {
    if (errorName(e) === 'ObjectLockConfigurationNotFoundError') return false;
    throw e;
  }
}

async function defaultKmsKey(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const d = enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    return d?.SSEAlgorithm === 'aws:kms' ? d.KMSMasterKeyID : undefined;
  } catch {
    // ServerSideEncryptionConfigurationNotFoundError, or a local S3 without bucket encryption (Ceph 16)
    return undefined;
  }
}

/** Runs every check, in the order a person would want to hear them, and returns the facts. */
export async function preflight(s3: S3Client, req: PreflightRequest): Promise<BucketFacts> {
  if (req.at > req.now)
    throw new BucketRestoreRefusedError(
      `--at ${req.at.toISOString()} is in the future (now ${req.now.toISOString()}): nothing was written; give a time in the past`,
    );
  if (!req.to && !req.inPlaceConfirmed && !req.dryRun)
    throw new BucketRestoreRefusedError(
      `--in-place rewrites bucket "${req.bucket}" and needs --confirm: nothing was written; run with --dry-run to see the plan, then again with --confirm`,
    );
  // Every read goes out at once (nothing here writes); the answers are judged in the order above.
  const dest = req.to ?? req.bucket;
  const [versioningP, horizonP, listedP, lockP, keyP] = [
    s3.send(new GetBucketVersioningCommand({ Bucket: req.bucket })),
    readHorizon(s3, req.bucket, req.prefix),
    req.to ? s3.send(new ListObjectsV2Command({ Bucket: req.to, MaxKeys: 1 })) : Promise.resolve(undefined),
    objectLockEnabled(s3, dest),
    defaultKmsKey(s3, dest),
  ];
  await Promise.allSettled([versioningP, horizonP, listedP, lockP, keyP]);
  const versioning = (await versioningP).Status;
  if (versioning !== 'Enabled') {
    const how =
      versioning === 'Suspended'
        ? 'versioning is Suspended: every write since it was suspended replaced the object in place, so no state before those writes can be restored'
        : 'versioning was never enabled: every overwrite and delete replaced the object, so no earlier state at all can be restored';
    throw new BucketRestoreRefusedError(
      `bucket "${req.bucket}" is not versioned (${how}); nothing was written. Fix for the future: aws s3api put-bucket-versioning --bucket ${req.bucket} --versioning-configuration Status=Enabled (dr-stack's data buckets are versioned and keep noncurrent versions for dataBuckets[].versionsDays)`,
    );
  }
  const horizon = await horizonP;
  const listed = await listedP;
  if (req.to && listed && !(await req.resumingCopy) && (listed.KeyCount ?? listed.Contents?.length ?? 0) > 0)
    throw new BucketRestoreRefusedError(
      `--to bucket "${req.to}" is not empty (it holds "${listed.Contents?.[0]?.Key}"): nothing was written; a restore copies into an empty bucket so that what it holds afterwards is exactly the state at the time. Choose an empty bucket, or use --in-place`,
    );
  const [destinationObjectLock, destinationKmsKeyId] = [await lockP, await keyP];
  return { horizon, destinationObjectLock, destinationKmsKeyId };
}
