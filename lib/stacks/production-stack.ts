import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  backupBucketName,
  dataReplicaBucketName,
  incrementalTables,
  recoveryAccountOf,
  recoveryVaultName,
  replicaBucketName,
  replicaKeyAlias,
  replicationRoleName,
  SCHEDULED_TIERS,
  type DrConfig,
} from '../config';
import { AlertTopics } from '../constructs/alert-topics';
import { AwsBackupPlan } from '../constructs/aws-backup-plan';
import { BackupAlarms } from '../constructs/backup-alarms';
import { CrossRegionReplication } from '../constructs/cross-region-replication';
import { DrDashboard } from '../constructs/dr-dashboard';
import { DrFunction } from '../constructs/dr-function';
import { EncryptionKey } from '../constructs/encryption-key';
import { FunctionAlarms } from '../constructs/function-alarms';
import { FunctionSchedule } from '../constructs/function-schedule';
import { Lockdown, renderVaultLock, vaultLockSettings } from '../constructs/lockdown';
import { addProtectionOutput } from '../constructs/protection-output';
import { PageTestAlarm } from '../constructs/page-test-alarm';
import { constructId, ProtectedTables } from '../constructs/protected-tables';
import { dataBucket } from '../constructs/data-bucket';
import { DrOperatorPolicy } from '../constructs/dr-operator-policy';
import { DrillOperatorPolicy } from '../constructs/drill-operator-policy';
import { SlotTable } from '../constructs/slot-table';
import { TieredBackupBucket } from '../constructs/tiered-backup-bucket';
import { chainTargets, tightestFullSetRpo } from './targets';
import { IncrementalExports } from '../constructs/incremental-exports';

/** Props of {@link ProductionStack}. */
export interface ProductionStackProps extends StackProps {
  /** The validated config. */
  readonly config: DrConfig;
}

/**
 * The primary region: key, backup bucket and its replication, protected tables, AWS Backup plan,
 * the backup and export-finalizer functions on their schedules, topics, alarms and the dashboard.
 * It only wires constructs; each concern lives in lib/constructs.
 */
export class ProductionStack extends Stack {
  /** The `critical` and `warning` topics of this region. */
  public readonly alerts: AlertTopics;
  /** The backup bucket. */
  public readonly backupBucket: s3.Bucket;
  /** The scheduled backup function. */
  public readonly backupFunction: DrFunction;
  /** The export finalizer (every 5 minutes). */
  public readonly exportFinalizer: DrFunction;
  /** Cross-region replication (role and rules). */
  public readonly replication: CrossRegionReplication;
  /** The AWS Backup plan, unless `awsBackup.enabled` is false. */
  public readonly awsBackup?: AwsBackupPlan;
  /** Names of the protected tables. */
  public readonly tableNames: readonly string[];
  /** The operator managed policy `<app>-dr-operator` (one per account: IAM is global). */
  public readonly operatorPolicy: DrOperatorPolicy;
  /** `<app>-dr-operator-drill`: `dr drill` on AWS, the scratch tables and buckets `<app>-drill-*` only. */
  public readonly drillOperatorPolicy: DrillOperatorPolicy;
  /** The backup slots' state table (`<app>-dr-state`). */
  public readonly slotTable: SlotTable;
  /** The chains of incremental exports, when a table has one (config `incremental`). */
  public readonly incrementalExports?: IncrementalExports;
  /** Guards and tamper pages, under `protection: "hardened"`. */
  public readonly lockdown?: Lockdown;

