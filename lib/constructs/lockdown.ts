import { Aspects, Duration, Stack, type IAspect } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import type { AccessPolicyHolder } from './air-gapped-vault';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import type { DrConfig } from '../config';
import { DrFunction } from './dr-function';
import { EncryptionKey } from './encryption-key';
import { exemptRoles, guardBucket, guardKey, guardVault } from './lockdown-guards';
import { TAMPER_EVENTS, TamperPages, type TamperWatch } from './tamper-pages';

/** Vault Lock settings of the hardened profile. */
export interface VaultLockSettings {
  /** Shortest retention of any tier (days): AWS Backup refuses jobs below it. */
  readonly minRetentionDays: number;
  /** Longest retention of any tier (days): AWS Backup refuses jobs above it. */
  readonly maxRetentionDays: number;
  /** Days before the lock becomes immutable (at least 3). */
  readonly changeableForDays: number;
}

/** Vault Lock of the hardened profile: retention between the shortest and the longest tier of `c`. */
export function vaultLockSettings(c: DrConfig): VaultLockSettings {
  const days = [c.retention.dailyDays, c.retention.weeklyDays, c.retention.monthlyDays];
  return { minRetentionDays: Math.min(...days), maxRetentionDays: Math.max(...days), changeableForDays: c.vaultLock.changeableForDays };
}

/** The `lockConfiguration` of a vault under {@link VaultLockSettings}. */
export function renderVaultLock(s: VaultLockSettings): backup.LockConfiguration {
  if (s.changeableForDays < 3)
    throw new Error(`Vault Lock changeableForDays must be at least 3 (got ${s.changeableForDays}): AWS Backup's cooling-off period is 72 hours`);
  if (s.minRetentionDays > s.maxRetentionDays)
    throw new Error(`Vault Lock minRetentionDays (${s.minRetentionDays}) must not exceed maxRetentionDays (${s.maxRetentionDays})`);
  return {
    minRetention: Duration.days(s.minRetentionDays),
    maxRetention: Duration.days(s.maxRetentionDays),
    changeableFor: Duration.days(s.changeableForDays),
  };
}

/** Props of {@link Lockdown}. */
export interface LockdownProps {
  /** Rule name prefix (the config's appName). */
  readonly app: string;
  /**
   * The break-glass role exempted from the guards besides the deploy role. Left out in the
   * recovery account of an off-account deployment: a role of the primary account must not reach it.
   * @default - the deploy role only
   */
  readonly breakGlassRoleArn?: string;
  /** Backup or replica buckets to guard. */
  readonly guardedBuckets: readonly s3.Bucket[];
  /** Vaults to guard. */
  readonly guardedVaults: readonly AccessPolicyHolder[];
  /** Names of every bucket whose policy, lifecycle or replication change pages (guarded ones and data buckets). */
  readonly watchedBucketNames: readonly string[];
  /** Names of the vaults whose deletion or policy change pages. */
  readonly watchedVaultNames: readonly string[];
  /** Names of the tables whose deletion, PITR change or deletion-protection removal pages. */
  readonly watchedTableNames: readonly string[];
  /** The critical topic. */
  readonly topic: sns.ITopic;
  /** Which stack: names the log-group key (`<app>-dr-logs-<regionLabel>`). */
  readonly regionLabel: 'primary' | 'recovery';
}

/**
 * The hardened profile of one stack: every log group of the stack encrypted with a key of its
 * own (the function logs can hold table keys and object names), X-Ray active tracing on every
 * DrFunction (DrFunction.enableTracing), guards on every KMS key of the
 * stack and on the given buckets and vaults, and the tamper pages of its region. Keys and log
 * groups are found by an aspect at synth, so those added after this construct are covered too.
 */
export class Lockdown extends Construct {
  /** The tamper rules. */
  public readonly pages: TamperPages;
  /** The key of the stack's log groups. */
  public readonly logsKey: kms.Key;
  /** How many backup or replica buckets carry the bucket guard. */
  public readonly guardedBucketCount: number;
  /** How many vaults carry the vault guard. */
  public readonly guardedVaultCount: number;

