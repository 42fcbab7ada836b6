import * as iam from 'aws-cdk-lib/aws-iam';

/** What {@link bucketRestoreStatements} needs to know. */
export interface BucketRestoreStatementsProps {
  /** `arn:<partition>:s3:::` */
  readonly s3ArnPrefix: string;
  /** Every data bucket and its replica, by name. */
  readonly buckets: readonly string[];
  /** KMS keys the data buckets encrypt with (resources and conditions of a statement). */
  readonly keys: { readonly resources: string[]; readonly conditions?: Record<string, unknown> };
  /** ARNs of existing data buckets' own keys (`dataBuckets[].kmsKeyArn`). */
  readonly existingKeyArns: readonly string[];
}

/**
 * The operator statements of `dr restore-bucket` (docs/bucket-recovery.md, "Permissions"), part
 * of `<app>-dr-operator-restore`. Scoped to the data buckets, their replicas and restore targets
 * named `<bucket>-restored*` (`--to`); the journal is covered by the table restore's RestoreJournal
 * statement (restores/* in the backup and replica buckets).
 *
 * Per the S3 API reference: ListObjectVersions needs s3:ListBucketVersions; CopyObject and
 * UploadPartCopy from a version need s3:GetObjectVersion on the source (and, with the default
 * TaggingDirective COPY, s3:GetObjectVersionTagging on it and s3:PutObjectTagging on the copy);
 * HeadObject by version reports retention and legal hold only with s3:GetObjectRetention and
 * s3:GetObjectLegalHold; writing retention or legal hold on a copy needs s3:PutObjectRetention /
 * s3:PutObjectLegalHold; a delete marker is s3:DeleteObject (no version: never DeleteObjectVersion).
 */
export function bucketRestoreStatements(p: BucketRestoreStatementsProps): iam.PolicyStatement[] {
  const names = p.buckets.flatMap((b) => [b, `${b}-restored*`]);
  const buckets = names.map((b) => `${p.s3ArnPrefix}${b}`);
  const objects = names.map((b) => `${p.s3ArnPrefix}${b}/*`);
  return [
    new iam.PolicyStatement({
      sid: 'BucketRestoreBuckets',
      actions: [
        's3:ListBucket',
        's3:ListBucketVersions',
        's3:GetBucketVersioning',
        's3:GetLifecycleConfiguration',
        's3:GetBucketObjectLockConfiguration',
        's3:GetEncryptionConfiguration',
      ],
      resources: buckets,
    }),
    new iam.PolicyStatement({
      sid: 'BucketRestoreObjects',
      actions: [
        's3:GetObject',
        's3:GetObjectVersion',
        's3:GetObjectTagging',
        's3:GetObjectVersionTagging',
        's3:GetObjectRetention',
        's3:GetObjectLegalHold',
        's3:PutObject',
        's3:PutObjectTagging',
        's3:PutObjectRetention',
        's3:PutObjectLegalHold',
        's3:DeleteObject',
        's3:AbortMultipartUpload',
      ],
      resources: objects,
    }),
    new iam.PolicyStatement({
      sid: 'BucketRestoreKeys',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: p.keys.resources,
      conditions: p.keys.conditions,
    }),
    ...(p.existingKeyArns.length
      ? [new iam.PolicyStatement({ sid: 'BucketRestoreExistingKeys', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [...p.existingKeyArns] })]
      : []),
  ];
}
