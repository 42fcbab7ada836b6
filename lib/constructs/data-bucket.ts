import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Props of {@link dataBucket}. */
export interface DataBucketProps {
  readonly bucketName: string;
  /** Key of SSE-KMS (with an S3 Bucket Key). */
  readonly encryptionKey: kms.IKey;
  /** Where access logs go, under the prefix `<bucketName>/`. */
  readonly logBucket: s3.IBucket;
  /**
   * S3 Object Lock on the bucket (no default retention: replicas keep the retention of their
   * source objects). Replicating a locked source needs a locked replica.
   * @default false
   */
  readonly objectLock?: boolean;
  /** @default - none: versions are kept */
  readonly lifecycleRules?: s3.LifecycleRule[];
}

/**
 * The settings every bucket holding shop data or backups shares (data buckets, their replicas,
 * the backup and replica buckets): SSE-KMS with an S3 Bucket Key, versioned, all public access
 * blocked, TLS only, access logs under `<bucketName>/` in `logBucket`.
 */
export function secureKmsBucketProps(props: Pick<DataBucketProps, 'bucketName' | 'encryptionKey' | 'logBucket'>): s3.BucketProps {
  return {
    bucketName: props.bucketName,
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.encryptionKey,
    bucketKeyEnabled: true,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    serverAccessLogsBucket: props.logBucket,
    serverAccessLogsPrefix: `${props.bucketName}/`,
  };
}

/**
 * A media/data bucket the stacks create (a shop's `dataBuckets`, and their replicas in the
 * recovery region): SSE-KMS, versioned (replication needs it), private, TLS only, access-logged,
 * retained when the stack is deleted.
 */
export function dataBucket(scope: Construct, id: string, props: DataBucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    ...secureKmsBucketProps(props),
    lifecycleRules: props.lifecycleRules,
    objectLockEnabled: props.objectLock ? true : undefined,
    // Kept on delete and replacement; a create that rolls back removes it, so the retry can create it again.
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  });
}
