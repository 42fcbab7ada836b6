import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { bucketRestoreStatements } from './bucket-restore-statements';
import { Construct } from 'constructs';
import {
  backupBucketName,
  dataReplicaBucketName,
  operatorPolicyName,
  operatorRestorePolicyName,
  recoveryAccountOf,
  replicaBucketName,
  replicaKeyAlias,
  type DrConfig,
} from '../config';
import { doctorStatements } from './doctor-statements';
import { importLogStatements } from './import-grants';

/** Props of {@link DrOperatorPolicy}. */
export interface DrOperatorPolicyProps {
  /** The validated config: tables, buckets, regions and names come from it. */
  readonly config: DrConfig;
  /** Alias of the backup key in the primary region. @default `alias/<app>-dr-backups` */
  readonly backupKeyAlias?: string;
}

/** `<app>-dr-operator` and `<app>-dr-operator-restore`, from lib/config.ts (the CLI reads them there without loading aws-cdk-lib). */
export { operatorPolicyName, operatorRestorePolicyName };

/**
 * The least-privilege managed policies for the people who run the `dr` CLI: `<app>-dr-operator`
 * (list, validate, backup, doctor: reading sets, following operations, the checks) and
 * `<app>-dr-operator-restore` (writing restore targets with any engine, the restore journal, the
 * bulk-put error reports, import with the recovery key). Two policies because one does not fit
 * IAM's 6,144-character quota for a managed policy once every engine is covered. Attach both to
 * an operator role (docs/security.md "Operator access"); no role is created here.
 *
 * IAM is global: ONE policy covers both regions (the recovery region's buckets, keys and tables
 * are named, not referenced), so it is created once, by the production stack. A managed policy
 * name is unique per account: the same name in both stacks would make the second deploy fail.
 * Region-free ARNs (`arn:aws:dynamodb:*:...`) are pinned to the two regions by
 * `aws:RequestedRegion`, which keeps the policy under the 6,144-character managed policy quota.
 *
 * Which command needs which statement (Sid):
 * - `dr list`, `dr validate`: ReadBackupSets, ReadBackupObjects, DecryptBackupSets.
 * - `dr restore` (scan/write engine): ReadBackupSets, DecryptBackupSets, RestoreTargets
 *   (CreateTable, DescribeTable, UpdateTimeToLive, DescribeTimeToLive, UpdateContinuousBackups,
 *   UpdateTable for deletion protection, BatchWriteItem, Scan incl. Select COUNT, tagging).
 *   Targets are `<table>` (suffix "") and `<table>-*`: restore suffixes start with `-`.
 * - `dr restore` import engine: RestoreTargets' ImportTable/DescribeImport, ListImports,
 *   ImportLogs (ImportTable writes its error log to /aws-dynamodb/* as the caller).
 * - `dr restore` bulk-put engine: RestoreTargets' bulk actions, BulkErrorReports.
 * - `dr restore` (every engine): RestoreJournal, JournalKeys (restores/<target>.json in the bucket
 *   the set is read from); import with the recovery key: ImportWithCustomerKey.
 * - `dr pitr-restore`: PitrSources (RestoreTableToPointInTime and the reads it does first) and
 *   PitrTargetData (the data-plane actions DynamoDB requires on the target), RestoreTargets.
 * - `dr backup`: BackupTables, FollowExports, WriteBackupSets, EncryptBackupSets (the same as the
 *   backup Lambda).
 * - `dr doctor`: the Doctor* statements of doctor-statements.ts (shared with the recovery
 *   account's doctor policy): DoctorStacks, DoctorBuckets, DoctorTopics, DoctorMetrics,
 *   DoctorSettings (SMS sandbox, AWS Backup region settings, the air-gapped vault listing),
 *   DoctorProtection (tamper rules' state, Vault Lock), DoctorTrails and DoctorTrailStatus (a
 *   trail feeds the tamper rules); SourceTables (DescribeContinuousBackups), and for the newest set ReadBackupSets, ReadBackupObjects and
 *   DecryptBackupSets; `dr doctor --page-test`: PageTestAlarm and DoctorAlarms
 *   (DescribeAlarmHistory). sts:GetCallerIdentity needs no permission. Proven by
 *   test/permissions/doctor.test.ts (the CLI's other commands: permissions.test.ts).
 * - `dr drill` without --local: `<app>-dr-operator-drill` (drill-operator-policy.ts), its scratch tables and buckets.
 */
