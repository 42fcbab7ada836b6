import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { secureKmsBucketProps } from './data-bucket';
import { windowRetentionDays, windowRetentionProblem } from '../config-incremental';

/** Retention in days per scheduled tier. */
export interface TierRetention {
  /** Days a `backups/daily/` object is kept. */
  readonly dailyDays: number;
  /** Days a `backups/weekly/` object is kept. */
  readonly weeklyDays: number;
  /** Days a `backups/monthly/` object is kept. */
  readonly monthlyDays: number;
  /**
   * Days a `backups/incremental/` object (a window of a chain) is kept: from `dailyDays + 1` to
   * the longest tier + 1 (lib/config-incremental.ts, windowRetentionProblem).
   * @default - dailyDays + 1: every minute since the oldest daily set is restorable
   */
  readonly windowDays?: number;
}

/** Props of {@link TieredBackupBucket}. */
export interface TieredBackupBucketProps {
  /** Physical bucket name (deterministic so the CLI and the other region can name it). */
  readonly bucketName: string;
  /** Customer-managed key for SSE-KMS (with an S3 bucket key). */
  readonly encryptionKey: kms.IKey;
  /** Expiry per tier prefix. */
  readonly retention: TierRetention;
  /** Object Lock default retention mode. @default 'GOVERNANCE' */
  readonly objectLockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  /** Object Lock default retention in days; must not exceed `retention.dailyDays`. @default 7 */
  readonly objectLockDays?: number;
  /** Days a noncurrent (overwritten or deleted) version is kept. @default 30 */
  readonly noncurrentVersionDays?: number;
  /** Days server access logs are kept in the log bucket. @default 365 */
  readonly accessLogDays?: number;
  /** @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except when the create itself rolls back: a retry would otherwise fail with "already exists") */
  readonly removalPolicy?: RemovalPolicy;
}

/** Storage class transitions only pay off if the object then stays this long in the class (minimum billed days). */
const TRANSITIONS: readonly { afterDays: number; storageClass: s3.StorageClass; minimumDays: number }[] = [
  { afterDays: 30, storageClass: s3.StorageClass.INFREQUENT_ACCESS, minimumDays: 30 },
  { afterDays: 90, storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, minimumDays: 90 },
];

/**
 * Lifecycle rules of one tier prefix: expiry at the retention, and each transition whose
 * minimum storage duration still fits before the expiry (daily 30 d: none; weekly 90 d:
 * STANDARD_IA after 30; monthly 365 d: STANDARD_IA after 30, GLACIER_IR after 90).
 */
export function renderTierLifecycle(tier: string, expiryDays: number): s3.LifecycleRule {
  const transitions = TRANSITIONS.filter((t) => t.afterDays + t.minimumDays <= expiryDays).map((t) => ({
    storageClass: t.storageClass,
    transitionAfter: Duration.days(t.afterDays),
  }));
  return {
    id: `${tier}-tier`,
    prefix: `backups/${tier}/`,
    expiration: Duration.days(expiryDays),
    transitions: transitions.length ? transitions : undefined,
    abortIncompleteMultipartUploadAfter: Duration.days(7),
  };
}

/**
 * The lifecycle of the incremental export windows (`backups/incremental/`: data files, window.json,
 * catalog entries, `_latest.json`). A restore at time t takes the newest full set before t,
 * whatever its tier, and the windows after it; windows are kept `retention.windowDays` (by default
 * a day past the daily tier): every minute since the oldest set of that tier is restorable, and no
 * window outlives every set it could follow by more than a day plus the gap between two of those
 * sets (docs/rpo.md, "How long windows are kept").
 */
export function renderWindowLifecycle(retention: TierRetention): s3.LifecycleRule {
  return {
    id: 'incremental-windows',
    prefix: 'backups/incremental/',
    expiration: Duration.days(windowRetentionDays(retention)),
    abortIncompleteMultipartUploadAfter: Duration.days(7),
  };
}

/**
 * A bucket for backup sets: SSE-KMS with a bucket key, versioned, Object Lock with a default
 * retention, public access blocked, SSL only, server access logs to its own log bucket, and a
 * lifecycle per tier prefix. Used for the backup bucket and for its replica.
 */
export class TieredBackupBucket extends Construct {
  /** The backup bucket. */
  public readonly bucket: s3.Bucket;
  /** The bucket receiving the server access logs (SSE-S3: S3 log delivery cannot write SSE-KMS). */
  public readonly logBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: TieredBackupBucketProps) {
    super(scope, id);
    const { retention } = props;
    const lockDays = props.objectLockDays ?? 7;
    const days: Record<string, number> = {
      dailyDays: retention.dailyDays,
      weeklyDays: retention.weeklyDays,
      monthlyDays: retention.monthlyDays,
      ...(retention.windowDays === undefined ? {} : { windowDays: retention.windowDays }),
    };
    for (const [name, value] of Object.entries(days)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`TieredBackupBucket retention.${name} must be a whole number of days >= 1 (got ${value})`);
    }
    const windows = windowRetentionProblem(retention);
    if (windows) throw new Error(`TieredBackupBucket ${windows}`);
    if (lockDays > retention.dailyDays) {
      throw new Error(
        `TieredBackupBucket objectLockDays (${lockDays}) must not exceed retention.dailyDays (${retention.dailyDays}): locked objects could not expire`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.accessLogDays ?? 365), noncurrentVersionExpiration: Duration.days(7) }],
      removalPolicy,
    });

    const mode = props.objectLockMode ?? 'GOVERNANCE';
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...secureKmsBucketProps({ bucketName: props.bucketName, encryptionKey: props.encryptionKey, logBucket: this.logBucket }),
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        mode === 'COMPLIANCE' ? s3.ObjectLockRetention.compliance(Duration.days(lockDays)) : s3.ObjectLockRetention.governance(Duration.days(lockDays)),
      lifecycleRules: [
        renderTierLifecycle('daily', retention.dailyDays),
        renderTierLifecycle('weekly', retention.weeklyDays),
        renderTierLifecycle('monthly', retention.monthlyDays),
        renderWindowLifecycle(retention),
        {
          id: 'noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });
  }
}
