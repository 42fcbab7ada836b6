/**
 * Runs every `dr doctor` check against the account the credentials belong to, in report order.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { dataReplicaBucketName, incrementalTables, operatorPolicyName, recoveryVaultName, replicaKeyAlias, type DrConfig } from '../../lib/config';
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
import { airGappedRegionCheck, awsBackupDynamoDbCheck, smsNumbers, smsSandboxCheck } from './prerequisites';
import { liveProtectionChecks } from './protection-live';
import { recoveryReach, type RecoveryReach } from './recovery-reach';
import { type CheckResult, fail, guard, pass } from './result';
import { doctorTarget, partitionOf, type CheckedRegion, type DoctorClients, type DoctorTarget, type RegionClients, type StackOutputs } from './target';

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
  /** How the recovery region is reached. @default - decided by {@link recoveryReach} */
  readonly reach?: RecoveryReach;
}

/**
 * Every check, in the order of the report; never throws for a failed check (only for missing
 * credentials). Off-account without the recovery account's credentials, the recovery-region
 * checks are one SKIP line (recovery-reach.ts).
 */
export async function runChecks(
  clients: DoctorClients,
  config: DrConfig,
  caller: Caller,
  options: RunChecksOptions = {},
): Promise<{ target: DoctorTarget; results: CheckResult[] }> {
  const now = options.now ?? new Date();
  const reach = options.reach ?? (await recoveryReach(clients, config, caller.account));
  const side = (r: RegionClients, account: string, policy: string): CheckedRegion => ({
    clients: r,
    account,
    policy,
    arn: (service, resource) => `arn:${caller.partition}:${service}:${r.region}:${account}:${resource}`,
  });
  const primary = side(clients.primary, caller.account, operatorPolicyName(config));
  const recovery = reach.run ? side(clients.recovery, reach.account, reach.policy) : undefined;
  const names = doctorTarget(config, caller.account, caller.partition, {}).stacks;

  // Stacks first: their outputs name the buckets.
  const stacks: Record<'production' | 'recovery', Awaited<ReturnType<typeof describeStack>>> = { production: undefined, recovery: undefined };
  const stackResults: CheckResult[] = [];
  for (const [which, r] of [
    ['recovery', recovery],
    ['production', primary],
  ] as const) {
    if (!r) continue;
    const name = names[which];
    const check = `stack ${name} (${r.clients.region})`;
    stackResults.push(
      await guard(check, `cloudformation:DescribeStacks on ${r.arn('cloudformation', `stack/${name}/*`)}`, r.policy, async () => {
        stacks[which] = await describeStack(r.clients, name);
        return stackCheck(check, stacks[which], r.clients.region);
      }),
    );
  }
  const outputs: StackOutputs = { ...outputsOf(stacks.production), ...outputsOf(stacks.recovery) };
  const target = doctorTarget(config, caller.account, caller.partition, outputs, options.bucket);
  const s3arn = (b: string) => `arn:${caller.partition}:s3:::${b}`;
  const buckets: [CheckedRegion | undefined, string][] = [
    [primary, target.backupBucket],
    [recovery, target.replicaBucket],
  ];
  const reached = <T>(pairs: readonly (readonly [CheckedRegion | undefined, T])[]) => pairs.filter((p): p is [CheckedRegion, T] => p[0] !== undefined);
  const p = primary;

  const checks: Promise<CheckResult>[] = [
    ...config.tables.map((t) =>
      guard(`PITR ${t.name}`, `dynamodb:DescribeContinuousBackups on ${p.arn('dynamodb', `table/${t.name}`)}`, p.policy, () => pitrCheck(p.clients, t.name)),
    ),
    ...reached(buckets).flatMap(([r, bucket]) => [
      guard(`versioning ${bucket}`, `s3:GetBucketVersioning on ${s3arn(bucket)}`, r.policy, () => versioningCheck(r.clients, bucket)),
      guard(`Object Lock ${bucket}`, `s3:GetBucketObjectLockConfiguration on ${s3arn(bucket)}`, r.policy, () => objectLockCheck(r.clients, bucket, config)),
    ]),
    // dr restore-bucket: each data bucket and its replica, versioned, with its noncurrent-version window.
    ...config.dataBuckets.flatMap((b) =>
      reached([
        [primary, b.name],
        [recovery, dataReplicaBucketName(config, b.name)],
      ] as const).map(([r, bucket]) =>
        guard(`restore window ${bucket}`, `s3:GetBucketVersioning and s3:GetLifecycleConfiguration on ${s3arn(bucket)}`, r.policy, () =>
          bucketWindowCheck(r.clients, bucket, b.versionsDays),
        ),
      ),
    ),
    guard(`replication ${target.replicationRuleId}`, `s3:GetReplicationConfiguration on ${s3arn(target.backupBucket)}`, p.policy, () =>
      replicationCheck(p.clients, target.backupBucket, target.replicaBucket, target.replicationRuleId, caller.partition),
    ),
    guard(`replication metrics ${target.replicationRuleId}`, 'cloudwatch:ListMetrics and cloudwatch:GetMetricData (resource *)', p.policy, () =>
      replicationMetricsCheck(p.clients, target.backupBucket, target.replicaBucket, target.replicationRuleId, now),
    ),
    ...target.topics.flatMap((t) => {
      const r = t.where === 'primary' ? primary : recovery;
      if (!r) return [];
      const alarmArn = r.arn('cloudwatch', `alarm:${target.pageTestAlarm}`);
      return [
        guard(`subscriptions ${t.name}`, `sns:ListSubscriptionsByTopic on ${t.arn}`, r.policy, () => subscriptionsCheck(r.clients, t)),
        guard(`topic policy ${t.name}`, `sns:GetTopicAttributes on ${t.arn}`, r.policy, () => topicPolicyCheck(r.clients, t, r.account, alarmArn)),
      ];
    }),
    ...prerequisiteChecks(
      config,
      reached([
        [primary, 0],
        [recovery, 0],
      ] as const).map(([r]) => r),
    ),
    // recovery.vault "airGapped": does the recovery region offer such vaults (no region list could be established offline).
    ...(recovery && config.recovery.vault === 'airGapped'
      ? [
          guard(`air-gapped vault region (${recovery.clients.region})`, 'backup:ListBackupVaults (resource *)', recovery.policy, () =>
            airGappedRegionCheck(recovery.clients, recoveryVaultName(config)),
          ),
        ]
      : []),
    guard(
      'newest backup vs RPO',
      `s3:ListBucket on ${s3arn(target.backupBucket)}, s3:GetObject on ${s3arn(target.backupBucket)}/backups/* and kms:Decrypt on the backup key (alias/${config.appName}-dr-backups)`,
      p.policy,
      () => backupAgeCheck(p.clients, target.backupBucket, config, now),
    ),
    // Per chained table: the newest replicated window against the RPO (docs/rpo.md), read in the recovery region.
    ...(recovery
      ? incrementalTables(config).map(({ name }) =>
          guard(
            `chain age ${name}`,
            `s3:GetObject on ${s3arn(target.replicaBucket)}/backups/incremental/${name}/_latest.json and kms:Decrypt on the replica key (${replicaKeyAlias(config)})`,
            recovery.policy,
            () =>
              chainAgeCheck(
                { recovery: recovery.clients, replicaBucket: target.replicaBucket, primaryRegion: p.clients.region, now },
                config,
                config.tables.find((t) => t.name === name)!,
              ),
          ),
        )
      : []),
    ...(recovery
      ? [
          guard('last restore test', 'cloudwatch:GetMetricData (resource *)', recovery.policy, () =>
            restoreTestCheck(recovery.clients, config, stacks.recovery, now),
          ),
        ]
      : []),
    // What the stacks declare, compared with the live account where a read-only call exists.
    ...liveProtectionChecks(config.appName, outputs, { primary, recovery }, now),
  ];
  const protection = protectionCheck(config, outputs, names, recovery ? undefined : ['primary']);
  return { target, results: [accountCheck(config, caller), ...reach.lines, ...stackResults, protection, ...(await Promise.all(checks))] };
}

/** Account settings per reached region: the SMS sandbox (when on-call has SMS numbers) and AWS Backup's advanced DynamoDB features (when the plan is on). */
function prerequisiteChecks(config: DrConfig, regions: readonly CheckedRegion[]): Promise<CheckResult>[] {
  const numbers = smsNumbers(config);
  return [
    ...(numbers.critical.length + numbers.warning.length
      ? regions.map((r) =>
          guard(`SMS sandbox (${r.clients.region})`, 'sns:GetSMSSandboxAccountStatus and sns:ListSMSSandboxPhoneNumbers (resource *)', r.policy, () =>
            smsSandboxCheck(r.clients, numbers),
          ),
        )
      : []),
    ...(config.awsBackup.enabled
      ? regions.map((r) =>
          guard(`AWS Backup advanced DynamoDB (${r.clients.region})`, 'backup:DescribeRegionSettings (resource *)', r.policy, () =>
            awsBackupDynamoDbCheck(r.clients),
          ),
        )
      : []),
  ];
}