  constructor(scope: Construct, id: string, props: ProductionStackProps) {
    super(scope, id, props);
    const c = props.config;
    const app = c.appName;
    const key = new EncryptionKey(this, 'BackupKey', { alias: `${app}-dr-backups`, description: `${app} DR backups (bucket, AWS Backup vault, queues)` }).key;

    const store = new TieredBackupBucket(this, 'Backups', {
      bucketName: backupBucketName(c, this.account),
      encryptionKey: key,
      retention: c.retention,
      objectLockMode: c.objectLock.mode,
      objectLockDays: c.objectLock.days,
    });
    this.backupBucket = store.bucket;
    // The `dr` CLI takes this name as --bucket (or DR_BACKUP_BUCKET).
    new CfnOutput(this, 'BackupBucketName', { value: store.bucket.bucketName, description: 'Backup bucket: dr --bucket <this>' });

    const replication = (this.replication = new CrossRegionReplication(this, 'Replication', {
      destinationRegion: c.recovery.region,
      replicaKeyAlias: replicaKeyAlias(c),
      destinationAccount: c.recovery.offAccount ? c.recovery.account : undefined,
      roleName: c.recovery.offAccount ? replicationRoleName(c) : undefined,
    }));
    replication.replicateOwnedBucket(store.bucket, replicaBucketName(c, recoveryAccountOf(c, this.account)), 'BackupBucket', key);
    for (const b of c.dataBuckets) {
      const destination = dataReplicaBucketName(c, b.name);
      if (b.existing) {
        replication.replicateExistingBucket(constructId(b.name), {
          bucketName: b.name,
          destinationBucketName: destination,
          kmsKeyArn: b.kmsKeyArn,
          objectLock: b.objectLock,
        });
      } else {
        const bucket = dataBucket(this, `DataBucket${constructId(b.name)}`, {
          bucketName: b.name,
          encryptionKey: key,
          logBucket: store.logBucket,
          objectLock: b.objectLock,
          // The restore horizon of `dr restore-bucket` (docs/bucket-recovery.md).
          lifecycleRules: [{ id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(b.versionsDays) }],
        });
        replication.replicateOwnedBucket(bucket, destination, b.name, key);
      }
    }

    const tables = new ProtectedTables(this, 'Tables', { tables: c.tables });
    const tableNames = c.tables.map((t) => t.name);
    this.tableNames = tableNames;
    if (c.awsBackup.enabled) {
      this.awsBackup = new AwsBackupPlan(this, 'AwsBackup', {
        appName: app,
        tables: [...tables.tables.values()],
        encryptionKey: key,
        copyRegion: c.recovery.region,
        copyVaultName: recoveryVaultName(c),
        copyAccount: c.recovery.offAccount ? c.recovery.account : undefined,
        lockConfiguration: c.protection === 'hardened' ? renderVaultLock(vaultLockSettings(c)) : undefined,
        tiers: {
          daily: { schedule: c.schedules.daily, retentionDays: c.retention.dailyDays },
          weekly: { schedule: c.schedules.weekly, retentionDays: c.retention.weeklyDays },
          monthly: { schedule: c.schedules.monthly, retentionDays: c.retention.monthlyDays },
        },
      });
    }

    const slots = (this.slotTable = new SlotTable(this, 'BackupSlots', { tableName: `${app}-dr-state` }));
    const backupFn = new DrFunction(this, 'BackupFunction', {
      entry: 'lambda/handlers/backup.ts',
      description: `${app}: backs the configured DynamoDB tables up into the backup bucket`,
      environment: {
        APP_NAME: app,
        BACKUP_BUCKET: store.bucket.bucketName,
        STATE_TABLE: slots.table.tableName,
        EXPORT_KMS_KEY_ARN: key.keyArn,
        TABLES: tableNames.join(','),
        ENGINE: c.backup.engine,
        EXPORT_THRESHOLD_BYTES: String(c.backup.exportThresholdBytes),
        SCAN_SEGMENTS: String(c.backup.scanSegments),
        MAX_FILE_BYTES: String(c.backup.maxFileBytes),
      },
    });
    this.backupFunction = backupFn;
    const tableArns = tableNames.map((name) => this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: name }));
    backupFn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadConfiguredTables',
        actions: [
          'dynamodb:Scan',
          'dynamodb:DescribeTable',
          'dynamodb:DescribeTimeToLive',
          'dynamodb:DescribeContinuousBackups',
          'dynamodb:ExportTableToPointInTime',
        ],
        resources: tableArns,
      }),
    );
    backupFn.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'FollowExports', actions: ['dynamodb:DescribeExport'], resources: tableArns.map((a) => `${a}/export/*`) }),
    );
    grantBackupWrite(backupFn.role, store.bucket, { multipart: true, nativeExport: true });
    // ExportTableToPointInTime writes into the bucket as the caller: S3 SSE-KMS under the bucket's
    // default key needs kms:GenerateDataKey (and kms:Decrypt to complete multipart parts) from the
    // caller; both are in 'read-write'.
    backupFn.grantKeyUse(key, 'read-write');
    slots.grantSlots(backupFn.role);
    new FunctionSchedule(this, 'BackupSchedule', {
      function: backupFn.function,
      deadLetterQueue: backupFn.deadLetterQueue,
      // The event's own time fixes the slot: a redelivery or retry of the event finds the same slot.
      invocations: SCHEDULED_TIERS.map((tier) => ({ name: pascal(tier), schedule: c.schedules[tier], input: { tier, time: events.EventField.time } })),
    });

    const finalizer = (this.exportFinalizer = new DrFunction(this, 'ExportFinalizer', {
      entry: 'lambda/handlers/export-finalizer.ts',
      description: `${app}: completes native-export backup sets`,
      timeout: Duration.minutes(5),
      environment: { APP_NAME: app, BACKUP_BUCKET: store.bucket.bucketName, STATE_TABLE: slots.table.tableName },
    }));
    finalizer.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'FollowExports', actions: ['dynamodb:DescribeExport'], resources: tableArns.map((a) => `${a}/export/*`) }),
    );
    // lambda/core/export-finalize.ts: single-part PutObject (metadata, failure, checkpoint),
    // GetObject, ListObjectsV2, DeleteObject (the checkpoint); no multipart, no ACLs.
    grantBackupWrite(finalizer.role, store.bucket, { multipart: false, nativeExport: false });
    finalizer.grantKeyUse(key, 'read-write');
    slots.grantSlots(finalizer.role);
    new FunctionSchedule(this, 'FinalizerSchedule', {
      function: finalizer.function,
      deadLetterQueue: finalizer.deadLetterQueue,
      invocations: [{ name: 'EveryFiveMinutes', schedule: 'rate(5 minutes)' }],
    });

    const chained = incrementalTables(c);
    if (chained.length > 0) {
      this.incrementalExports = new IncrementalExports(this, 'IncrementalExports', { appName: app, tables: chained, bucket: store.bucket, key, slots });
    }

    const topics = (this.alerts = new AlertTopics(this, 'Alerts', {
      appName: app,
      regionLabel: 'primary',
      critical: c.onCall.critical,
      warning: c.onCall.warning,
    }));
    // `dr doctor --page-test` pages through this alarm.
    new PageTestAlarm(this, 'PageTestAlarm', { app, topics });
    new BackupAlarms(this, 'BackupAlarms', {
      app,
      topics,
      // Full sets only: tables with a chain meet their RPO through the windows.
      rpoMinutes: tightestFullSetRpo(c),
      durationWarningMinutes: c.backup.durationWarningMinutes,
      tables: tableNames,
      warningPercent: c.changeThresholds.warningPercent,
      criticalPercent: c.changeThresholds.criticalPercent,
      replicated: replication.replicated,
    });
    new FunctionAlarms(this, 'BackupFunctionAlarms', { app, topics, name: 'BackupFunction', function: backupFn });
    new FunctionAlarms(this, 'FinalizerAlarms', { app, topics, name: 'ExportFinalizer', function: finalizer, severity: 'Warning' });
    this.operatorPolicy = new DrOperatorPolicy(this, 'OperatorPolicy', { config: c });
    this.drillOperatorPolicy = new DrillOperatorPolicy(this, 'DrillOperatorPolicy', { config: c });
    if (c.protection === 'hardened') {
      this.lockdown = new Lockdown(this, 'Lockdown', {
        app,
        breakGlassRoleArn: c.breakGlassRoleArn,
        guardedBuckets: [store.bucket],
        guardedVaults: this.awsBackup ? [this.awsBackup.vault] : [],
        watchedBucketNames: [backupBucketName(c, this.account), ...c.dataBuckets.map((b) => b.name)],
        watchedVaultNames: this.awsBackup ? [`${app}-dr-primary`] : [],
        watchedTableNames: tableNames,
        topic: topics.critical,
        regionLabel: 'primary',
      });
    }
    addProtectionOutput(this, c, { regionLabel: 'primary', lockedVaults: this.awsBackup ? [`${app}-dr-primary`] : [], lockdown: this.lockdown });
    new DrDashboard(this, 'Dashboard', {
      app,
      // The latest full set's age, against what full sets alone must meet.
      rpoMinutes: tightestFullSetRpo(c),
      rtoMinutes: c.targets.rtoMinutes,
      tables: tableNames,
      replicated: replication.replicated,
      recoveryRegion: c.recovery.region,
      chains: chainTargets(c),
    });
  }
}

/** Which writers a role runs (each adds the S3 actions it needs). */
interface BackupWriters {
  /** The scan engine's multipart uploads (lib-storage Upload aborts a failed upload). */
  readonly multipart: boolean;
  /**
   * DynamoDB native export, which writes as the caller: the DynamoDB docs ask for
   * s3:AbortMultipartUpload, s3:PutObject and s3:PutObjectAcl on the target.
   */
  readonly nativeExport: boolean;
}

/**
 * What the backup engine does in the bucket: write and read back sets, list sets, and clear what
 * a killed run left in its slot (DeleteObject only adds a delete marker: Object Lock keeps the
 * versions; no DeleteObjectVersion, no governance bypass). Lifecycle rules expire sets.
 */
function grantBackupWrite(role: iam.IRole, bucket: s3.IBucket, writers: BackupWriters): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListBackupSets', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  const actions = ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'];
  if (writers.multipart || writers.nativeExport) actions.push('s3:AbortMultipartUpload');
  if (writers.nativeExport) actions.push('s3:PutObjectAcl');
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteBackupSets', actions, resources: [bucket.arnForObjects('backups/*')] }));
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
