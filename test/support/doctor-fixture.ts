/**
 * A mocked AWS account for `dr doctor` tests (aws-sdk-client-mock): the shipped dr.config.json
 * ("shop", eu-west-1 + eu-central-1) deployed and healthy. Each test breaks one thing by
 * overriding one mock after {@link healthyAccount}.
 */
import * as path from 'node:path';
import { BackupClient, DescribeBackupVaultCommand, DescribeRegionSettingsCommand, ListBackupVaultsCommand } from '@aws-sdk/client-backup';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, DescribeAlarmHistoryCommand, GetMetricDataCommand, ListMetricsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeContinuousBackupsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  GetBucketReplicationCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetSMSSandboxAccountStatusCommand,
  GetTopicAttributesCommand,
  ListSMSSandboxPhoneNumbersCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { registerDoctorCommand } from '../../cli/doctor';
import type { CheckResult } from '../../cli/doctor/result';
import { renderProtectionSummary, type ProtectionSummary } from '../../lib/protection-summary';
import { runCli, testProgram, type CliRun } from './run-cli';

export const ACCOUNT = '123456789012';
export const CONFIG = path.resolve(__dirname, '..', '..', 'dr.config.json');
export const BACKUP_BUCKET = `shop-backups-${ACCOUNT}-eu-west-1`;
export const REPLICA_BUCKET = `shop-replica-${ACCOUNT}-eu-central-1`;
/** The time every scenario runs at. */
export const NOW = new Date('2026-12-01T09:00:00.000Z');
/** The newest backup set of the healthy account: 7 hours before NOW. */
export const BACKUP_ID = '2026-12-01T02-00-00-000Z';
export const CALLER = `arn:aws:sts::${ACCOUNT}:assumed-role/shop-dr-operator/alice`;

/** The clients' mocks (shared by every client instance of the class, both regions). */
export const mocks = {
  sts: mockClient(STSClient),
  cloudformation: mockClient(CloudFormationClient),
  cloudwatch: mockClient(CloudWatchClient),
  dynamodb: mockClient(DynamoDBClient),
  s3: mockClient(S3Client),
  sns: mockClient(SNSClient),
  events: mockClient(EventBridgeClient),
  backup: mockClient(BackupClient),
  cloudtrail: mockClient(CloudTrailClient),
};