export class DrOperatorPolicy extends Construct {
  /** The managed policy `<app>-dr-operator`: reading, backing up, checking. */
  public readonly policy: iam.ManagedPolicy;
  /** The managed policy `<app>-dr-operator-restore`: writing restore targets. */
  public readonly restorePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: DrOperatorPolicyProps) {
    super(scope, id);
    const c = props.config;
    const stack = Stack.of(this);
    const { account } = stack;
    // Literal partition (not the AWS::Partition token), so the size check below measures the real policy.
    const partition = partitionFor(c.primary.region);
    const regions = [c.primary.region, c.recovery.region];
    const inRegions = { StringEquals: { 'aws:RequestedRegion': regions } };
    const s3Arn = (name: string) => `arn:${partition}:s3:::${name}`;
    const backupBucket = s3Arn(backupBucketName(c, account));
    const replicaBucket = s3Arn(replicaBucketName(c, recoveryAccountOf(c, account)));
    const dataBucketNames = c.dataBuckets.flatMap((b) => [b.name, dataReplicaBucketName(c, b.name)]);
    const table = (region: string, name: string) => `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;
    const names = c.tables.map((t) => t.name);
    const sources = names.map((n) => table(c.primary.region, n));
    // `<table>` and `<table>-*` in either region (the region-down runbook restores in the recovery
    // region). `<table>-*` also matches what DynamoDB names under such a target
    // (`<table>-restored/import/<id>`): IAM's * crosses slashes.
    const targets = names.flatMap((n) => [table('*', n), table('*', `${n}-*`)]);
    const backupKeyAlias = props.backupKeyAlias ?? `alias/${c.appName}-dr-backups`;
    const keysByAlias = (aliases: string[]) => ({
      resources: regions.map((r) => `arn:${partition}:kms:${r}:${account}:key/*`),
      conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliases } },
    });
    const statements = [
      new iam.PolicyStatement({ sid: 'ReadBackupSets', actions: ['s3:ListBucket'], resources: [backupBucket, replicaBucket] }),
      new iam.PolicyStatement({ sid: 'ReadBackupObjects', actions: ['s3:GetObject'], resources: [`${backupBucket}/backups/*`, `${replicaBucket}/backups/*`] }),
      new iam.PolicyStatement({ sid: 'DecryptBackupSets', actions: ['kms:Decrypt'], ...keysByAlias([backupKeyAlias, replicaKeyAlias(c)]) }),
      // dr backup writes like the backup Lambda: multipart uploads, native export as the caller
      // (s3:AbortMultipartUpload, s3:PutObject, s3:PutObjectAcl per the DynamoDB export docs).
      new iam.PolicyStatement({
        sid: 'WriteBackupSets',
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
        resources: [`${backupBucket}/backups/*`],
      }),
      new iam.PolicyStatement({ sid: 'EncryptBackupSets', actions: ['kms:GenerateDataKey'], ...keysByAlias([backupKeyAlias]) }),
      // dr backup reads and exports the configured tables; dr pitr-restore restores them to a
      // point in time (after reading PITR, TTL and the schema); dr doctor checks PITR.
      new iam.PolicyStatement({
        sid: 'SourceTables',
        actions: [
          'dynamodb:Scan',
          'dynamodb:DescribeTable',
          'dynamodb:DescribeTimeToLive',
          'dynamodb:DescribeContinuousBackups',
          'dynamodb:ExportTableToPointInTime',
          'dynamodb:RestoreTableToPointInTime',
        ],
        resources: sources,
      }),
      // Export and import ids are assigned by DynamoDB when the operation starts; describing them
      // reads status only.
      new iam.PolicyStatement({
        sid: 'FollowOperations',
        actions: ['dynamodb:DescribeExport', 'dynamodb:DescribeImport'],
        resources: [table('*', '*/*')],
        conditions: inRegions,
      }),
      // ListImports has no resource type in the Service Authorization Reference: "*" only.
      // DescribeBulkOperation and CancelBulkOperation (bulk put, 2026) are in no published Service
      // Authorization Reference yet, so their resource type (the bulk operation's ARN) is unknown:
      // granted on "*" in our regions (status, and cancelling a running bulk put; no data access).
      new iam.PolicyStatement({
        sid: 'ListImports',
        actions: ['dynamodb:ListImports', 'dynamodb:DescribeBulkOperation', 'dynamodb:CancelBulkOperation'],
        resources: ['*'],
        conditions: inRegions,
      }),
      // dr doctor's reads in both regions (doctor-statements.ts: the one home of a check's permission).
      ...doctorStatements(c, {
        partition,
        account,
        regions: [
          { side: 'primary', region: c.primary.region },
          { side: 'recovery', region: c.recovery.region },
        ],
        buckets: [backupBucketName(c, account), replicaBucketName(c, recoveryAccountOf(c, account)), ...dataBucketNames],
      }),
    ];
    const restoreStatements = [
      new iam.PolicyStatement({
        sid: 'RestoreTargets',
        actions: [...RESTORE_TARGET_ACTIONS],
        resources: targets,
        conditions: inRegions,
      }),
      // ImportTable logs its errors to CloudWatch Logs under /aws-dynamodb/ as the caller, with the
      // actions of AWS's policy in "Requesting a table import" (DynamoDB developer guide).
      ...importLogStatements(`arn:${partition}:logs:*:${account}:log-group:/aws-dynamodb/*`, inRegions),
      // The restore journal: restores/<target>.json in the bucket the set is read from (backup
      // bucket, or the replica in the recovery region), written as the restore goes.
      new iam.PolicyStatement({
        sid: 'RestoreJournal',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [`${backupBucket}/restores/*`, `${replicaBucket}/restores/*`],
      }),
      // dr restore-bucket: data buckets, replicas, `<bucket>-restored*` targets.
      ...bucketRestoreStatements({
        s3ArnPrefix: s3Arn(''),
        buckets: dataBucketNames,
        keys: keysByAlias([backupKeyAlias, replicaKeyAlias(c)]),
        existingKeyArns: c.dataBuckets.flatMap((b) => (b.kmsKeyArn ? [b.kmsKeyArn] : [])),
      }),
      // StartBulkPutItems writes its error report (OutputS3Configuration) as the caller.
      new iam.PolicyStatement({
        sid: 'BulkErrorReports',
        actions: ['s3:PutObject'],
        resources: [`${backupBucket}/restore-reports/*`, `${replicaBucket}/restore-reports/*`],
      }),
      // Journal objects and error reports are encrypted with the bucket's key (SSE-KMS).
      new iam.PolicyStatement({ sid: 'JournalKeys', actions: ['kms:GenerateDataKey'], ...keysByAlias([backupKeyAlias, replicaKeyAlias(c)]) }),
      // ImportTable with SSE on a customer managed key (the recovery key in the recovery region)
      // describes the key and creates a grant for DynamoDB as the caller (DynamoDB developer
      // guide, "Requesting a table import": KMS permissions). Two statements: the condition key
      // kms:GrantIsForAWSResource is present only on CreateGrant, ListGrants and RevokeGrant (KMS
      // developer guide, "Controlling access to grants"), so a statement holding DescribeKey
      // under it never allows DescribeKey.
      new iam.PolicyStatement({ sid: 'ImportDescribeKey', actions: ['kms:DescribeKey'], ...keysByAlias([backupKeyAlias, replicaKeyAlias(c)]) }),
      new iam.PolicyStatement({
        sid: 'ImportWithCustomerKey',
        actions: ['kms:CreateGrant'],
        resources: keysByAlias([]).resources,
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [backupKeyAlias, replicaKeyAlias(c)] },
          Bool: { 'kms:GrantIsForAWSResource': 'true' },
        },
      }),
    ];
    this.policy = this.managedPolicy(
      'Policy',
      operatorPolicyName(c),
      `${c.appName} DR operators: dr list, validate, backup and doctor in ${regions.join(' and ')}`,
      statements,
      names.length,
    );
    this.restorePolicy = this.managedPolicy(
      'RestorePolicy',
      operatorRestorePolicyName(c),
      `${c.appName} DR operators: dr restore (write, import, bulk) and pitr-restore in ${regions.join(' and ')}; attach with ${operatorPolicyName(c)}`,
      restoreStatements,
      names.length,
    );
  }

  /** One managed policy, checked against IAM's size quota at synth. */
  private managedPolicy(id: string, name: string, description: string, statements: iam.PolicyStatement[], tables: number): iam.ManagedPolicy {
    const policy = new iam.ManagedPolicy(this, id, { managedPolicyName: name, description, statements });
    const size = JSON.stringify(Stack.of(this).resolve(policy.document)).replace(/\s/g, '').length;
    if (size > MANAGED_POLICY_MAX_CHARS) {
      throw new Error(
        `DrOperatorPolicy: ${name} would be ${size} characters, over the ${MANAGED_POLICY_MAX_CHARS} IAM allows a managed policy (${tables} tables in config "tables"); ` +
          'protect fewer tables per deployment (one appName per group of tables)',
      );
    }
    return policy;
  }
}

