import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ScheduledTier } from '../config';

/** Schedule and retention of one AWS Backup rule. */
export interface AwsBackupTier {
  /** EventBridge cron expression, `cron(m h dom mon dow y)` (AWS Backup takes cron only). */
  readonly schedule: string;
  /** Days the recovery point (and its copy) is kept. */
  readonly retentionDays: number;
}

/** Props of {@link AwsBackupPlan}. */
export interface AwsBackupPlanProps {
  /** Plan and vault name prefix (the config's appName). */
  readonly appName: string;
  /** Tables the plan selects. */
  readonly tables: readonly dynamodb.ITable[];
  /** One rule per tier. */
  readonly tiers: Readonly<Record<ScheduledTier, AwsBackupTier>>;
  /** Key of the primary-region vault. */
  readonly encryptionKey: kms.IKey;
  /** Region of the vault that receives the copies. */
  readonly copyRegion: string;
  /** Name of the vault in `copyRegion` (created by the recovery stack). */
  readonly copyVaultName: string;
  /** Account of the copy vault. @default - this stack's account */
  readonly copyAccount?: string;
  /** Vault Lock of the primary vault (hardened profile). @default - no lock */
  readonly lockConfiguration?: backup.LockConfiguration;
}

/**
 * The second medium of the 3-2-1 rule: an AWS Backup plan over the same tables with daily,
 * weekly and monthly rules, each copying its recovery point to the vault in the recovery region.
 */
export class AwsBackupPlan extends Construct {
  /** The plan. */
  public readonly plan: backup.BackupPlan;
  /** The primary-region vault. */
  public readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: AwsBackupPlanProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `${props.appName}-dr-primary`,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lockConfiguration: props.lockConfiguration,
    });
    const copyVaultArn = `arn:${stack.partition}:backup:${props.copyRegion}:${props.copyAccount ?? stack.account}:backup-vault:${props.copyVaultName}`;
    const copyVault = backup.BackupVault.fromBackupVaultArn(this, 'CopyVault', copyVaultArn);
    this.plan = new backup.BackupPlan(this, 'Plan', { backupPlanName: `${props.appName}-dr`, backupVault: this.vault });
    for (const [tier, t] of Object.entries(props.tiers) as [ScheduledTier, AwsBackupTier][]) {
      if (!t.schedule.startsWith('cron(')) {
        throw new Error(
          `AwsBackupPlan schedules.${tier} is "${t.schedule}" but AWS Backup takes cron expressions only; use e.g. "cron(0 2 * * ? *)" or set awsBackup.enabled to false`,
        );
      }
      this.plan.addRule(
        new backup.BackupPlanRule({
          ruleName: tier,
          scheduleExpression: events.Schedule.expression(t.schedule),
          deleteAfter: Duration.days(t.retentionDays),
          copyActions: [{ destinationBackupVault: copyVault, deleteAfter: Duration.days(t.retentionDays) }],
        }),
      );
    }
    this.plan.addSelection('Tables', {
      resources: props.tables.map((t) => backup.BackupResource.fromDynamoDbTable(t)),
      allowRestores: true,
    });
  }
}
