import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/** Replication Time Control and metrics threshold (the only value S3 supports). */
export const REPLICATION_TIME_MINUTES = 15;

/** Props of {@link CrossRegionReplication}. */
export interface CrossRegionReplicationProps {
  /** Region of the replica buckets and key. */
  readonly destinationRegion: string;
  /** Account of the replica buckets and key. @default - this stack's account */
  readonly destinationAccount?: string;
  /**
   * Alias (`alias/...`) of the replica KMS key in the destination region. An alias, not a key
   * object: the key lives in the recovery stack, and handing that stack's Key to this one would
   * make a cross-region reference (SSM readers) or a dependency cycle. S3 accepts an alias ARN as
   * `ReplicaKmsKeyID`; IAM matches the key through the `kms:ResourceAliases` condition.
   */
  readonly replicaKeyAlias: string;
}

/** One source bucket replicated by this construct (alarms read these). */
export interface ReplicatedBucket {
  /** Source bucket name (primary region). */
  readonly sourceBucketName: string;
  /** Destination bucket name (recovery region). */
  readonly destinationBucketName: string;
  /** Replication rule id, a dimension of the S3 replication metrics. */
  readonly ruleId: string;
  /** Short label for alarm names: `BackupBucket` or the data bucket's name. */
  readonly label: string;
  /** The source bucket when this stack owns it. @default - an existing bucket, known by name */
  readonly sourceBucket?: s3.IBucket;
}

/**
 * Cross-region replication to the recovery region: one IAM role, one rule per source bucket
 * with Replication Time Control (15 min), replication metrics, SSE-KMS replicas under the
 * replica key, and delete markers NOT replicated (a delete in production must not reach the
 * copy). Owned buckets get the rule in their template; existing buckets through the S3 API.
 */
export class CrossRegionReplication extends Construct {
  /** The role S3 assumes to replicate. */
  public readonly role: iam.Role;
  /** ARN of the replica key alias, used as ReplicaKmsKeyID. */
  public readonly replicaKeyAliasArn: string;
  /** Buckets replicated so far. */
  public readonly replicated: ReplicatedBucket[] = [];

  private readonly props: CrossRegionReplicationProps;

