import { DefaultStackSynthesizer, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { AccessPolicyHolder } from './air-gapped-vault';

/**
 * Guards of the hardened profile (issue 21): Deny statements in the resource policies of every
 * KMS key, the backup and replica buckets and the AWS Backup vaults, so that an admin of the
 * account (`*` on `*` in its identity policy) cannot disable, re-key, unlock or re-point them.
 * An explicit Deny in a resource policy wins over any Allow in an identity policy.
 *
 * Each Deny exempts, by `aws:PrincipalArn`, exactly:
 * - the CloudFormation execution role of the CDK bootstrap (`cdk-<qualifier>-cfn-exec-role-...`),
 *   because CloudFormation sends the stack's own calls with it: PutKeyPolicy when a key policy
 *   changes (and KMS's lockout safety check refuses a key policy that would not let that very
 *   caller PutKeyPolicy again), ScheduleKeyDeletion when a key's own creation rolls back
 *   (RETAIN_ON_UPDATE_OR_DELETE deletes only then), PutBucketPolicy, PutLifecycleConfiguration,
 *   PutReplicationConfiguration and PutBucketObjectLockConfiguration when the template changes
 *   them, and the vault access-policy and Vault Lock calls;
 * - the break-glass role of the config, when one is named (docs/threat-model.md, break-glass).
 *
 * The exemption is by ARN, not by role id: a deleted and recreated role of the same name is
 * exempt again, so deleting the two roles never locks the account out of its own key (the
 * account root keeps the default key-policy statement that delegates the key to IAM).
 */

/** What a key guard denies. */
export const KEY_GUARDED_ACTIONS = ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy'] as const;

/** What a backup or replica bucket guard denies (the bypass on objects, the rest on the bucket). */
export const BUCKET_GUARDED_ACTIONS = [
  's3:BypassGovernanceRetention',
  's3:PutBucketObjectLockConfiguration',
  's3:PutLifecycleConfiguration',
  's3:PutReplicationConfiguration',
  's3:DeleteBucketPolicy',
  's3:PutBucketPolicy',
] as const;

/**
 * What a vault guard denies: deleting or shortening recovery points (Vault Lock enforces its
 * retention too once locked; this guard holds during the cooling-off period as well) and
 * changing or removing the vault's access policy or lock.
 */
export const VAULT_GUARDED_ACTIONS = [
  'backup:DeleteRecoveryPoint',
  'backup:UpdateRecoveryPointLifecycle',
  'backup:DeleteBackupVault',
  'backup:PutBackupVaultAccessPolicy',
  'backup:DeleteBackupVaultAccessPolicy',
  'backup:PutBackupVaultLockConfiguration',
  'backup:DeleteBackupVaultLockConfiguration',
] as const;

/** Sid of each guard statement (tests and `dr doctor` find the guards by it). */
export const GUARD_SIDS = { key: 'LockdownGuardKey', bucket: 'LockdownGuardBucket', vault: 'LockdownGuardVault' } as const;

/**
 * The CloudFormation execution role of the stack's synthesizer (the CDK bootstrap's
 * `cfn-exec-role` in the stack's account and region), as a template value.
 */
export function deployRoleArn(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const synth = stack.synthesizer;
  if (!(synth instanceof DefaultStackSynthesizer)) {
    throw new Error(
      `Lockdown guards of ${stack.stackName} need the CloudFormation execution role of the CDK bootstrap (DefaultStackSynthesizer): the guards exempt it so the stack stays updatable; use the default synthesizer or set "protection": "standard"`,
    );
  }
  // `${AWS::AccountId}` and friends in the synthesizer's ARN template are resolved by Fn::Sub.
  return Fn.sub(synth.cloudFormationExecutionRoleArn);
}

/** The roles every guard of `scope`'s stack exempts: the deploy role and the break-glass role (if any). */
export function exemptRoles(scope: IConstruct, breakGlassRoleArn: string | undefined): string[] {
  return [deployRoleArn(scope), ...(breakGlassRoleArn ? [breakGlassRoleArn] : [])];
}

function denyExcept(sid: string, actions: readonly string[], resources: string[], exempt: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: [...actions],
    resources,
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...exempt] } },
  });
}

/** Denies {@link KEY_GUARDED_ACTIONS} on `key` to every principal but `exempt`. */
export function guardKey(key: kms.Key, exempt: readonly string[]): void {
  key.addToResourcePolicy(denyExcept(GUARD_SIDS.key, KEY_GUARDED_ACTIONS, ['*'], exempt));
}

/** Denies {@link BUCKET_GUARDED_ACTIONS} on `bucket` (and its objects) to every principal but `exempt`. */
export function guardBucket(bucket: s3.Bucket, exempt: readonly string[]): void {
  const result = bucket.addToResourcePolicy(denyExcept(GUARD_SIDS.bucket, BUCKET_GUARDED_ACTIONS, [bucket.bucketArn, bucket.arnForObjects('*')], exempt));
  if (!result.statementAdded) throw new Error(`guardBucket: the policy of ${bucket.node.path} did not take the guard`);
}

/** Denies {@link VAULT_GUARDED_ACTIONS} on `vault` (and its recovery points) to every principal but `exempt`. */
export function guardVault(vault: AccessPolicyHolder, exempt: readonly string[]): void {
  vault.addToAccessPolicy(denyExcept(GUARD_SIDS.vault, VAULT_GUARDED_ACTIONS, ['*'], exempt));
}
