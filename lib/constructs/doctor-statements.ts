import * as iam from 'aws-cdk-lib/aws-iam';
import { recoveryVaultName, stackNames, type DrConfig } from '../config';
import { pageTestAlarmName } from './alarm-naming';

/** One region `dr doctor` checks with a policy, and which side of the deployment lives there. */
export interface DoctorRegion {
  readonly side: 'primary' | 'recovery';
  readonly region: string;
}

/** What the doctor statements of one policy cover: one account, one or both regions. */
export interface DoctorScope {
  /** Literal partition (not a token), so the callers' size checks measure the real policy. */
  readonly partition: string;
  /** The account whose stacks, topics, rules, vaults and alarms the statements name. */
  readonly account: string;
  /** The regions checked with this policy (both with one account; the recovery one off-account). */
  readonly regions: readonly DoctorRegion[];
  /** Names of the buckets whose settings doctor reads (versioning, Object Lock, lifecycle, replication). */
  readonly buckets: readonly string[];
}

/**
 * The read-only statements every `dr doctor` check needs (and the page test's SetAlarmState),
 * for the regions of one account: the one home of a doctor check's permission. Used by
 * `<app>-dr-operator` (both regions, dr-operator-policy.ts) and, off-account, by
 * `<app>-dr-operator-recovery-doctor` (the recovery region, recovery-doctor-statements.ts); a new
 * check adds its action here once. Sids: DoctorStacks, DoctorBuckets, DoctorTopics,
 * DoctorProtection (tamper rules, vaults), DoctorTrails, DoctorTrailStatus, DoctorAlarms,
 * DoctorMetrics, DoctorSettings (account and region settings), PageTestAlarm. Actions without a
 * resource type are granted on "*" pinned to the regions by aws:RequestedRegion. Proven in
 * test/permissions/doctor.test.ts (both policies).
 */
export function doctorStatements(c: DrConfig, scope: DoctorScope): iam.PolicyStatement[] {
  const { partition, account, regions } = scope;
  const arn = (region: string, service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const inRegions = { StringEquals: { 'aws:RequestedRegion': regions.map((r) => r.region) } };
  const stackOf = { primary: stackNames(c).production, recovery: stackNames(c).recovery };
  const vaultOf = { primary: `${c.appName}-dr-primary`, recovery: recoveryVaultName(c) };
  const checksReplication = regions.some((r) => r.side === 'primary');
  return [
    new iam.PolicyStatement({
      sid: 'DoctorStacks',
      actions: ['cloudformation:DescribeStacks'],
      resources: regions.map((r) => arn(r.region, 'cloudformation', `stack/${stackOf[r.side]}/*`)),
    }),
    new iam.PolicyStatement({
      sid: 'DoctorBuckets',
      // GetLifecycleConfiguration: the restore window of each data bucket (cli/doctor/bucket-window.ts);
      // GetReplicationConfiguration: the backup bucket's replication rule, read in the primary region.
      actions: [
        's3:GetBucketVersioning',
        's3:GetBucketObjectLockConfiguration',
        ...(checksReplication ? ['s3:GetReplicationConfiguration'] : []),
        's3:GetLifecycleConfiguration',
      ],
      resources: scope.buckets.map((b) => `arn:${partition}:s3:::${b}`),
    }),
    new iam.PolicyStatement({
      sid: 'DoctorTopics',
      actions: ['sns:ListSubscriptionsByTopic', 'sns:GetTopicAttributes'],
      resources: regions.flatMap((r) => ['critical', 'warning'].map((sev) => arn(r.region, 'sns', `${c.appName}-dr-${sev}-${r.side}`))),
    }),
    // The live tamper rules and Vault Lock (cli/doctor/protection-live.ts): this app's rules and vaults.
    new iam.PolicyStatement({
      sid: 'DoctorProtection',
      actions: ['events:DescribeRule', 'backup:DescribeBackupVault'],
      resources: [
        ...regions.map((r) => arn(r.region, 'events', `rule/${c.appName}-tamper-*`)),
        // The vaults exist (and the stacks' Protection output lists them) only with AWS Backup on.
        ...(c.awsBackup.enabled ? regions.map((r) => arn(r.region, 'backup', `backup-vault:${vaultOf[r.side]}`)) : []),
      ],
    }),
    // A trail feeds the tamper rules (cli/doctor/trail-check.ts). DescribeTrails has no resource
    // type; the trail may be an organization trail of another account, named at run time.
    new iam.PolicyStatement({ sid: 'DoctorTrails', actions: ['cloudtrail:DescribeTrails'], resources: ['*'], conditions: inRegions }),
    new iam.PolicyStatement({
      sid: 'DoctorTrailStatus',
      actions: ['cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors'],
      resources: [`arn:${partition}:cloudtrail:*:*:trail/*`],
      conditions: inRegions,
    }),
    new iam.PolicyStatement({
      sid: 'DoctorAlarms',
      actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
      resources: regions.map((r) => arn(r.region, 'cloudwatch', `alarm:${c.appName}-*`)),
    }),
    // GetMetricData, GetMetricStatistics and ListMetrics have no resource type: "*" only.
    new iam.PolicyStatement({
      sid: 'DoctorMetrics',
      actions: ['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics'],
      resources: ['*'],
      conditions: inRegions,
    }),
    // Account and region settings (no resource type: "*"; cli/doctor/prerequisites.ts): the SNS SMS
    // sandbox, AWS Backup's advanced DynamoDB features, and whether the region lists logically
    // air-gapped vaults (recovery.vault "airGapped").
    new iam.PolicyStatement({
      sid: 'DoctorSettings',
      actions: ['sns:GetSMSSandboxAccountStatus', 'sns:ListSMSSandboxPhoneNumbers', 'backup:DescribeRegionSettings', 'backup:ListBackupVaults'],
      resources: ['*'],
      conditions: inRegions,
    }),
    new iam.PolicyStatement({
      sid: 'PageTestAlarm',
      actions: ['cloudwatch:SetAlarmState'],
      resources: regions.map((r) => arn(r.region, 'cloudwatch', `alarm:${pageTestAlarmName(c.appName)}`)),
    }),
  ];
}
