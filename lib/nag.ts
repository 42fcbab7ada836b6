/**
 * cdk-nag's AwsSolutions pack over both stacks, and every acknowledged finding with its reason.
 *
 * Each acknowledgement names ONE finding (rule id plus the finding's detail, as cdk-nag prints
 * it) on the construct that raises it; nothing is acknowledged for a whole stack. The finding
 * strings are built from the same names and logical ids the stacks use, so a new wildcard is an
 * error until someone writes down why it is needed.
 */
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import type { DrStacks } from './dr-app';
import { DrFunction } from './constructs/dr-function';
import { acknowledgeNistFindings } from './nag-nist';
import { DRTEST_TABLE_PATTERN } from './stacks/recovery-stack';

/**
 * Registers the AwsSolutions and NIST 800-53 R5 packs (synth fails on unacknowledged errors of
 * either) and the acknowledgements of both (NIST's in lib/nag-nist.ts).
 */
export function applyNag(app: App, stacks: DrStacks): AwsSolutionsChecks {
  const pack = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(pack, new NIST80053R5Checks(app));
  acknowledgeFindings(stacks);
  acknowledgeNistFindings(stacks);
  return pack;
}

/** Singleton id of the Lambda behind every AwsCustomResource of a stack (fixed by aws-cdk-lib). */
const AWS_CUSTOM_RESOURCE_SINGLETON = 'AWS679f53fac002430cb0da5b7982bd2287';

const REASONS = {
  backupObjects: 'Backup set keys (backups/<tier>/<backupId>/...) are created at run time; the grant is limited to the backups/ prefix of this one bucket.',
  windows:
    'Incremental export windows (backups/incremental/<table>/<windowStart>/...) are created at run time; the grant is limited to that prefix of this one bucket (reads: the base sets under backups/).',
  exports: 'DynamoDB names each export (table/<name>/export/<exportId>) when it starts; the grant is limited to the exports of the configured tables.',
  drtest: 'The restore test creates and deletes its own throw-away tables; the grant covers only tables named *-drtest-*, never production tables.',
  drtestImports:
    'DynamoDB names each import (table/<name>/import/<importId>) when it starts; the restore test only describes the imports of its own *-drtest-* tables.',
  importLogs:
    'ImportTable writes its error log as the caller to CloudWatch Logs groups it names under /aws-dynamodb/; the grant is limited to that prefix in this region.',
  importLogGroupsList:
    'logs:DescribeLogGroups has no resource type (Service Authorization Reference, CloudWatch Logs), so it takes "*"; ImportTable lists log groups as the caller; read-only.',
  listImports:
    'dynamodb:ListImports and ListTables list names and states only (no data); ListImports finds the import an earlier attempt of the restore test started, ListTables the day-old scratch tables to sweep.',
  xray: 'X-Ray active tracing (hardened profile): Lambda sends the trace segments with the function role, and xray:PutTraceSegments / PutTelemetryRecords have no resource type (Service Authorization Reference, AWS X-Ray), so they take "*"; write-only telemetry.',
  replicaKey:
    'The replica key lives in the recovery stack and is named by its alias only (no cross-region reference); the statement is limited to keys carrying that alias by a kms:ResourceAliases condition.',
  replicationObjects:
    'S3 replication reads every object version of the source bucket and writes every replica; these are the permissions S3 documents for a replication role, on these two buckets only.',
  backupServiceRole:
    'AWS Backup selections use the AWS-managed service-role policies it documents for backing up and restoring DynamoDB; they carry no data-plane access.',
  customResourceLogs:
    'The aws-cdk-lib AwsCustomResource provider Lambda (PITR on existing tables, replication on existing buckets) logs through the AWS-managed basic execution policy; its role is not configurable.',
} as const;

/**
 * Why each statement of the operator policy (`<app>-dr-operator`) holds a wildcard, by Sid. A
 * wildcard in a statement without an entry here stays an unacknowledged finding.
 */