/** IAM quota: a managed policy document holds at most 6,144 characters, whitespace not counted. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** The partition of a region: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*, else `aws`. */
export function partitionFor(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * What `dr restore` (every engine) and `dr pitr-restore` do on a restore target table; shared by
 * the operator policy and the recovery account's (recovery-operator-policy.ts).
 */
export const RESTORE_TARGET_ACTIONS = [
  'dynamodb:CreateTable',
  'dynamodb:DescribeTable',
  'dynamodb:UpdateTimeToLive',
  'dynamodb:DescribeTimeToLive',
  'dynamodb:UpdateContinuousBackups',
  'dynamodb:UpdateTable',
  'dynamodb:BatchWriteItem',
  'dynamodb:Scan',
  'dynamodb:TagResource',
  'dynamodb:UntagResource',
  'dynamodb:ListTagsOfResource',
  'dynamodb:ImportTable',
  // Bulk put items (StartBulkPutItems, a 2026 API; Cancel/Describe under ListImports): no published
  // Service Authorization Reference lists these action names or a bulk-operation resource
  // type yet, and IAM accepts unknown action names silently, so these two are UNPROVEN
  // (docs/restore-engines.md "Bulk put: IAM names unproven"; `--engine auto` never picks
  // bulk). Scoped to the targets and what lies under them.
  'dynamodb:StartBulkPutItems',
  // pitr-restore: "RestoreTableToPointInTime permissions are necessary on the source table,
  // and DynamoDB read and write permissions on the target table" (DynamoDB developer guide,
  // "Using IAM with DynamoDB backup and restore"). BatchWriteItem (restore --into-existing)
  // already writes and deletes on these targets, so item-level writes add no power.
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
] as const;
