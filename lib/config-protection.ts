/**
 * The lockdown settings of `dr.config.json` (issue 21): how hard the backups are to erase for
 * someone holding an admin of the production account, and who may still change the guarded
 * settings. Field schemas here.
 *
 * - `protection`: `"hardened"` (the default when the key is left out) locks the backup and replica
 *   buckets in Object Lock COMPLIANCE mode, puts Vault Lock on both AWS Backup vaults, guards the
 *   keys, buckets and vaults with Deny statements and pages on tampering; `"standard"` is the
 *   behaviour before issue 21 (GOVERNANCE lock, no guards, no tamper pages).
 * - `breakGlassRoleArn`: the one role, besides CloudFormation's deploy role, that the guards let
 *   change a key, bucket or vault setting; a role of the primary account.
 * - `vaultLock.changeableForDays`: days before Vault Lock becomes immutable (AWS's minimum is 3).
 * - `recovery.offAccount` (in config-schema.ts): the recovery stack lives in `recovery.account`.
 *
 * The rules across fields (lock against tiers, break-glass account, off-account) are in
 * config-rules.ts.
 *
 * This module imports zod only (no aws-cdk-lib), so the CLI can use it without loading CDK.
 */
import { z } from 'zod';
import { strict } from './config-messages';

/** `hardened` or `standard`; see the module comment. */
export const PROTECTION_LEVELS = ['hardened', 'standard'] as const;
/** A protection level. */
export type Protection = (typeof PROTECTION_LEVELS)[number];

/** An IAM role ARN: partition, 12-digit account, `role/` and an optional path. */
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** The account of a well-formed role ARN, else undefined. */
export function roleArnAccount(arn: string): string | undefined {
  return ROLE_ARN.exec(arn)?.[2];
}

/**
 * The recovery region's vault: a standard vault (`locked`: Vault Lock under hardened) or an AWS
 * Backup logically air-gapped vault (`airGapped`): always locked in compliance mode by AWS,
 * min/max retention required (the minimum AWS accepts is 7 days), encrypted with an AWS-owned key
 * by default, shareable with another account through AWS RAM.
 */
export const RECOVERY_VAULTS = ['locked', 'airGapped'] as const;
/** AWS Backup refuses a logically air-gapped vault whose MinRetentionDays is under 7. */
export const AIR_GAPPED_MIN_RETENTION_DAYS = 7;

/** Vault Lock's cooling-off period: AWS Backup refuses ChangeableForDays below 3 (72 hours). */
export const MIN_CHANGEABLE_DAYS = 3;

/** Fields spread into the top level of the config schema. */
export const protectionFields = {
  protection: z
    .enum(PROTECTION_LEVELS, { message: 'protection must be "hardened" (COMPLIANCE locks, Vault Lock, guards, tamper pages) or "standard"' })
    .default('hardened'),
  breakGlassRoleArn: z
    .string()
    .regex(ROLE_ARN, {
      message:
        'breakGlassRoleArn must be an IAM role ARN such as "arn:aws:iam::123456789012:role/dr-break-glass" (a role, not a user or an assumed-role session)',
    })
    .optional(),
  vaultLock: strict({
    changeableForDays: z
      .number()
      .int()
      .min(MIN_CHANGEABLE_DAYS, {
        message: `vaultLock.changeableForDays must be at least ${MIN_CHANGEABLE_DAYS}: AWS Backup enforces a 72-hour cooling-off period before Vault Lock becomes immutable`,
      })
      .max(36500)
      .default(MIN_CHANGEABLE_DAYS),
  }).default({ changeableForDays: MIN_CHANGEABLE_DAYS }),
};

/**
 * Fills what the protection level decides when the config leaves it out: Object Lock mode
 * COMPLIANCE under `hardened`, GOVERNANCE under `standard`. Runs before the schema (so an
 * explicit mode is kept and checked against the level by {@link checkProtection}).
 */
export function fillProtectionDefaults(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const config = raw as Record<string, unknown>;
  const level = config.protection ?? 'hardened';
  const lock = config.objectLock;
  if (lock !== undefined && (lock === null || typeof lock !== 'object' || Array.isArray(lock))) return raw;
  const given = (lock ?? {}) as Record<string, unknown>;
  if (given.mode !== undefined) return raw;
  return { ...config, objectLock: { ...given, mode: level === 'standard' ? 'GOVERNANCE' : 'COMPLIANCE' } };
}
