import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { recoveryDoctorPolicyName, recoveryOperatorPolicyName, replicaBucketName, type DrConfig } from '../config';
import { partitionFor, RESTORE_TARGET_ACTIONS } from './dr-operator-policy';
import { importLogStatements } from './import-grants';
import { recoveryDoctorStatements } from './recovery-doctor-statements';

/** Props of {@link RecoveryOperatorPolicy}. */
export interface RecoveryOperatorPolicyProps {
  /** The validated config (tables, app name). */
  readonly config: DrConfig;
  /** The replica key: the replicas and the vault are encrypted with it. */
  readonly replicaKey: kms.IKey;
}

/**
 * The managed policy `<app>-dr-operator-recovery` in the recovery account of an off-account
 * deployment (issue 21): what an operator needs there to run `dr list`, `dr validate` and
 * `dr restore` (write, import and bulk engines) from the replica bucket, and `dr doctor`, in the recovery region.
 * The primary account's `<app>-dr-operator` cannot reach this account (its credentials are not
 * trusted here by design), so the recovery account's own admin attaches this policy to the role
 * its on-call engineers assume (docs/security.md "Operator access in the recovery account").
 *
 * Statements: ReadReplicaSets / ReadReplicaObjects (list and read `backups/`), RestoreJournal
 * (`restores/`), BulkErrorReports (`restore-reports/`), ReplicaKey (decrypt the sets, encrypt the
 * journal, DescribeKey for import), ImportWithReplicaKey (a grant for DynamoDB only),
 * RestoreTargets (`<table>` and `<table>-*` in the recovery region), FollowImports, ListImports and
 * the import log grants. `dr doctor --recovery-profile`'s reads are the second policy
 * `<app>-dr-operator-recovery-doctor` (recovery-doctor-statements.ts).
 * It holds nothing that deletes: no s3:DeleteObject(Version), no governance
 * bypass, no AWS Backup action, no key administration (proven in
 * test/permissions/recovery-operator.test.ts).
 */
export class RecoveryOperatorPolicy extends Construct {
  /** The managed policy. */
  public readonly policy: iam.ManagedPolicy;
  /** `<app>-dr-operator-recovery-doctor`: dr doctor's reads, attached beside {@link policy}. */
  public readonly doctorPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: RecoveryOperatorPolicyProps) {
    super(scope, id);
    const c = props.config;
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region))
      throw new Error(`RecoveryOperatorPolicy needs the recovery stack's account and region (recovery.account and recovery.region with offAccount)`);
    // Literal ARNs (the off-account recovery stack always names its account and region), so each
    // wildcard is acknowledged by its text in lib/nag.ts like the primary operator policy's.
    const partition = partitionFor(stack.region);
    const bucket = `arn:${partition}:s3:::${replicaBucketName(c, stack.account)}`;
    const table = (name: string) => `arn:${partition}:dynamodb:${stack.region}:${stack.account}:table/${name}`;
    const names = c.tables.map((t) => t.name);
    const region = { StringEquals: { 'aws:RequestedRegion': [stack.region] } };
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      managedPolicyName: recoveryOperatorPolicyName(c),
      description: `${c.appName} DR operators in the recovery account: dr list, validate and restore from the replica bucket in ${c.recovery.region}`,
      statements: [
        new iam.PolicyStatement({ sid: 'ReadReplicaSets', actions: ['s3:ListBucket'], resources: [bucket] }),
        new iam.PolicyStatement({ sid: 'ReadReplicaObjects', actions: ['s3:GetObject'], resources: [`${bucket}/backups/*`] }),
        new iam.PolicyStatement({ sid: 'RestoreJournal', actions: ['s3:GetObject', 's3:PutObject'], resources: [`${bucket}/restores/*`] }),
        new iam.PolicyStatement({ sid: 'BulkErrorReports', actions: ['s3:PutObject'], resources: [`${bucket}/restore-reports/*`] }),
        // Reads decrypt the sets (SSE-KMS through S3), journal writes encrypt; ImportTable with the
        // replica key describes it as the caller (DynamoDB "Requesting a table import").
        new iam.PolicyStatement({
          sid: 'ReplicaKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [props.replicaKey.keyArn],
        }),
        // A grant for DynamoDB only: kms:GrantIsForAWSResource is present on grant operations alone.
        new iam.PolicyStatement({
          sid: 'ImportWithReplicaKey',
          actions: ['kms:CreateGrant'],
          resources: [props.replicaKey.keyArn],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'RestoreTargets',
          actions: [...RESTORE_TARGET_ACTIONS],
          // `<table>`, `<table>-*` (suffixes start with `-`), and what DynamoDB names under them (imports).
          resources: names.flatMap((n) => [table(n), table(`${n}/import/*`), table(`${n}-*`)]),
        }),
        // ListImports has no resource type; bulk put's Describe/Cancel have no published one (docs/restore-engines.md).
        new iam.PolicyStatement({
          sid: 'ListImports',
          actions: ['dynamodb:ListImports', 'dynamodb:DescribeBulkOperation', 'dynamodb:CancelBulkOperation'],
          resources: ['*'],
          conditions: region,
        }),
        new iam.PolicyStatement({
          sid: 'FollowImports',
          actions: ['dynamodb:DescribeImport'],
          resources: names.flatMap((n) => [table(`${n}/import/*`), table(`${n}-*/import/*`)]),
        }),
        ...importLogStatements(`arn:${partition}:logs:${stack.region}:${stack.account}:log-group:/aws-dynamodb/*`, region),
      ],
    });
    // dr doctor --recovery-profile: the recovery region's checks, read-only (and the page-test
    // alarm). A second policy: with them the first would exceed IAM's 6,144 characters.
    this.doctorPolicy = new iam.ManagedPolicy(this, 'DoctorPolicy', {
      managedPolicyName: recoveryDoctorPolicyName(c),
      description: `${c.appName} DR operators in the recovery account: dr doctor in ${c.recovery.region} (read-only, and the page-test alarm)`,
      statements: recoveryDoctorStatements(c, { partition, region: stack.region, account: stack.account, replicaKeyArn: props.replicaKey.keyArn }),
    });
  }
}
