import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  dataReplicaBucketName,
  recoveryOperatorPolicyName,
  recoveryVaultName,
  replicaBucketName,
  replicaKeyAlias,
  replicationRoleName,
  type DrConfig,
} from '../config';
import { AirGappedVault } from '../constructs/air-gapped-vault';
import { AlertTopics } from '../constructs/alert-topics';
import { DrFunction } from '../constructs/dr-function';
import { DrillOperatorPolicy } from '../constructs/drill-operator-policy';
import { EncryptionKey } from '../constructs/encryption-key';
import { FunctionAlarms } from '../constructs/function-alarms';
import { FunctionSchedule } from '../constructs/function-schedule';
import { importLogStatements } from '../constructs/import-grants';
import { Lockdown, renderVaultLock, vaultLockSettings } from '../constructs/lockdown';
import { trustPrimaryWriters } from '../constructs/off-account-trust';
import { addProtectionOutput } from '../constructs/protection-output';
import { PageTestAlarm } from '../constructs/page-test-alarm';
import { RecoveryOperatorPolicy } from '../constructs/recovery-operator-policy';
import { constructId } from '../constructs/protected-tables';
import { RecoveryAlarms } from '../constructs/recovery-alarms';
import { dataBucket } from '../constructs/data-bucket';
import { TieredBackupBucket } from '../constructs/tiered-backup-bucket';
import { chainTargets, tightestFullSetRpo } from './targets';

/** Table name pattern the restore test may create and delete: `<anything>-drtest-<anything>`. */
export const DRTEST_TABLE_PATTERN = '*-drtest-*';

/** Props of {@link RecoveryStack}. */
export interface RecoveryStackProps extends StackProps {
  /** The validated config. */
  readonly config: DrConfig;
}

/**
 * The recovery region: replica key and buckets (targets of the production stack's replication),
 * the AWS Backup vault receiving the copies, its own topics, the replica-age and restore-test
 * alarms, and the restore-test and replica-monitor functions. Deploys before production.
 */
