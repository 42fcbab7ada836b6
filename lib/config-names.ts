/**
 * Names every part of dr-stack derives from the config (buckets, keys, vaults, policies, stacks),
 * shared by the CDK app, the CLI, the drill and the docs so each is spelled in one place.
 */
import type { DrConfig } from './config-schema';

/** Name of the backup bucket in the primary region (explicit so the CLI can find it). */
export function backupBucketName(config: DrConfig, account: string): string {
  return `${config.appName}-backups-${account}-${config.primary.region}`;
}

/**
 * The account of the recovery stack: `recovery.account` when `recovery.offAccount`, else the
 * primary account (`primaryAccount`, resolved from the config or the credentials).
 */
export function recoveryAccountOf(config: Pick<DrConfig, 'recovery'>, primaryAccount: string): string {
  return config.recovery.offAccount && config.recovery.account ? config.recovery.account : primaryAccount;
}

/**
 * Name of the S3 replication role when the replicas live in another account: fixed, because the
 * recovery account's bucket and key policies trust exactly this role of the primary account.
 */
export function replicationRoleName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-replication`;
}

/** Name of the replica backup bucket in the recovery region (`account`: the recovery stack's, see {@link recoveryAccountOf}). */
export function replicaBucketName(config: DrConfig, account: string): string {
  return `${config.appName}-replica-${account}-${config.recovery.region}`;
}

/** Name of the recovery-region replica of one data bucket: `<bucket>-dr-<recovery region>`. */
export function dataReplicaBucketName(config: Pick<DrConfig, 'recovery'>, bucketName: string): string {
  return `${bucketName}-dr-${config.recovery.region}`;
}

/** Alias of the replica KMS key in the recovery region (deterministic, so the primary stack can name it). */
export function replicaKeyAlias(config: Pick<DrConfig, 'appName'>): string {
  return `alias/${config.appName}-dr-replica`;
}

/** Name of the AWS Backup vault in the recovery region that receives the copies. */
export function recoveryVaultName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-recovery`;
}

/**
 * Name of the operator managed policy the production stack creates: `<app>-dr-operator`
 * (`dr doctor` and the permissions proof find it by this name).
 */
export function operatorPolicyName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-operator`;
}

/** `<app>-dr-operator-restore`: the operators' second managed policy (restore targets), attached with {@link operatorPolicyName}. */
export function operatorRestorePolicyName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-operator-restore`;
}

/**
 * `<app>-dr-operator-drill`: the operators' third managed policy, for `dr drill` on AWS only: the
 * drill's scratch tables and buckets (names from {@link drillScratchPrefix}) in the recovery region.
 */
export function operatorDrillPolicyName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-operator-drill`;
}

/**
 * `<app>-drill-`: what every table and bucket `dr drill` creates or writes on AWS starts with
 * (scratch tables `<app>-drill-<time>-<table>`, the operator's two scratch buckets, the uploads
 * scenario's `<app>-drill-uploads-<time>-<random>`), so `<app>-dr-operator-drill` can grant
 * nothing else. appName is lower-case letters, digits and hyphens: valid in both kinds of name.
 */
export function drillScratchPrefix(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-drill-`;
}

/** `<app>-dr-operator-recovery`: the operators' policy in the recovery account of an off-account deployment. */
export function recoveryOperatorPolicyName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-operator-recovery`;
}

/**
 * `<app>-dr-operator-recovery-doctor`: `dr doctor --recovery-profile`'s reads in the recovery
 * account, attached with {@link recoveryOperatorPolicyName} (apart: one policy would exceed IAM's
 * 6,144-character limit for a managed policy).
 */
export function recoveryDoctorPolicyName(config: Pick<DrConfig, 'appName'>): string {
  return `${config.appName}-dr-operator-recovery-doctor`;
}

/**
 * Output key of a stack's protection summary, both profiles (`ProtectionPrimary`,
 * `ProtectionRecovery`): the stacks write it, `dr doctor` reads it.
 */
export function protectionOutputKey(regionLabel: 'primary' | 'recovery'): 'ProtectionPrimary' | 'ProtectionRecovery' {
  return regionLabel === 'primary' ? 'ProtectionPrimary' : 'ProtectionRecovery';
}

/** Stack names, shared by the app, the docs and the CLI. */
export function stackNames(config: DrConfig): { production: string; recovery: string } {
  return { production: `${pascal(config.appName)}-Production`, recovery: `${pascal(config.appName)}-Recovery` };
}

function pascal(s: string): string {
  return s
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
