/**
 * Runs every `dr doctor` check against the account the credentials belong to, in report order.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { dataReplicaBucketName, incrementalTables, operatorPolicyName, replicaKeyAlias, type DrConfig } from '../../lib/config';
import {
  describeStack,
  objectLockCheck,
  pitrCheck,
  replicationCheck,
  replicationMetricsCheck,
  stackCheck,
  subscriptionsCheck,
  topicPolicyCheck,
  versioningCheck,
} from './checks';
import { backupAgeCheck, restoreTestCheck } from './data-checks';
import { chainAgeCheck } from './chain-age';
import { bucketWindowCheck } from './bucket-window';
import { protectionCheck } from './protection';
import { awsBackupDynamoDbCheck, smsNumbers, smsSandboxCheck } from './prerequisites';
import { liveProtectionChecks } from './protection-live';
import { CheckResult, fail, guard, pass } from './result';
import { doctorTarget, partitionOf, type DoctorClients, type DoctorTarget, type RegionClients, type StackOutputs } from './target';

/** Who is asking (STS GetCallerIdentity). */
export interface Caller {
  readonly account: string;
  readonly arn: string;
  readonly partition: string;
}

/**
 * The caller's identity. Also the first call of every run: without credentials it throws the
 * SDK's credentials error before any check starts, so the command prints one message.
 */
export async function whoAmI(clients: DoctorClients): Promise<Caller> {
  const id = await clients.sts.send(new GetCallerIdentityCommand({}));
  return { account: id.Account ?? '', arn: id.Arn ?? '', partition: partitionOf(id.Arn) };
}

/** The caller's account against `primary.account` of the config (when it names one). */
export function accountCheck(config: DrConfig, caller: Caller): CheckResult {
  const check = 'account';
  if (config.primary.account && config.primary.account !== caller.account)
    return fail(
      check,
      `credentials are for account ${caller.account}, dr.config.json primary.account is ${config.primary.account}`,
      `use credentials of account ${config.primary.account} (AWS_PROFILE=<profile of that account>), or pass --config for this account's deployment`,
    );
  return pass(check, `${caller.account} as ${caller.arn}`);
}

function outputsOf(stack: { Outputs?: { OutputKey?: string; OutputValue?: string }[] } | undefined): Record<string, string> {
  return Object.fromEntries((stack?.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey, o.OutputValue]));
}

/** Options of {@link runChecks}. */
export interface RunChecksOptions {
  /** Backup bucket override (the global --bucket). @default - the stack output, else the computed name */
  readonly bucket?: string;
  /** @default new Date() */
  readonly now?: Date;
}