/** An AWS SDK service error as the SDK throws it. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

/** The topic policy the fixed AlertTopics writes: CloudWatch may publish, plain HTTP may not. */
export function topicPolicy(topicArn: string, withCloudWatchAllow = true): string {
  const deny = {
    Sid: 'AllowPublishThroughSSLOnly',
    Effect: 'Deny',
    Principal: '*',
    Action: 'sns:Publish',
    Resource: topicArn,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
  const allow = {
    Sid: 'AllowCloudWatchAlarms',
    Effect: 'Allow',
    Principal: { Service: 'cloudwatch.amazonaws.com' },
    Action: 'sns:Publish',
    Resource: topicArn,
    // The topic's own account (the recovery account's topics in an off-account deployment).
    Condition: { StringEquals: { 'aws:SourceAccount': topicArn.split(':')[4] || ACCOUNT } },
  };
  return JSON.stringify({ Version: '2012-10-17', Statement: withCloudWatchAllow ? [allow, deny] : [deny] });
}

/** metadata.json of a complete set (the fields the catalog's shape check asks for). */
export function metadataJson(backupId: string, exportTime: string): string {
  const prefix = `backups/daily/${backupId}/orders/AWSDynamoDB/e/`;
  return JSON.stringify({
    formatVersion: 1,
    backupId,
    tier: 'daily',
    success: true,
    startedAt: exportTime,
    exportTime,
    tables: ['orders'],
    recordCounts: { orders: 1 },
    bytes: { orders: 1 },
    totalRecords: 1,
    totalBytes: 1,
    tableDetails: { orders: { exportFolder: prefix, files: [], schema: {} } },
  });
}

/** The end of each chained table's newest replicated window in the healthy account: 30 minutes before NOW. */
export const LATEST_WINDOW_END = '2026-12-01T08:30:00.000Z';

/** `_latest.json` of a chained table (a window catalog entry) whose window ends at `to`. */
export function latestWindowJson(table: string, to: string): string {
  const from = new Date(Date.parse(to) - 30 * 60_000).toISOString();
  return JSON.stringify({
    formatVersion: 1,
    kind: 'incremental',
    table,
    from,
    to,
    baseSet: `daily/${BACKUP_ID}`,
    counts: { puts: 3, deletes: 1 },
    metadataSha256: '0'.repeat(64),
    metadataBytes: 100,
  });
}

/** A ListObjectsV2 answer over `keys` that honours Prefix and StartAfter, as S3 does. */
export function listing(keys: string[]): (input: { Prefix?: string; StartAfter?: string }) => { Contents: { Key: string }[] } {
  return (input) => ({
    Contents: [...keys]
      .sort()
      .filter((k) => k.startsWith(input.Prefix ?? '') && (!input.StartAfter || k > input.StartAfter))
      .map((Key) => ({ Key })),
  });
}

/** A GetObject body the SDK's transformToString reads. */
export const body = (text: string) => ({ Body: { transformToString: async () => text } }) as never;

/** The account's multi-region trail (home eu-west-1), logging all management events. */
export const TRAIL = {
  Name: 'management',
  HomeRegion: 'eu-west-1',
  IsMultiRegionTrail: true,
  TrailARN: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/management`,
};

/** The tamper rules of each hardened stack of the shipped config. */
export const TAMPER_RULES = ['keys', 'buckets', 'tables', 'tableprotection', 'vaults'].map((w) => `shop-tamper-${w}`);
/** The Vault Lock of the shipped config (shortest and longest tier). */
export const VAULT_LOCK = { minRetentionDays: 30, maxRetentionDays: 365, changeableForDays: 3 };

/** The Protection output of a hardened stack of the shipped config holding `vault` (as test/cli/doctor-protection.test.ts finds the templates write it). */
export function protectionSummary(vault: string): ProtectionSummary {
  return {
    level: 'hardened',
    objectLock: { mode: 'COMPLIANCE', days: 7 },
    vaults: [{ name: vault, kind: 'locked', lock: VAULT_LOCK }],
    guards: { keys: true, buckets: 1, vaults: 1 },
    tamperRules: TAMPER_RULES,
  };
}

/** Every mock answers as a healthy, fully deployed account (`replica`: the replica bucket the stacks name). */
export function healthyAccount(replica: string = REPLICA_BUCKET): void {
  for (const m of Object.values(mocks)) m.reset();
  mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: CALLER, UserId: 'AROAEXAMPLE:alice' });
  mocks.cloudformation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
    const production = input.StackName === 'Shop-Production';
    return {
      Stacks: [
        {
          StackName: input.StackName,
          StackStatus: production ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE',
          CreationTime: new Date('2026-11-01T10:00:00Z'),
          LastUpdatedTime: new Date('2026-11-20T10:00:00Z'),
          // As the shipped (hardened) config's templates declare them (test/cli/doctor-protection.test.ts).
          Outputs: production
            ? [
                { OutputKey: 'BackupBucketName', OutputValue: BACKUP_BUCKET },
                { OutputKey: 'ProtectionPrimary', OutputValue: renderProtectionSummary(protectionSummary('shop-dr-primary')) },
              ]
            : [
                { OutputKey: 'ReplicaBucketName', OutputValue: replica },
                { OutputKey: 'ProtectionRecovery', OutputValue: renderProtectionSummary(protectionSummary('shop-dr-recovery')) },
              ],
        },
      ],
    };
  });
  mocks.dynamodb.on(DescribeContinuousBackupsCommand).resolves({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: new Date('2026-11-01T10:05:00Z') },
    },
  });
  mocks.s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  mocks.s3.on(GetBucketLifecycleConfigurationCommand).resolves({
    Rules: [{ ID: 'noncurrent-versions', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 35 } }],
  });
  mocks.s3.on(GetObjectLockConfigurationCommand).resolves({
    ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } },
  });
  mocks.s3.on(GetBucketReplicationCommand).resolves({
    ReplicationConfiguration: {
      Role: `arn:aws:iam::${ACCOUNT}:role/replication`,
      Rules: [
        {
          ID: 'to-eu-central-1',
          Status: 'Enabled',
          Destination: { Bucket: `arn:aws:s3:::${replica}`, ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } } },
        },
      ],
    },
  });
  mocks.s3.on(ListObjectsV2Command).callsFake(listing([`backups/daily/${BACKUP_ID}/orders/data/part-0.json.gz`, `backups/daily/${BACKUP_ID}/metadata.json`]));
  // A chained table's pointer to its newest window (replica bucket), else the set's metadata.json.
  mocks.s3
    .on(GetObjectCommand)
    .callsFake((input: { Key: string }) =>
      input.Key.endsWith('/_latest.json')
        ? body(latestWindowJson(input.Key.split('/')[2], LATEST_WINDOW_END))
        : body(metadataJson(BACKUP_ID, '2026-12-01T02:00:00.000Z')),
    );
  mocks.cloudwatch.on(ListMetricsCommand).resolves({ Metrics: [{ Namespace: 'AWS/S3', MetricName: 'ReplicationLatency' }] });
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string }[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) =>
      q.Id === 'ok'
        ? { Id: 'ok', Timestamps: [new Date('2026-11-30T05:00:00Z')], Values: [1] }
        : { Id: q.Id, Timestamps: q.Id === 'replicationFailed' ? [new Date('2026-12-01T08:00:00Z')] : [], Values: q.Id === 'replicationFailed' ? [0] : [] },
    ),
  }));
  mocks.cloudwatch.on(SetAlarmStateCommand).resolves({});
  // Each region's alarm notifies that region's critical topic.
  mocks.cloudwatch.on(DescribeAlarmHistoryCommand).callsFake(async (_input: unknown, getClient: () => CloudWatchClient) => {
    const topic =
      (await getClient().config.region()) === 'eu-west-1'
        ? 'eu-west-1:123456789012:shop-dr-critical-primary'
        : 'eu-central-1:123456789012:shop-dr-critical-recovery';
    return { AlarmHistoryItems: [{ HistoryItemType: 'Action', HistorySummary: `Successfully executed action arn:aws:sns:${topic}` }] };
  });
  mocks.sns.on(ListSubscriptionsByTopicCommand).callsFake((input: { TopicArn: string }) => ({
    Subscriptions: [
      {
        TopicArn: input.TopicArn,
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        SubscriptionArn: `${input.TopicArn}:6f0b7f0e-0000-4000-8000-000000000001`,
      },
    ],
  }));
  // Out of the SMS sandbox (the shipped config pages +447700900123 by SMS); AWS Backup's advanced DynamoDB features on.
  mocks.sns.on(GetSMSSandboxAccountStatusCommand).resolves({ IsInSandbox: false });
  mocks.backup
    .on(DescribeRegionSettingsCommand)
    .resolves({ ResourceTypeManagementPreference: { DynamoDB: true }, ResourceTypeOptInPreference: { DynamoDB: true } });
  // recovery.vault "airGapped": the recovery region lists the logically air-gapped vault (called only with that setting).
  mocks.backup
    .on(ListBackupVaultsCommand)
    .resolves({ BackupVaultList: [{ BackupVaultName: 'shop-dr-recovery', VaultType: 'LOGICALLY_AIR_GAPPED_BACKUP_VAULT', Locked: true }] });
  mocks.events.on(DescribeRuleCommand).callsFake((input: { Name: string }) => ({ Name: input.Name, State: 'ENABLED' }));
  mocks.backup.on(DescribeBackupVaultCommand).callsFake((input: { BackupVaultName: string }) => ({
    BackupVaultName: input.BackupVaultName,
    Locked: true,
    MinRetentionDays: VAULT_LOCK.minRetentionDays,
    MaxRetentionDays: VAULT_LOCK.maxRetentionDays,
    LockDate: new Date('2026-11-04T10:00:00Z'),
  }));
  mocks.cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [TRAIL] });
  mocks.cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  mocks.cloudtrail
    .on(GetEventSelectorsCommand)
    .resolves({ TrailARN: TRAIL.TrailARN, EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] });
  mocks.sns
    .on(GetTopicAttributesCommand)
    .callsFake((input: { TopicArn: string }) => ({ Attributes: { TopicArn: input.TopicArn, Policy: topicPolicy(input.TopicArn) } }));
}

/** The healthy account, but SNS is in the SMS sandbox in both regions, where the on-call number is verified. */
export function inTheSmsSandbox(): void {
  healthyAccount();
  mocks.sns.on(GetSMSSandboxAccountStatusCommand).resolves({ IsInSandbox: true });
  mocks.sns.on(ListSMSSandboxPhoneNumbersCommand).resolves({ PhoneNumbers: [{ PhoneNumber: '+447700900123', Status: 'Verified' }] });
}

/** The profile whose credentials are the recovery account's in {@link twoAccounts}. */
export const RECOVERY_PROFILE = 'shop-recovery';

/**
 * The healthy account deployed from the two-account fixture config (test/lib/fixtures/
 * dr.config.two-account.json): STS answers with `primary` for the default credentials and with
 * `recovery` for clients built with {@link RECOVERY_PROFILE} (the client's own `profile`).
 */
export function twoAccounts(primary: string, recovery: string): void {
  // The replica bucket is named for the recovery account the config names (444455556666).
  healthyAccount(`shop-replica-444455556666-eu-central-1`);
  mocks.sts.on(GetCallerIdentityCommand).callsFake((_input: unknown, getClient: () => STSClient) => {
    const account = getClient().config.profile === RECOVERY_PROFILE ? recovery : primary;
    return { Account: account, Arn: `arn:aws:sts::${account}:assumed-role/operator/alice`, UserId: 'AROAEXAMPLE:alice' };
  });
  // Each account has its own multi-region trail.
  mocks.cloudtrail.on(DescribeTrailsCommand).callsFake((_input: unknown, getClient: () => CloudTrailClient) => {
    const account = getClient().config.profile === RECOVERY_PROFILE ? recovery : primary;
    return { trailList: [{ ...TRAIL, TrailARN: `arn:aws:cloudtrail:${TRAIL.HomeRegion}:${account}:trail/${TRAIL.Name}` }] };
  });
}

/** Runs `dr --config dr.config.json doctor <args>` in-process at {@link NOW}. */
export async function doctor(...args: string[]): Promise<CliRun> {
  return doctorWith(CONFIG, ...args);
}

/** Runs `dr --config <config> doctor <args>` in-process at {@link NOW}. */
export async function doctorWith(config: string, ...args: string[]): Promise<CliRun> {
  // Only Date is faked: the SDK's promises and timers run as usual.
  jest.useFakeTimers({
    now: NOW,
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
  try {
    return await runCli(testProgram(registerDoctorCommand), ['--config', config, 'doctor', ...args]);
  } finally {
    jest.useRealTimers();
  }
}

/** `dr doctor --json`: the exit code and the parsed results. */
export async function doctorJson(...args: string[]): Promise<{ code: number; results: CheckResult[]; stderr: string }> {
  const run = await doctor('--json', ...args);
  return { code: run.code, results: run.stdout ? (JSON.parse(run.stdout) as CheckResult[]) : [], stderr: run.stderr };
}

/** The one result whose check name starts with `prefix` (fails the test when not exactly one). */
export function result(results: CheckResult[], prefix: string): CheckResult {
  const found = results.filter((r) => r.check.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one check starting "${prefix}", found ${found.length}: ${results.map((r) => r.check).join(', ')}`);
  return found[0];
}
