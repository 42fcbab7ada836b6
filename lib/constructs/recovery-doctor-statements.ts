import * as iam from 'aws-cdk-lib/aws-iam';
import { dataReplicaBucketName, incrementalTables, recoveryVaultName, replicaBucketName, stackNames, type DrConfig } from '../config';
import { pageTestAlarmName } from './alarm-naming';

/** Where the recovery stack lives: its partition, region and account. */
export interface RecoveryPlace {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The replica key's ARN: the chain-age check reads an SSE-KMS object of the replica bucket. */
  readonly replicaKeyArn: string;
}

/**
 * What `dr doctor --recovery-profile` reads in the recovery account of an off-account deployment
 * (cli/doctor/recovery-reach.ts), for `<app>-dr-operator-recovery`: the same checks the primary
 * operator policy allows there with one account (its Doctor* statements), narrowed to the
 * recovery region and account. All read-only except SetAlarmState on the page-test alarm
 * (`--page-test`). Proven in test/permissions/recovery-operator.test.ts.
 */
export function recoveryDoctorStatements(c: DrConfig, at: RecoveryPlace): iam.PolicyStatement[] {
  const { partition, region, account } = at;
  const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const bucket = (name: string) => `arn:${partition}:s3:::${name}`;
  const inRegion = { StringEquals: { 'aws:RequestedRegion': [region] } };
  const chained = incrementalTables(c).map((t) => t.name);
  return [
    new iam.PolicyStatement({
      sid: 'DoctorStacks',
      actions: ['cloudformation:DescribeStacks'],
      resources: [arn('cloudformation', `stack/${stackNames(c).recovery}/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'DoctorBuckets',
      actions: ['s3:GetBucketVersioning', 's3:GetBucketObjectLockConfiguration', 's3:GetLifecycleConfiguration'],
      resources: [bucket(replicaBucketName(c, account)), ...c.dataBuckets.map((b) => bucket(dataReplicaBucketName(c, b.name)))],
    }),
    new iam.PolicyStatement({
      sid: 'DoctorTopics',
      actions: ['sns:ListSubscriptionsByTopic', 'sns:GetTopicAttributes'],
      resources: ['critical', 'warning'].map((sev) => arn('sns', `${c.appName}-dr-${sev}-recovery`)),
    }),
    new iam.PolicyStatement({
      sid: 'DoctorProtection',
      actions: ['events:DescribeRule', 'backup:DescribeBackupVault'],
      resources: [arn('events', `rule/${c.appName}-tamper-*`), ...(c.awsBackup.enabled ? [arn('backup', `backup-vault:${recoveryVaultName(c)}`)] : [])],
    }),
    new iam.PolicyStatement({ sid: 'DoctorTrails', actions: ['cloudtrail:DescribeTrails'], resources: ['*'], conditions: inRegion }),
    new iam.PolicyStatement({
      sid: 'DoctorTrailStatus',
      actions: ['cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors'],
      resources: [`arn:${partition}:cloudtrail:*:*:trail/*`],
      conditions: inRegion,
    }),
    new iam.PolicyStatement({
      sid: 'DoctorAlarms',
      actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
      resources: [arn('cloudwatch', `alarm:${c.appName}-*`)],
    }),
    new iam.PolicyStatement({
      sid: 'DoctorMetrics',
      actions: ['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics'],
      resources: ['*'],
      conditions: inRegion,
    }),
    new iam.PolicyStatement({
      sid: 'DoctorSettings',
      actions: ['sns:GetSMSSandboxAccountStatus', 'sns:ListSMSSandboxPhoneNumbers', 'backup:DescribeRegionSettings'],
      resources: ['*'],
      conditions: inRegion,
    }),
    // The chain-age check (cli/doctor/chain-age.ts): each chained table's newest replicated window,
    // an SSE-KMS object decrypted through S3 with the replica key.
    ...(chained.length
      ? [
          new iam.PolicyStatement({
            sid: 'DoctorChainAge',
            actions: ['s3:GetObject'],
            resources: chained.map((t) => `${bucket(replicaBucketName(c, account))}/backups/incremental/${t}/_latest.json`),
          }),
          new iam.PolicyStatement({
            sid: 'DoctorChainAgeKey',
            actions: ['kms:Decrypt'],
            resources: [at.replicaKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
          }),
        ]
      : []),
    new iam.PolicyStatement({
      sid: 'PageTestAlarm',
      actions: ['cloudwatch:SetAlarmState'],
      resources: [arn('cloudwatch', `alarm:${pageTestAlarmName(c.appName)}`)],
    }),
  ];
}