/** Every check, in the order of the report; never throws for a failed check (only for missing credentials). */
export async function runChecks(
  clients: DoctorClients,
  config: DrConfig,
  caller: Caller,
  options: RunChecksOptions = {},
): Promise<{ target: DoctorTarget; results: CheckResult[] }> {
  const now = options.now ?? new Date();
  const policy = operatorPolicyName(config);
  const { primary, recovery } = clients;
  const names = doctorTarget(config, caller.account, caller.partition, {}).stacks;
  const arn = (service: string, region: string, resource: string) => `arn:${caller.partition}:${service}:${region}:${caller.account}:${resource}`;

  // Stacks first: their outputs name the buckets.
  const stacks: Record<'production' | 'recovery', Awaited<ReturnType<typeof describeStack>>> = { production: undefined, recovery: undefined };
  const stackResults: CheckResult[] = [];
  for (const [which, r] of [
    ['recovery', recovery],
    ['production', primary],
  ] as const) {
    const name = names[which];
    const check = `stack ${name} (${r.region})`;
    stackResults.push(
      await guard(check, `cloudformation:DescribeStacks on ${arn('cloudformation', r.region, `stack/${name}/*`)}`, policy, async () => {
        stacks[which] = await describeStack(r, name);
        return stackCheck(check, stacks[which], r.region);
      }),
    );
  }
  const outputs: StackOutputs = { ...outputsOf(stacks.production), ...outputsOf(stacks.recovery) };
  const target = doctorTarget(config, caller.account, caller.partition, outputs, options.bucket);
  const s3arn = (b: string) => `arn:${caller.partition}:s3:::${b}`;
  const buckets: [RegionClients, string][] = [
    [primary, target.backupBucket],
    [recovery, target.replicaBucket],
  ];

  const checks: Promise<CheckResult>[] = [
    ...config.tables.map((t) =>
      guard(`PITR ${t.name}`, `dynamodb:DescribeContinuousBackups on ${arn('dynamodb', primary.region, `table/${t.name}`)}`, policy, () =>
        pitrCheck(primary, t.name),
      ),
    ),
    ...buckets.flatMap(([r, bucket]) => [
      guard(`versioning ${bucket}`, `s3:GetBucketVersioning on ${s3arn(bucket)}`, policy, () => versioningCheck(r, bucket)),
      guard(`Object Lock ${bucket}`, `s3:GetBucketObjectLockConfiguration on ${s3arn(bucket)}`, policy, () => objectLockCheck(r, bucket, config)),
    ]),
    // dr restore-bucket: each data bucket and its replica, versioned, with its noncurrent-version window.
    ...config.dataBuckets.flatMap((b) =>
      (
        [
          [primary, b.name],
          [recovery, dataReplicaBucketName(config, b.name)],
        ] as const
      ).map(([r, bucket]) =>
        guard(`restore window ${bucket}`, `s3:GetBucketVersioning and s3:GetLifecycleConfiguration on ${s3arn(bucket)}`, policy, () =>
          bucketWindowCheck(r, bucket, b.versionsDays),
        ),
      ),
    ),
    guard(`replication ${target.replicationRuleId}`, `s3:GetReplicationConfiguration on ${s3arn(target.backupBucket)}`, policy, () =>
      replicationCheck(primary, target.backupBucket, target.replicaBucket, target.replicationRuleId, caller.partition),
    ),
    guard(`replication metrics ${target.replicationRuleId}`, 'cloudwatch:ListMetrics and cloudwatch:GetMetricData (resource *)', policy, () =>
      replicationMetricsCheck(primary, target.backupBucket, target.replicaBucket, target.replicationRuleId, now),
    ),
    ...target.topics.flatMap((t) => {
      const r = t.where === 'primary' ? primary : recovery;
      const alarmArn = arn('cloudwatch', t.region, `alarm:${target.pageTestAlarm}`);
      return [
        guard(`subscriptions ${t.name}`, `sns:ListSubscriptionsByTopic on ${t.arn}`, policy, () => subscriptionsCheck(r, t)),
        guard(`topic policy ${t.name}`, `sns:GetTopicAttributes on ${t.arn}`, policy, () => topicPolicyCheck(r, t, caller.account, alarmArn)),
      ];
    }),
    ...prerequisiteChecks(clients, config, policy),
    guard(
      'newest backup vs RPO',
      `s3:ListBucket on ${s3arn(target.backupBucket)}, s3:GetObject on ${s3arn(target.backupBucket)}/backups/* and kms:Decrypt on the backup key (alias/${config.appName}-dr-backups)`,
      policy,
      () => backupAgeCheck(primary, target.backupBucket, config, now),
    ),
    // Per chained table: the newest replicated window against the RPO (docs/rpo.md).
    ...incrementalTables(config).map(({ name }) =>
      guard(
        `chain age ${name}`,
        `s3:GetObject on ${s3arn(target.replicaBucket)}/backups/incremental/${name}/_latest.json and kms:Decrypt on the replica key (${replicaKeyAlias(config)})`,
        policy,
        () =>
          chainAgeCheck(
            { recovery, replicaBucket: target.replicaBucket, primaryRegion: primary.region, now },
            config,
            config.tables.find((t) => t.name === name)!,
          ),
      ),
    ),
    guard('last restore test', 'cloudwatch:GetMetricData (resource *)', policy, () => restoreTestCheck(recovery, config, stacks.recovery, now)),
    // What the stacks declare, compared with the live account where a read-only call exists.
    ...liveProtectionChecks(config.appName, outputs, { primary, recovery }, arn, policy, now),
  ];
  const protection = protectionCheck(config, outputs, names);
  return { target, results: [accountCheck(config, caller), ...stackResults, protection, ...(await Promise.all(checks))] };
}

/** Account settings per region: the SMS sandbox (when on-call has SMS numbers) and AWS Backup's advanced DynamoDB features (when the plan is on). */
function prerequisiteChecks(clients: DoctorClients, config: DrConfig, policy: string): Promise<CheckResult>[] {
  const numbers = smsNumbers(config);
  const regions = [clients.primary, clients.recovery];
  return [
    ...(numbers.critical.length + numbers.warning.length
      ? regions.map((r) =>
          guard(`SMS sandbox (${r.region})`, 'sns:GetSMSSandboxAccountStatus and sns:ListSMSSandboxPhoneNumbers (resource *)', policy, () =>
            smsSandboxCheck(r, numbers),
          ),
        )
      : []),
    ...(config.awsBackup.enabled
      ? regions.map((r) =>
          guard(`AWS Backup advanced DynamoDB (${r.region})`, 'backup:DescribeRegionSettings (resource *)', policy, () => awsBackupDynamoDbCheck(r)),
        )
      : []),
  ];
}