  constructor(scope: Construct, id: string, props: CrossRegionReplicationProps) {
    super(scope, id);
    if (!props.replicaKeyAlias.startsWith('alias/')) {
      throw new Error(`CrossRegionReplication replicaKeyAlias must start with "alias/" (got "${props.replicaKeyAlias}")`);
    }
    const stack = Stack.of(this);
    if (props.destinationRegion === stack.region) {
      throw new Error(
        `CrossRegionReplication destinationRegion (${props.destinationRegion}) must differ from the stack's region; that is what makes it disaster recovery`,
      );
    }
    this.props = props;
    const account = props.destinationAccount ?? stack.account;
    this.replicaKeyAliasArn = `arn:${stack.partition}:kms:${props.destinationRegion}:${account}:${props.replicaKeyAlias}`;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: 'S3 cross-region replication of backups and data buckets to the recovery region',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptReplicasWithTheReplicaKey',
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [`arn:${stack.partition}:kms:${props.destinationRegion}:${account}:key/*`],
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.replicaKeyAlias } },
      }),
    );
  }

  /**
   * Adds the rule to a bucket of this stack (it must be versioned).
   * @param label short name for alarm names, e.g. `BackupBucket`
   */
  replicateOwnedBucket(bucket: s3.Bucket, destinationBucketName: string, label: string, sourceKey?: kms.IKey): void {
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    const versioning = Stack.of(this).resolve(cfnBucket.versioningConfiguration) as { status?: string } | undefined;
    if (versioning?.status !== 'Enabled') throw new Error(`CrossRegionReplication: bucket ${label} must be versioned to be replicated; set versioned: true`);
    const ruleId = this.grant(label, bucket.bucketName, destinationBucketName, sourceKey, bucket);
    cfnBucket.replicationConfiguration = {
      role: this.role.roleArn,
      rules: [
        {
          id: ruleId,
          priority: 1,
          status: 'Enabled',
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: this.bucketArn(destinationBucketName),
            encryptionConfiguration: { replicaKmsKeyId: this.replicaKeyAliasArn },
            replicationTime: { status: 'Enabled', time: { minutes: REPLICATION_TIME_MINUTES } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: REPLICATION_TIME_MINUTES } },
          },
        },
      ],
    };
  }

  /**
   * Turns on versioning and replication of a bucket this stack does not own. An imported bucket
   * cannot take replicationRules (L2) and importing it into the stack as a CfnBucket would make
   * CloudFormation own (and on a mistake delete) production data; an AwsCustomResource calling
   * PutBucketVersioning then PutBucketReplication changes only those two settings.
   * PutBucketReplication REPLACES any replication configuration the bucket had: it is
   * documented in the README. On stack deletion the replication configuration is removed;
   * versioning stays on (S3 cannot turn it off, only suspend).
   */
  replicateExistingBucket(id: string, bucketName: string, destinationBucketName: string): void {
    const ruleId = this.grant(bucketName, bucketName, destinationBucketName);
    const bucketArn = this.bucketArn(bucketName);
    const versioning = new cr.AwsCustomResource(this, `${id}Versioning`, {
      onCreate: {
        service: 'S3',
        action: 'PutBucketVersioning',
        parameters: { Bucket: bucketName, VersioningConfiguration: { Status: 'Enabled' } },
        physicalResourceId: cr.PhysicalResourceId.of(`${bucketName}-versioning`),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['s3:PutBucketVersioning'], resources: [bucketArn] })]),
      installLatestAwsSdk: false,
    });
    const replicationConfiguration = {
      Role: this.role.roleArn,
      Rules: [
        {
          ID: ruleId,
          Priority: 1,
          Status: 'Enabled',
          Filter: { Prefix: '' },
          DeleteMarkerReplication: { Status: 'Disabled' },
          Destination: {
            Bucket: this.bucketArn(destinationBucketName),
            EncryptionConfiguration: { ReplicaKmsKeyID: this.replicaKeyAliasArn },
            ReplicationTime: { Status: 'Enabled', Time: { Minutes: REPLICATION_TIME_MINUTES } },
            Metrics: { Status: 'Enabled', EventThreshold: { Minutes: REPLICATION_TIME_MINUTES } },
          },
        },
      ],
    };
    const put: cr.AwsSdkCall = {
      service: 'S3',
      action: 'PutBucketReplication',
      parameters: { Bucket: bucketName, ReplicationConfiguration: replicationConfiguration },
      physicalResourceId: cr.PhysicalResourceId.of(`${bucketName}-replication`),
    };
    const replication = new cr.AwsCustomResource(this, `${id}Replication`, {
      onCreate: put,
      onUpdate: put,
      onDelete: { service: 'S3', action: 'DeleteBucketReplication', parameters: { Bucket: bucketName } },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['s3:PutReplicationConfiguration', 's3:GetReplicationConfiguration'], resources: [bucketArn] }),
        new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.role.roleArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    replication.node.addDependency(versioning);
    replication.node.addDependency(this.role);
  }

  private bucketArn(name: string): string {
    return `arn:${Stack.of(this).partition}:s3:::${name}`;
  }

  /** Grants the role the source and destination permissions of one pair; returns the rule id. */
  private grant(label: string, sourceBucketName: string, destinationBucketName: string, sourceKey?: kms.IKey, sourceBucket?: s3.IBucket): string {
    const source = `arn:${Stack.of(this).partition}:s3:::${sourceBucketName}`;
    const destination = this.bucketArn(destinationBucketName);
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [source] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        resources: [`${source}/*`],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], resources: [`${destination}/*`] }),
    );
    sourceKey?.grantDecrypt(this.role);
    const ruleId = `to-${this.props.destinationRegion}`;
    this.replicated.push({ sourceBucketName, destinationBucketName, ruleId, label, sourceBucket });
    return ruleId;
  }
}