export class RecoveryStack extends Stack {
  /** The `critical` and `warning` topics of this region. */
  public readonly alerts: AlertTopics;
  /** The replica of the backup bucket. */
  public readonly replicaBucket: s3.Bucket;
  /** The hourly replica monitor. */
  public readonly replicaMonitor: DrFunction;
  /** The weekly restore test, unless `restoreTest.enabled` is false. */
  public readonly restoreTest?: DrFunction;
  /** The vault receiving AWS Backup's copies: standard, or logically air-gapped (`recovery.vault`). */
  public readonly vault: backup.BackupVault | AirGappedVault;
  /** Guards and tamper pages, under `protection: "hardened"`. */
  public readonly lockdown?: Lockdown;
  /** `<app>-dr-operator-recovery`, when the recovery stack is in its own account (`recovery.offAccount`). */
  public readonly operatorPolicy?: iam.ManagedPolicy;
  /** Off-account: `<app>-dr-operator-recovery-doctor` (dr doctor --recovery-profile's reads). */
  public readonly operatorDoctorPolicy?: iam.ManagedPolicy;
  /** Off-account: `<app>-dr-operator-drill` in the recovery account (dr drill on AWS where a recovery would run). */
  public readonly operatorDrillPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: RecoveryStackProps) {
    super(scope, id, props);
    const c = props.config;
    const app = c.appName;
    const key = new EncryptionKey(this, 'ReplicaKey', { alias: replicaKeyAlias(c), description: `${app} DR replicas (buckets, vault, queues)` }).key;

    const store = new TieredBackupBucket(this, 'Replica', {
      bucketName: replicaBucketName(c, this.account),
      encryptionKey: key,
      retention: c.retention,
      objectLockMode: c.objectLock.mode,
      objectLockDays: c.objectLock.days,
    });
    this.replicaBucket = store.bucket;
    // Region down: `dr --region <recovery> --bucket <this> restore latest --confirm`.
    new CfnOutput(this, 'ReplicaBucketName', { value: store.bucket.bucketName, description: 'Replica backup bucket in the recovery region' });
    const replicas: s3.Bucket[] = [store.bucket];
    for (const b of c.dataBuckets) {
      const replica = dataBucket(this, `DataReplica${constructId(b.name)}`, {
        bucketName: dataReplicaBucketName(c, b.name),
        encryptionKey: key,
        logBucket: store.logBucket,
        // S3 replicates locked objects only into a bucket with Object Lock, and ObjectLockEnabled
        // cannot be switched on in place (CloudFormation would replace the bucket, which it refuses
        // for a named bucket). So EVERY replica has Object Lock, with no default retention (replicas
        // keep their source objects' retention; unlocked objects stay deletable): turning
        // dataBuckets[].objectLock on later changes only the source check, never this bucket.
        objectLock: true,
        // The replica keeps versions as long as its source: `restore-bucket --from-replica` reaches as far back.
        lifecycleRules: [{ id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(b.versionsDays) }],
      });
      replicas.push(replica);
    }

    const hardened = c.protection === 'hardened';
    // AWS Backup's copies land in `<app>-dr-recovery`: a standard vault (Vault Lock under hardened)
    // or a logically air-gapped one (recovery.vault), under the same name so the copy rules are unchanged.
    const lock = vaultLockSettings(c);
    this.vault =
      c.recovery.vault === 'airGapped'
        ? new AirGappedVault(this, 'AirGappedVault', {
            backupVaultName: recoveryVaultName(c),
            minRetentionDays: lock.minRetentionDays,
            maxRetentionDays: lock.maxRetentionDays,
          })
        : new backup.BackupVault(this, 'Vault', {
            backupVaultName: recoveryVaultName(c),
            encryptionKey: key,
            removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            lockConfiguration: hardened ? renderVaultLock(lock) : undefined,
          });

    if (c.recovery.offAccount && c.primary.account) {
      // The primary account's operator policy cannot reach this account: operators here get their own.
      const operators = new RecoveryOperatorPolicy(this, 'OperatorPolicy', { config: c, replicaKey: key });
      this.operatorPolicy = operators.policy;
      this.operatorDoctorPolicy = operators.doctorPolicy;
      this.operatorDrillPolicy = new DrillOperatorPolicy(this, 'DrillOperatorPolicy', {
        config: c,
        attachWith: [recoveryOperatorPolicyName(c)],
      }).policy;
      const primary = c.primary.account;
      trustPrimaryWriters(
        { account: primary, region: c.recovery.region, replicationRoleArn: `arn:${this.partition}:iam::${primary}:role/${replicationRoleName(c)}` },
        replicas,
        key,
        this.vault,
      );
    }

    const topics = (this.alerts = new AlertTopics(this, 'Alerts', {
      appName: app,
      regionLabel: 'recovery',
      critical: c.onCall.critical,
      warning: c.onCall.warning,
    }));
    // `dr doctor --page-test` pages through this alarm (the recovery region's own critical topic).
    new PageTestAlarm(this, 'PageTestAlarm', { app, topics });
    if (hardened) {
      this.lockdown = new Lockdown(this, 'Lockdown', {
        app,
        // Off-account: the recovery account trusts no role of the primary account to change its guards.
        breakGlassRoleArn: c.recovery.offAccount ? undefined : c.breakGlassRoleArn,
        guardedBuckets: [store.bucket],
        guardedVaults: [this.vault],
        watchedBucketNames: [replicaBucketName(c, this.account), ...c.dataBuckets.map((b) => dataReplicaBucketName(c, b.name))],
        watchedVaultNames: [recoveryVaultName(c)],
        watchedTableNames: c.tables.map((t) => t.name),
        topic: topics.critical,
        regionLabel: 'recovery',
      });
    }
    addProtectionOutput(this, c, {
      regionLabel: 'recovery',
      ...(c.recovery.vault === 'airGapped' ? { lockedVaults: [], airGappedVaults: [recoveryVaultName(c)] } : { lockedVaults: [recoveryVaultName(c)] }),
      lockdown: this.lockdown,
    });
    const chains = chainTargets(c);
    new RecoveryAlarms(this, 'RecoveryAlarms', { app, topics, rpoMinutes: tightestFullSetRpo(c), restoreTests: c.restoreTest.enabled, chains });

    const monitor = (this.replicaMonitor = new DrFunction(this, 'ReplicaMonitor', {
      entry: 'lambda/handlers/replica-monitor.ts',
      description: `${app}: measures the age of the newest complete backup and of each chain's newest window in the replica bucket`,
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { APP_NAME: app, REPLICA_BUCKET: store.bucket.bucketName, CHAINED_TABLES: chains.map((t) => t.table).join(',') },
    }));
    grantReplicaRead(monitor.role, store.bucket);
    monitor.grantKeyUse(key, 'read');
    new FunctionSchedule(this, 'MonitorSchedule', {
      function: monitor.function,
      deadLetterQueue: monitor.deadLetterQueue,
      invocations: [{ name: 'Hourly', schedule: 'rate(1 hour)' }],
    });
    new FunctionAlarms(this, 'MonitorAlarms', { app, topics, name: 'ReplicaMonitor', function: monitor, severity: 'Warning' });

    if (!c.restoreTest.enabled) return;
    const restoreTest = (this.restoreTest = new DrFunction(this, 'RestoreTest', {
      entry: 'lambda/handlers/restore-test.ts',
      description: `${app}: restores the latest replica backup into *-drtest-* tables, verifies and deletes them`,
      memorySize: 2048,
      environment: {
        APP_NAME: app,
        REPLICA_BUCKET: store.bucket.bucketName,
        SAMPLE_SIZE: String(c.restoreTest.sampleSize),
        // The set tested must hold every configured table (not a newer ad-hoc backup of one).
        TABLES: c.tables.map((t) => t.name).join(','),
        RESTORE_ENGINE: c.restore.engine,
        IMPORT_THRESHOLD_BYTES: String(c.restore.importThresholdBytes),
      },
    }));
    grantReplicaRead(restoreTest.role, store.bucket);
    restoreTest.grantKeyUse(key, 'read');
    restoreTest.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OnlyDrTestTables',
        // What lambda/core/restore-test.ts sends, through restoreBackupSet with protect: false:
        // CreateTable + DescribeTable (waiter, tableExists), UpdateTimeToLive (createTableFromSchema,
        // for tables with TTL such as wishlists), BatchWriteItem, Scan (tableHasItems, COUNT),
        // GetItem (sampled items), DeleteTable (cleanup). No PITR (scratch tables). With the import
        // engine also ImportTable, DescribeTimeToLive and TagResource (below), DescribeImport on imports.
        actions: [
          'dynamodb:CreateTable',
          'dynamodb:DescribeTable',
          'dynamodb:UpdateTimeToLive',
          'dynamodb:BatchWriteItem',
          'dynamodb:Scan',
          'dynamodb:GetItem',
          'dynamodb:DeleteTable',
          // The import engine (restore.engine / importThresholdBytes): ImportTable creates the table;
          // its re-apply step reads TTL before setting it and tags the table dr:restored-from.
          'dynamodb:ImportTable',
          'dynamodb:DescribeTimeToLive',
          'dynamodb:TagResource',
        ],
        resources: [this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: DRTEST_TABLE_PATTERN })],
      }),
    );
    // The stale-scratch sweep lists tables (ListTables has no resource type: "*") before it
    // describes and deletes *-drtest-* ones older than a day (OnlyDrTestTables above).
    restoreTest.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListTablesForSweep', actions: ['dynamodb:ListTables'], resources: ['*'] }));
    // A retry finds the import its earlier attempt started (ListImports by the scratch table's ARN,
    // then DescribeImport below) instead of importing again. ListImports lists the table as an
    // optional resource type at most; granted on "*" so it is allowed however IAM authorizes it.
    restoreTest.role.addToPolicy(new iam.PolicyStatement({ sid: 'FindDrTestImports', actions: ['dynamodb:ListImports'], resources: ['*'] }));
    restoreTest.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FollowDrTestImports',
        // DescribeImport's resource is the import: table/<name>/import/<id> (Service Authorization Reference, DynamoDB).
        actions: ['dynamodb:DescribeImport'],
        resources: [this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${DRTEST_TABLE_PATTERN}/import/*` })],
      }),
    );
    // ImportTable writes its per-item errors to CloudWatch Logs with the caller's rights
    // (S3DataImport.Requesting); DescribeLogGroups has no resource type, so it is on "*".
    const logGroups = this.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-dynamodb/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    for (const statement of importLogStatements(logGroups)) restoreTest.role.addToPolicy(statement);
    new FunctionSchedule(this, 'RestoreTestSchedule', {
      function: restoreTest.function,
      deadLetterQueue: restoreTest.deadLetterQueue,
      invocations: [{ name: 'Weekly', schedule: c.restoreTest.schedule }],
    });
    new FunctionAlarms(this, 'RestoreTestAlarms', { app, topics, name: 'RestoreTest', function: restoreTest });
  }
}

/** List and read backup sets in the replica bucket; nothing else. */
function grantReplicaRead(role: iam.IRole, bucket: s3.IBucket): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListReplicaSets', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadReplicaSets', actions: ['s3:GetObject'], resources: [bucket.arnForObjects('backups/*')] }));
}