  constructor(scope: Construct, id: string, props: LockdownProps) {
    super(scope, id);
    this.logsKey = logsKey(this, `${props.app}-dr-logs-${props.regionLabel}`);
    const exempt = exemptRoles(this, props.breakGlassRoleArn);
    Aspects.of(Stack.of(this)).add(new KeysAndLogs(this.logsKey, exempt));
    for (const bucket of props.guardedBuckets) guardBucket(bucket, exempt);
    for (const vault of props.guardedVaults) guardVault(vault, exempt);
    this.pages = new TamperPages(this, 'TamperPages', { app: props.app, topic: props.topic, watches: tamperWatches(props) });
    this.guardedBucketCount = props.guardedBuckets.length;
    this.guardedVaultCount = props.guardedVaults.length;
  }
}

/** Guards every KMS key, encrypts every log group and traces every DrFunction of the stack it visits. */
class KeysAndLogs implements IAspect {
  constructor(
    private readonly logsKey: kms.Key,
    private readonly exempt: readonly string[],
  ) {}

  visit(node: IConstruct): void {
    if (node instanceof kms.Key) guardKey(node, this.exempt);
    if (node instanceof logs.LogGroup) (node.node.defaultChild as logs.CfnLogGroup).kmsKeyId = this.logsKey.keyArn;
    if (node instanceof DrFunction) node.enableTracing();
  }
}

/**
 * The key of the stack's log groups. CloudWatch Logs uses it as `logs.<region>.amazonaws.com`,
 * for log groups of this account and region only (the encryption-context condition AWS documents
 * for log-group keys).
 */
function logsKey(scope: Construct, alias: string): kms.Key {
  const stack = Stack.of(scope);
  const key = new EncryptionKey(scope, 'LogsKey', { alias, description: `${alias}: CloudWatch Logs of the DR functions` }).key;
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
    }),
  );
  return key;
}

/** The watches of one region: keys (any key of the account and region), vaults, buckets, tables. */
export function tamperWatches(p: Pick<LockdownProps, 'watchedBucketNames' | 'watchedVaultNames' | 'watchedTableNames'>): TamperWatch[] {
  const watches: TamperWatch[] = [
    // Key ids arrive as an id, an ARN or an alias: no filter; a key deletion in the account is worth a page.
    { id: 'Keys', service: 'kms', eventNames: TAMPER_EVENTS.kms, resourceParameter: 'keyId', what: 'tried to delete, disable or re-policy a KMS key' },
    {
      id: 'Buckets',
      service: 's3',
      eventNames: TAMPER_EVENTS.s3,
      resourceParameter: 'bucketName',
      resources: p.watchedBucketNames,
      what: 'changed the policy, lifecycle, replication or Object Lock of a protected bucket',
    },
    {
      id: 'Tables',
      service: 'dynamodb',
      eventNames: TAMPER_EVENTS.dynamodb,
      resourceParameter: 'tableName',
      resources: p.watchedTableNames,
      what: 'deleted a protected table or changed its point-in-time recovery',
    },
    {
      id: 'TableProtection',
      service: 'dynamodb',
      eventNames: ['UpdateTable'],
      resourceParameter: 'tableName',
      resources: p.watchedTableNames,
      requestParameters: { deletionProtectionEnabled: [false] },
      what: 'turned deletion protection off on a protected table',
    },
  ];
  if (p.watchedVaultNames.length) {
    watches.push({
      id: 'Vaults',
      service: 'backup',
      eventNames: TAMPER_EVENTS.backup,
      resourceParameter: 'backupVaultName',
      resources: p.watchedVaultNames,
      what: 'deleted a recovery point or changed or deleted a protected AWS Backup vault or its lock',
    });
  }
  return watches;
}