export const OPERATOR_POLICY_REASONS: Readonly<Record<string, string>> = {
  BucketRestoreBuckets:
    'dr restore-bucket --to copies into a bucket the operator names at restore time; limited to <data bucket>-restored* beside each configured data bucket and its replica.',
  BucketRestoreObjects:
    "dr restore-bucket reads and writes object versions whose keys are the users' uploads, unknown at deploy time; limited to the configured data buckets, their replicas and <bucket>-restored* copies.",
  BucketRestoreKeys: "dr restore-bucket decrypts and re-encrypts objects with the data buckets' keys; limited as the statement's conditions say.",
  ReadBackupObjects:
    'dr list/validate/restore read backup sets whose keys (backups/<tier>/<backupId>/...) are created at run time; limited to backups/ of the backup and replica buckets.',
  WriteBackupSets: 'dr backup writes sets whose keys are created at run time, exactly as the backup Lambda does; limited to backups/ of the backup bucket.',
  DecryptBackupSets:
    'The backup and replica keys are named by alias (the replica key lives in the other region); key/* is limited to keys carrying those aliases by a kms:ResourceAliases condition.',
  EncryptBackupSets: 'The backup key is named by alias; key/* is limited to the key carrying that alias by a kms:ResourceAliases condition.',
  RestoreTargets:
    'Restores create <table><suffix> tables whose suffix is chosen at restore time (-restored, -clean, or none), in either region; limited to the configured table names (and <name>-*), and to the two regions by aws:RequestedRegion.',
  FollowOperations:
    'DynamoDB assigns export and import ids when they start; the statement only describes them (status), in the two regions (aws:RequestedRegion).',
  ListImports:
    'dynamodb:ListImports has no resource type (the Service Authorization Reference lists none), and DescribeBulkOperation / CancelBulkOperation have no published resource type yet, so they take "*" (status and cancelling a bulk put, no data access); limited to the two regions by aws:RequestedRegion.',
  ImportLogs: 'ImportTable writes its error log to CloudWatch Logs groups under /aws-dynamodb/ as the caller; limited to that prefix and the two regions.',
  ImportLogGroupsList:
    'logs:DescribeLogGroups has no resource type (Service Authorization Reference, CloudWatch Logs), so it takes "*"; ImportTable lists log groups as the caller (DynamoDB "Requesting a table import"); read-only, in the two regions.',
  ImportDescribeKey:
    'ImportTable with a customer managed key describes it as the caller; key/* is limited to the backup and replica keys by kms:ResourceAliases.',
  RestoreJournal:
    'The restore journal is one object per restore target (restores/<target>.json), named at restore time; limited to restores/ of the backup and replica buckets.',
  BulkErrorReports: 'StartBulkPutItems writes its error report under a key it chooses; limited to restore-reports/ of the backup and replica buckets.',
  JournalKeys:
    'The backup and replica keys are named by alias (the replica key lives in the other region); key/* is limited to keys carrying those aliases by a kms:ResourceAliases condition.',
  ImportWithCustomerKey:
    'ImportTable with a customer managed key creates a grant on it for DynamoDB; key/* is limited to the backup and replica keys by kms:ResourceAliases, and grants to AWS resources by kms:GrantIsForAWSResource.',
  ReadReplicaObjects:
    'dr list/validate/restore in the recovery account read backup sets whose keys (backups/<tier>/<backupId>/...) are created at run time; limited to backups/ of the replica bucket.',
  FollowImports:
    'DynamoDB assigns import ids when ImportTable starts; the statement only describes imports under the configured tables and their <table>-* restore targets, in the recovery account.',
  DrillScratchTables:
    'dr drill on AWS creates, fills, restores into and deletes scratch tables named at run time (<app>-drill-<time>-<table>); limited to that prefix in the recovery region.',
  DrillListTables:
    'dynamodb:ListTables has no resource type, so it takes "*"; the drill finds its scratch tables to delete them; read-only, in the recovery region.',
  DrillScratchBuckets:
    'dr drill on AWS creates, lists and deletes scratch buckets named at run time (<app>-drill-uploads-<time>-<random>) beside the two the operator names; limited to <app>-drill-* in the recovery region.',
  DrillScratchObjects:
    'dr drill writes, restores and deletes objects under keys made at run time in its scratch buckets; limited to <app>-drill-* in the recovery region.',
  DrillListBuckets:
    's3:ListAllMyBuckets has no resource type, so it takes "*"; the drill finds a scratch bucket a killed drill left; read-only (names), in the recovery region.',
  DoctorStacks: 'CloudFormation stack ARNs end in a stack id assigned at creation; the statement names the two dr-stack stacks and only describes them.',
  DoctorProtection:
    "dr doctor reads the state of this app's tamper rules (<app>-tamper-<watch>, one per watched service and region) and the two vaults' Vault Lock; read-only.",
  DoctorTrails: 'cloudtrail:DescribeTrails has no resource type (Service Authorization Reference, CloudTrail), so it takes "*"; read-only, in the two regions.',
  DoctorTrailStatus:
    "dr doctor reads whether the trails covering the two regions log write management events; trail names are the account's own (or an organization trail of the management account), unknown at deploy time; read-only, in the two regions.",
  DoctorAlarms: 'dr doctor reads the state and history of every alarm of this app (named <app>-...); read-only.',
  DoctorMetrics:
    'cloudwatch:GetMetricData, GetMetricStatistics and ListMetrics have no resource type, so they take "*"; read-only, limited to the two regions by aws:RequestedRegion.',
};

function ack(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: finding, reason });
}

/** `<LogicalId>` or `<LogicalId.Arn>`: how cdk-nag prints a reference in a finding. */
function ref(construct: IConstruct, attribute?: string): string {
  const id = Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
  return attribute ? `<${id}.${attribute}>` : `<${id}>`;
}

function partition(scope: IConstruct): string {
  const p = Stack.of(scope).partition;
  return p.startsWith('${Token') ? '<AWS::Partition>' : p;
}

function ackBucketObjects(fn: DrFunction, bucket: s3.Bucket): void {
  ack(fn.role, `AwsSolutions-IAM5[Resource::${ref(bucket, 'Arn')}/backups/*]`, REASONS.backupObjects);
}

