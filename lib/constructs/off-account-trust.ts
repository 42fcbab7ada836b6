import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { AccessPolicyHolder } from './air-gapped-vault';

/** Who of the primary account the recovery account trusts, when the two differ. */
export interface PrimaryWriters {
  /** The primary account. */
  readonly account: string;
  /** ARN of the primary account's S3 replication role (a fixed name: replicationRoleName). */
  readonly replicationRoleArn: string;
  /** The replica buckets' region (S3 encrypts replicas through the key in this region). */
  readonly region: string;
}

/**
 * Resource-policy statements of the recovery account when it is not the primary one (issue 21,
 * off-account copies). The recovery account trusts exactly two writers of the primary account and
 * only to write: the S3 replication role (replicate objects and tags, hand the replicas' ownership
 * to the recovery account, read the replica bucket's versioning; encrypt under the replica key,
 * through S3 only) and AWS Backup's cross-account copy into the vault (`backup:CopyIntoBackupVault`
 * from the primary account, as AWS Backup documents for cross-account copies). Nothing of the
 * primary account may read, delete or reconfigure anything here.
 */
export function trustPrimaryWriters(w: PrimaryWriters, buckets: readonly s3.Bucket[], key: kms.Key, vault: AccessPolicyHolder): void {
  const role = new iam.ArnPrincipal(w.replicationRoleArn);
  for (const bucket of buckets) {
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PrimaryReplicationWritesReplicas',
        principals: [role],
        actions: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PrimaryReplicationReadsVersioning',
        principals: [role],
        actions: ['s3:GetBucketVersioning'],
        resources: [bucket.bucketArn],
      }),
    );
  }
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'PrimaryReplicationEncryptsReplicas',
      principals: [role],
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${w.region}.amazonaws.com` } },
    }),
  );
  vault.addToAccessPolicy(
    new iam.PolicyStatement({
      sid: 'PrimaryAwsBackupCopiesIn',
      principals: [new iam.AccountPrincipal(w.account)],
      actions: ['backup:CopyIntoBackupVault'],
      resources: ['*'],
    }),
  );
}
