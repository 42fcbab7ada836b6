/**
 * What `dr doctor` looks at: the names of a deployment, computed from the config exactly as the
 * stacks compute them (lib/config.ts, lib/constructs/alert-topics.ts), with the stacks' outputs
 * taking precedence where they export a name.
 */
import type { BackupClient } from '@aws-sdk/client-backup';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';
import { backupBucketName, operatorPolicyName, recoveryAccountOf, replicaBucketName, stackNames, type DrConfig } from '../../lib/config';
import { pageTestAlarmName } from '../../lib/constructs/alarm-naming';

/** The clients of one region. */
export interface RegionClients {
  readonly region: string;
  readonly cloudformation: CloudFormationClient;
  readonly cloudwatch: CloudWatchClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  /** The tamper rules' state (events:DescribeRule). */
  readonly events: EventBridgeClient;
  /** Vault Lock as AWS Backup reports it (backup:DescribeBackupVault), and its advanced DynamoDB features (backup:DescribeRegionSettings). */
  readonly backup: BackupClient;
  /** The trails that feed the tamper rules (cloudtrail:DescribeTrails, GetEventSelectors, GetTrailStatus). */
  readonly cloudtrail: CloudTrailClient;
}

/** Every client doctor uses. */
export interface DoctorClients {
  readonly sts: STSClient;
  readonly primary: RegionClients;
  /** The recovery region, with the recovery account's credentials when --recovery-profile is given. */
  readonly recovery: RegionClients;
  /** Off-account: STS with the --recovery-profile credentials (recovery-reach.ts); absent without the option. */
  readonly recoverySts?: STSClient;
}

/** One region as the checks see it: its clients, the account of its stack, the policy a denied call points at. */
export interface CheckedRegion {
  readonly clients: RegionClients;
  readonly account: string;
  /** `<app>-dr-operator`, or `<app>-dr-operator-recovery` in an off-account recovery region. */
  readonly policy: string;
  /** An ARN of `service` in this region and account. */
  readonly arn: (service: string, resource: string) => string;
}

/** One alert topic. */
export interface TopicTarget {
  readonly name: string;
  readonly arn: string;
  readonly severity: 'critical' | 'warning';
  readonly where: 'primary' | 'recovery';
  readonly region: string;
}

/** The names of one deployment, in the caller's account. */
export interface DoctorTarget {
  readonly config: DrConfig;
  readonly account: string;
  readonly partition: string;
  readonly stacks: { readonly production: string; readonly recovery: string };
  readonly backupBucket: string;
  readonly replicaBucket: string;
  /** Replication rule id of the backup bucket (a dimension of the S3 replication metrics). */
  readonly replicationRuleId: string;
  readonly topics: readonly TopicTarget[];
  /** `<app>-doctor-page-test-Critical` (same name in both regions). */
  readonly pageTestAlarm: string;
  /** `<app>-dr-operator`: the managed policy a denied call points at. */
  readonly operatorPolicy: string;
}

/** Outputs the stacks export (CfnOutput keys of lib/stacks/*). */
export interface StackOutputs {
  readonly BackupBucketName?: string;
  readonly ReplicaBucketName?: string;
  /** Each stack's declared protection, JSON (lib/protection-summary.ts). */
  readonly ProtectionPrimary?: string;
  readonly ProtectionRecovery?: string;
}

/** Partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`); `aws` when it cannot be read. */
export function partitionOf(arn: string | undefined): string {
  return /^arn:([^:]+):/.exec(arn ?? '')?.[1] ?? 'aws';
}

/** Builds the target from the config, the caller's account and the stacks' outputs. */
export function doctorTarget(config: DrConfig, account: string, partition: string, outputs: StackOutputs, bucket?: string): DoctorTarget {
  const topics: TopicTarget[] = [];
  for (const where of ['primary', 'recovery'] as const) {
    const region = config[where].region;
    // Off-account, the recovery stack's topics are in the recovery account.
    const owner = where === 'recovery' ? recoveryAccountOf(config, account) : account;
    for (const severity of ['critical', 'warning'] as const) {
      // Topic names as AlertTopics names them: `<app>-dr-<severity>-<regionLabel>`.
      const name = `${config.appName}-dr-${severity}-${where}`;
      topics.push({ name, severity, where, region, arn: `arn:${partition}:sns:${region}:${owner}:${name}` });
    }
  }
  return {
    config,
    account,
    partition,
    stacks: stackNames(config),
    backupBucket: bucket ?? outputs.BackupBucketName ?? backupBucketName(config, account),
    replicaBucket: outputs.ReplicaBucketName ?? replicaBucketName(config, recoveryAccountOf(config, account)),
    // CrossRegionReplication names every rule `to-<destination region>`.
    replicationRuleId: `to-${config.recovery.region}`,
    topics,
    pageTestAlarm: pageTestAlarmName(config.appName),
    operatorPolicy: operatorPolicyName(config),
  };
}
