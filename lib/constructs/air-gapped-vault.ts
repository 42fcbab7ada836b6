import { Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** What the guards and the off-account trust need of a vault: its access policy. */
export interface AccessPolicyHolder {
  /** Adds a statement to the vault's access policy. */
  addToAccessPolicy(statement: iam.PolicyStatement): void;
}

/** Props of {@link AirGappedVault}. */
export interface AirGappedVaultProps {
  /** Vault name; the same name a standard vault would have, so copy rules target it unchanged. */
  readonly backupVaultName: string;
  /** Shortest retention of any tier (AWS minimum 7 days, checked in config-rules.ts). */
  readonly minRetentionDays: number;
  /** Longest retention of any tier. */
  readonly maxRetentionDays: number;
}

/**
 * An AWS Backup logically air-gapped vault (`AWS::Backup::LogicallyAirGappedBackupVault`,
 * `recovery.vault: "airGapped"`): AWS locks it in compliance mode from creation with the given
 * min/max retention (no cooling-off period), encrypts it with an AWS-owned key (no key of ours to
 * delete or disable), and can share it with another account through AWS RAM for restores. AWS
 * Backup copies into it like into a standard vault (its ARN has the same `backup-vault:<name>`
 * form), by the copy actions of the production stack's plan. Its access policy takes the guards
 * and the off-account trust like a standard vault's. Kept on stack deletion.
 */
export class AirGappedVault extends Construct implements AccessPolicyHolder {
  /** The vault resource. */
  public readonly resource: backup.CfnLogicallyAirGappedBackupVault;
  private readonly accessPolicy = new iam.PolicyDocument();

  constructor(scope: Construct, id: string, props: AirGappedVaultProps) {
    super(scope, id);
    if (props.minRetentionDays > props.maxRetentionDays)
      throw new Error(
        `AirGappedVault ${props.backupVaultName}: minRetentionDays (${props.minRetentionDays}) must not exceed maxRetentionDays (${props.maxRetentionDays})`,
      );
    this.resource = new backup.CfnLogicallyAirGappedBackupVault(this, 'Resource', {
      backupVaultName: props.backupVaultName,
      minRetentionDays: props.minRetentionDays,
      maxRetentionDays: props.maxRetentionDays,
      accessPolicy: Lazy.any({ produce: () => (this.accessPolicy.isEmpty ? undefined : this.accessPolicy.toJSON()) }),
    });
    this.resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }

  addToAccessPolicy(statement: iam.PolicyStatement): void {
    this.accessPolicy.addStatements(statement);
  }
}
