import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { drillScratchPrefix, operatorDrillPolicyName, operatorPolicyName, type DrConfig } from '../config';
import { partitionFor, RESTORE_TARGET_ACTIONS } from './dr-operator-policy';

/** Props of {@link DrillOperatorPolicy}. */
export interface DrillOperatorPolicyProps {
  /** The validated config: the app name (the scratch prefix) and the recovery region come from it. */
  readonly config: DrConfig;
  /**
   * The policies to attach it with, named in its description.
   * @default - `<app>-dr-operator` and `<app>-dr-operator-restore` (the primary account's)
   */
  readonly attachWith?: readonly string[];
}

/**
 * `<app>-dr-operator-drill`: what `dr drill` on AWS needs beyond `<app>-dr-operator` and
 * `<app>-dr-operator-restore`, and nothing else: the drill's scratch tables and buckets, every one
 * named `<app>-drill-*` (cli/drill/environment.ts refuses other bucket names), in the recovery
 * region only (where the drill runs). Attach it, with the other two, only to whoever runs drills.
 *
 * - DrillScratchTables: the scratch tables `<app>-drill-<time>-<table>` (seeded, backed up by the
 *   handler run in-process, its slot table, restored into by every engine, deleted at the end):
 *   the restore targets' actions plus DeleteTable, on `table/<app>-drill-*` in the recovery region
 *   (`*` also covers what DynamoDB names under a table: `/import/<id>`, `/index/<name>`).
 * - DrillListTables: the cleanup finds its tables with ListTables (no resource type: "*").
 * - DrillScratchBuckets / DrillScratchObjects: the operator's two scratch buckets (backup sets,
 *   journals, the "replica" copies) and the uploads scenario's own `<app>-drill-uploads-*` bucket,
 *   which it creates versioned, restores with restore-bucket, empties (every version) and deletes.
 * - DrillListBuckets: a scratch uploads bucket a killed drill left is found by ListBuckets
 *   (s3:ListAllMyBuckets has no resource type: "*").
 *
 * It grants no DeleteBucket or DeleteTable outside `<app>-drill-*`, and nothing in the primary
 * region. Proven by test/permissions/drill-aws.test.ts (the drill's AWS mode recorded).
 *
 * Off-account (`recovery.offAccount`) the recovery region is the recovery account's, where a real
 * recovery runs: the recovery stack creates this policy there too, to attach beside
 * `<app>-dr-operator-recovery`, so a drill runs where the recovery would (`dr drill --profile
 * <recovery account>`); the same recorded drill is proven against it.
 */
export class DrillOperatorPolicy extends Construct {
  /** The managed policy `<app>-dr-operator-drill`. */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: DrillOperatorPolicyProps) {
    super(scope, id);
    const c = props.config;
    const { account } = Stack.of(this);
    const region = c.recovery.region;
    const scratch = drillScratchPrefix(c);
    const partition = partitionFor(region);
    const inRecovery = { StringEquals: { 'aws:RequestedRegion': [region] } };
    const buckets = `arn:${partition}:s3:::${scratch}*`;
    const statements = [
      new iam.PolicyStatement({
        sid: 'DrillScratchTables',
        actions: [...new Set([...RESTORE_TARGET_ACTIONS, 'dynamodb:DeleteTable', 'dynamodb:DescribeImport'])],
        resources: [`arn:${partition}:dynamodb:${region}:${account}:table/${scratch}*`],
      }),
      new iam.PolicyStatement({ sid: 'DrillListTables', actions: ['dynamodb:ListTables'], resources: ['*'], conditions: inRecovery }),
      new iam.PolicyStatement({
        sid: 'DrillScratchBuckets',
        actions: [
          's3:CreateBucket',
          's3:DeleteBucket',
          's3:PutBucketVersioning',
          's3:GetBucketVersioning',
          's3:ListBucket',
          's3:ListBucketVersions',
          's3:GetLifecycleConfiguration',
          's3:GetBucketObjectLockConfiguration',
          's3:GetEncryptionConfiguration',
        ],
        resources: [buckets],
        conditions: inRecovery,
      }),
      new iam.PolicyStatement({
        sid: 'DrillScratchObjects',
        actions: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectTagging',
          's3:GetObjectVersionTagging',
          's3:PutObject',
          's3:PutObjectTagging',
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:AbortMultipartUpload',
        ],
        resources: [`${buckets}/*`],
        conditions: inRecovery,
      }),
      new iam.PolicyStatement({ sid: 'DrillListBuckets', actions: ['s3:ListAllMyBuckets'], resources: ['*'], conditions: inRecovery }),
    ];
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      managedPolicyName: operatorDrillPolicyName(c),
      description: `${c.appName} DR drills on AWS: scratch tables and buckets ${scratch}* in ${region}; attach with ${(props.attachWith ?? [operatorPolicyName(c), `${operatorPolicyName(c)}-restore`]).join(' and ')}`,
      statements,
    });
  }
}
