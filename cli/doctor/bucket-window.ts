/**
 * `dr doctor`'s check of a data bucket for `dr restore-bucket`: versioning, and how long
 * noncurrent versions are kept (the restore horizon, `dataBuckets[].versionsDays`). Read-only:
 * GetBucketVersioning and GetBucketLifecycleConfiguration.
 */
import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import { readHorizon } from '../../lambda/buckets/preflight';
import { awsSaid, CheckResult, fail, isError, pass, warn } from './result';
import type { RegionClients } from './target';

/** Versioning on, and the noncurrent-version window against `versionsDays`. */
export async function bucketWindowCheck(clients: RegionClients, bucket: string, versionsDays: number): Promise<CheckResult> {
  const check = `restore window ${bucket}`;
  try {
    const status = (await clients.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
    if (status !== 'Enabled')
      return fail(
        check,
        `versioning is ${status ?? 'off (never enabled)'}: dr restore-bucket cannot bring back any overwritten or deleted object`,
        `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled --region ${clients.region} (docs/bucket-recovery.md)`,
      );
    const days = (await readHorizon(clients.s3, bucket)).noncurrentDays;
    if (days === undefined)
      return warn(
        check,
        'versioned, noncurrent versions kept forever: restore-bucket reaches any time, and storage grows with every overwrite',
        `set a window: a lifecycle rule NoncurrentVersionExpiration of ${versionsDays} days (dataBuckets[].versionsDays; the stack sets it on the buckets it creates)`,
      );
    if (days < versionsDays)
      return warn(
        check,
        `versioned, noncurrent versions kept ${days} days: restore-bucket reaches back ${days} days, not the ${versionsDays} of dataBuckets[].versionsDays`,
        `raise the bucket's NoncurrentVersionExpiration to ${versionsDays} days, or lower versionsDays to what the bucket keeps`,
      );
    return pass(check, `versioned; noncurrent versions kept ${days} days: dr restore-bucket reaches back ${days} days`);
  } catch (e) {
    if (isError(e, 'NoSuchBucket'))
      return fail(check, `bucket ${bucket} does not exist in ${clients.region}${awsSaid(e)}`, 'create it, or correct dataBuckets[].name in dr.config.json');
    throw e;
  }
}