/** Every acknowledged finding, each with its reason. */
export function acknowledgeFindings({ production, recovery }: DrStacks): void {
  const p = partition(production);
  for (const fn of [production.backupFunction, production.exportFinalizer]) {
    ackBucketObjects(fn, production.backupBucket);
    for (const table of production.tableNames) {
      ack(fn.role, `AwsSolutions-IAM5[Resource::arn:${p}:dynamodb:${production.region}:${production.account}:table/${table}/export/*]`, REASONS.exports);
    }
  }
  const chain = production.incrementalExports;
  if (chain) {
    ackBucketObjects(chain.function, production.backupBucket);
    ack(chain.function.role, `AwsSolutions-IAM5[Resource::${ref(production.backupBucket, 'Arn')}/backups/incremental/*]`, REASONS.windows);
    for (const table of chain.tables) {
      ack(
        chain.function.role,
        `AwsSolutions-IAM5[Resource::arn:${p}:dynamodb:${production.region}:${production.account}:table/${table}/export/*]`,
        REASONS.exports,
      );
    }
  }
  const replication = production.replication;
  ack(replication.role, `AwsSolutions-IAM5[Resource::${replication.replicaKeyAliasArn.replace(/alias\/.*$/, 'key/*')}]`, REASONS.replicaKey);
  for (const r of replication.replicated) {
    const source = r.sourceBucket ? ref(r.sourceBucket) : r.sourceBucketName;
    ack(replication.role, `AwsSolutions-IAM5[Resource::arn:${p}:s3:::${source}/*]`, REASONS.replicationObjects);
    ack(replication.role, `AwsSolutions-IAM5[Resource::arn:${p}:s3:::${r.destinationBucketName}/*]`, REASONS.replicationObjects);
  }
  if (production.awsBackup) {
    for (const policy of ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores']) {
      ack(production.awsBackup.plan, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`, REASONS.backupServiceRole);
    }
  }
  acknowledgeOperatorPolicy(production.operatorPolicy.policy);
  acknowledgeOperatorPolicy(production.operatorPolicy.restorePolicy);
  acknowledgeOperatorPolicy(production.drillOperatorPolicy.policy);
  if (recovery.operatorPolicy) acknowledgeOperatorPolicy(recovery.operatorPolicy);
  if (recovery.operatorDoctorPolicy) acknowledgeOperatorPolicy(recovery.operatorDoctorPolicy);
  if (recovery.operatorDrillPolicy) acknowledgeOperatorPolicy(recovery.operatorDrillPolicy);
  const singleton = production.node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON);
  if (singleton) {
    ack(singleton, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', REASONS.customResourceLogs);
  }

  ackBucketObjects(recovery.replicaMonitor, recovery.replicaBucket);
  if (recovery.restoreTest) {
    ackBucketObjects(recovery.restoreTest, recovery.replicaBucket);
    const rp = partition(recovery);
    ack(
      recovery.restoreTest.role,
      `AwsSolutions-IAM5[Resource::arn:${rp}:dynamodb:${recovery.region}:${recovery.account}:table/${DRTEST_TABLE_PATTERN}]`,
      REASONS.drtest,
    );
    ack(
      recovery.restoreTest.role,
      `AwsSolutions-IAM5[Resource::arn:${rp}:dynamodb:${recovery.region}:${recovery.account}:table/${DRTEST_TABLE_PATTERN}/import/*]`,
      REASONS.drtestImports,
    );
    ack(
      recovery.restoreTest.role,
      `AwsSolutions-IAM5[Resource::arn:${rp}:logs:${recovery.region}:${recovery.account}:log-group:/aws-dynamodb/*]`,
      REASONS.importLogs,
    );
    // The restore test has ListTables, ListImports and DescribeLogGroups on "*": one finding, every reason.
    const lists = `${REASONS.importLogGroupsList} ${REASONS.listImports}`;
    const star = recovery.lockdown ? `${lists} ${REASONS.xray}` : lists;
    ack(recovery.restoreTest.role, 'AwsSolutions-IAM5[Resource::*]', star);
  }
  for (const stack of [production, recovery]) {
    if (!stack.lockdown) continue;
    for (const fn of stack.node.findAll().filter((c): c is DrFunction => c instanceof DrFunction))
      if (fn !== recovery.restoreTest) ack(fn.role, 'AwsSolutions-IAM5[Resource::*]', REASONS.xray);
  }
}

/** One acknowledgement per wildcard resource of the operator policy, with its statement's reason. */
function acknowledgeOperatorPolicy(policy: iam.ManagedPolicy): void {
  const doc = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement: { Sid?: string; Resource: string | string[] }[] };
  for (const statement of doc.Statement) {
    const reason = statement.Sid ? OPERATOR_POLICY_REASONS[statement.Sid] : undefined;
    if (!reason) continue;
    for (const resource of ([] as string[]).concat(statement.Resource)) {
      if (resource.includes('*')) ack(policy, `AwsSolutions-IAM5[Resource::${resource}]`, reason);
    }
  }
}
