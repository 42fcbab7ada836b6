/**
 * What a deployed stack declares about its protection (issue 21): the `Protection<Region>`
 * output each stack writes (lib/constructs/protection-output.ts) and `dr doctor` reads with
 * DescribeStacks, the one call it already makes for the stacks. The level, the Object Lock of
 * its backup bucket, its AWS Backup vaults and their Vault Lock, the guards and the tamper rules,
 * as compact JSON (a CloudFormation output value is a string; this one stays under 1 KB).
 *
 * Doctor reports what the templates put in place from this, and compares with what is live only
 * where a read-only call exists (Object Lock, Vault Lock, the tamper rules' state); it never reads
 * key, bucket or vault policies.
 *
 * This module imports zod only (no aws-cdk-lib), so the CLI can use it without loading CDK.
 */
import { z } from 'zod';
import { PROTECTION_LEVELS } from './config-protection';

const lockSchema = z.object({
  minRetentionDays: z.number().int(),
  maxRetentionDays: z.number().int(),
  changeableForDays: z.number().int(),
});

const summarySchema = z.object({
  level: z.enum(PROTECTION_LEVELS),
  objectLock: z.object({ mode: z.enum(['COMPLIANCE', 'GOVERNANCE']), days: z.number().int() }),
  /** The stack's AWS Backup vaults (none when AWS Backup is off), with their Vault Lock under hardened. */
  vaults: z.array(
    z.object({
      name: z.string(),
      /** `locked`: a standard vault (Vault Lock under hardened); `airGapped`: a logically air-gapped vault. */
      kind: z.enum(['locked', 'airGapped']).default('locked'),
      lock: lockSchema.optional(),
    }),
  ),
  /** Deny statements: every KMS key of the stack, and how many backup buckets and vaults. */
  guards: z.object({ keys: z.boolean(), buckets: z.number().int(), vaults: z.number().int() }),
  /** Names of the stack's tamper rules (EventBridge, default bus of the stack's region). */
  tamperRules: z.array(z.string()),
});

/** A stack's declared protection. */
export type ProtectionSummary = z.infer<typeof summarySchema>;
/** One vault of a {@link ProtectionSummary}. */
export type VaultDeclaration = ProtectionSummary['vaults'][number];

/** The output value of `s`. */
export function renderProtectionSummary(s: ProtectionSummary): string {
  return JSON.stringify(s);
}

/**
 * The summary an output value holds; undefined when there is none or it is not one (an older
 * template's text, or an edited output): doctor then asks for a deploy.
 */
export function parseProtectionSummary(value: string | undefined): ProtectionSummary | undefined {
  if (!value) return undefined;
  try {
    const parsed = summarySchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `Object Lock COMPLIANCE 30 d; Vault Lock 30-365 d on shop-dr-primary; guards on every KMS key, 1 bucket, 1 vault; 5 tamper rules`. */
export function describeProtection(s: ProtectionSummary): string {
  const vaults = s.vaults.map((v) =>
    v.kind === 'airGapped'
      ? `logically air-gapped vault ${v.name}${v.lock ? ` (${v.lock.minRetentionDays}-${v.lock.maxRetentionDays} d)` : ''}`
      : v.lock
        ? `Vault Lock ${v.lock.minRetentionDays}-${v.lock.maxRetentionDays} d on ${v.name}`
        : `vault ${v.name} without Vault Lock`,
  );
  const guards = s.guards.keys
    ? `guards on every KMS key, ${s.guards.buckets} bucket${s.guards.buckets === 1 ? '' : 's'}, ${s.guards.vaults} vault${s.guards.vaults === 1 ? '' : 's'}`
    : 'no guards';
  return [`Object Lock ${s.objectLock.mode} ${s.objectLock.days} d`, ...vaults, guards, `${s.tamperRules.length} tamper rules`].join('; ');
}
