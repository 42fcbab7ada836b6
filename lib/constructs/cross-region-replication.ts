import * as path from 'node:path';
import { Annotations, CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ourRuleId, renderExistingBucketRule, REPLICATION_TIME_MINUTES } from '../custom-resources/bucket-replication/rules';

export { REPLICATION_TIME_MINUTES };

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

/** An existing bucket to replicate (see {@link CrossRegionReplication.replicateExistingBucket}). */
export interface ExistingSourceBucket {
  /** Source bucket name (primary region). */
  readonly bucketName: string;
  /** Replica bucket name (recovery region). */
  readonly destinationBucketName: string;
  /**
   * ARN of the KMS key the bucket encrypts with; the role gets kms:Decrypt on it through S3 only.
   * @default - none: SSE-KMS objects of the source cannot be replicated
   */
  readonly kmsKeyArn?: string;
  /** The source has S3 Object Lock (the handler refuses a locked source declared unlocked). @default false */
  readonly objectLock?: boolean;
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

/** Handler of `Custom::ExistingBucketReplication` (bundled by esbuild like the DR functions). */
const HANDLER_ENTRY = path.join(__dirname, '..', 'custom-resources', 'bucket-replication', 'handler.ts');

/**
 * Cross-region replication to the recovery region: one IAM role, one rule per source bucket
 * with Replication Time Control (15 min), replication metrics, SSE-KMS replicas under the
 * replica key, and delete markers NOT replicated (a delete in production must not reach the
 * copy, so the role has no s3:ReplicateDelete). Owned buckets get the rule in their template;
 * existing buckets through `Custom::ExistingBucketReplication`, which merges our rule into the
 * bucket's configuration and never replaces someone else's rules.
 */
export class CrossRegionReplication extends Construct {
  /** The role S3 assumes to replicate. */
  public readonly role: iam.Role;
  /** ARN of the replica key alias, used as ReplicaKmsKeyID. */
  public readonly replicaKeyAliasArn: string;
  /** Rule id on buckets this stack owns (the whole configuration is ours): `to-<region>`. */
  public readonly ownedRuleId: string;
  /** Rule id on existing buckets, where it tells our rule from others: `dr-stack-to-<region>`. */
  public readonly existingRuleId: string;
  /** Buckets replicated so far. */
  public readonly replicated: ReplicatedBucket[] = [];
  /** The handler of the existing-bucket custom resource, once an existing bucket is replicated. */
  public existingBucketHandler?: nodejs.NodejsFunction;

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
    this.ownedRuleId = `to-${props.destinationRegion}`;
    this.existingRuleId = ourRuleId(props.destinationRegion);
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
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.replicaKeyAlias },
          StringEquals: { 'kms:ViaService': `s3.${props.destinationRegion}.amazonaws.com` },
        },
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
    this.grant(label, bucket.bucketName, destinationBucketName, this.ownedRuleId, bucket);
    sourceKey?.grantDecrypt(this.role);
    cfnBucket.replicationConfiguration = {
      role: this.role.roleArn,
      rules: [
        {
          id: this.ownedRuleId,
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
   * CloudFormation own (and on a mistake delete) production data, so a custom resource changes
   * only versioning and our one replication rule (merged with the bucket's other rules, or the
   * deploy fails saying why). On stack deletion only our rule is removed; versioning stays on.
   */
  replicateExistingBucket(id: string, source: ExistingSourceBucket): CustomResource {
    const stack = Stack.of(this);
    if (source.kmsKeyArn && !Token.isUnresolved(source.kmsKeyArn) && !Token.isUnresolved(stack.region)) {
      const region = source.kmsKeyArn.split(':')[3];
      if (region !== stack.region) {
        throw new Error(
          `CrossRegionReplication: the key of bucket "${source.bucketName}" (${source.kmsKeyArn}) is in ${region}, not in the bucket's region ${stack.region}; set dataBuckets[].kmsKeyArn to the key ARN from aws s3api get-bucket-encryption`,
        );
      }
    }
    this.grant(source.bucketName, source.bucketName, source.destinationBucketName, this.existingRuleId);
    if (source.kmsKeyArn) this.grantSourceKeyDecrypt(source.bucketName, source.kmsKeyArn);
    const rule = renderExistingBucketRule({
      ruleId: this.existingRuleId,
      destinationBucketArn: this.bucketArn(source.destinationBucketName),
      replicaKmsKeyId: this.replicaKeyAliasArn,
    });
    const fn = this.handler();
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: `Replicate${id}`,
        actions: [
          's3:GetBucketLocation',
          's3:GetBucketVersioning',
          's3:PutBucketVersioning',
          's3:GetBucketObjectLockConfiguration',
          's3:GetReplicationConfiguration',
          's3:PutReplicationConfiguration',
        ],
        resources: [this.bucketArn(source.bucketName)],
      }),
    );
    Annotations.of(this).addWarningV2(
      `dr-stack:existing-bucket-versioning:${source.bucketName}`,
      `Existing bucket "${source.bucketName}": replication needs versioning, so the deploy turns it on if it is off; every overwrite and delete then keeps a noncurrent version, ` +
        'billed as storage until a lifecycle rule with NoncurrentVersionExpiration removes it (docs/deploy.md "Existing data buckets: versioning cost").',
    );
    const resource = new CustomResource(this, `${id}Replication`, {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::ExistingBucketReplication',
      properties: { BucketName: source.bucketName, Role: this.role.roleArn, Rule: JSON.stringify(rule), ObjectLock: String(source.objectLock ?? false) },
    });
    // The role (and its policy) must exist before S3 validates it in PutBucketReplication.
    resource.node.addDependency(this.role);
    resource.node.addDependency(fn.role!);
    return resource;
  }

  private handler(): nodejs.NodejsFunction {
    if (this.existingBucketHandler) return this.existingBucketHandler;
    const logGroup = new logs.LogGroup(this, 'ExistingBucketHandlerLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'ExistingBucketHandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom::ExistingBucketReplication: versioning and our replication rule on existing data buckets',
    });
    logGroup.grantWrite(role);
    role.addToPolicy(new iam.PolicyStatement({ sid: 'PassTheReplicationRole', actions: ['iam:PassRole'], resources: [this.role.roleArn] }));
    this.existingBucketHandler = new nodejs.NodejsFunction(this, 'ExistingBucketHandler', {
      entry: HANDLER_ENTRY,
      handler: 'handler',
      description: 'Custom::ExistingBucketReplication: merges the dr-stack replication rule into existing buckets',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(2),
      role,
      logGroup,
      // The pinned SDK, not the runtime's (as the DR functions: dr-function.ts).
      bundling: { forceDockerBundling: false, minify: true, target: 'node24', format: nodejs.OutputFormat.CJS, bundleAwsSDK: true },
    });
    return this.existingBucketHandler;
  }

  /**
   * kms:Decrypt on the source bucket's key, only through S3 in the source region and only for
   * objects of that bucket (the encryption context S3 sets is the object ARN, or the bucket ARN
   * with S3 Bucket Keys), as the S3 replication docs show.
   */
  private grantSourceKeyDecrypt(bucketName: string, keyArn: string): void {
    const bucketArn = this.bucketArn(bucketName);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, `${bucketArn}/*`] },
        },
      }),
    );
  }

  private bucketArn(name: string): string {
    return `arn:${Stack.of(this).partition}:s3:::${name}`;
  }

  /** Grants the role the source and destination permissions of one pair. */
  private grant(label: string, sourceBucketName: string, destinationBucketName: string, ruleId: string, sourceBucket?: s3.IBucket): void {
    const source = this.bucketArn(sourceBucketName);
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
    // No s3:ReplicateDelete: delete markers are not replicated (DeleteMarkerReplication Disabled).
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ReplicateObject', 's3:ReplicateTags'], resources: [`${destination}/*`] }));
    this.replicated.push({ sourceBucketName, destinationBucketName, ruleId, label, sourceBucket });
  }
}
