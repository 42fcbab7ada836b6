import { CfnOutput, Stack } from 'aws-cdk-lib';
import { protectionOutputKey, type DrConfig } from '../config';
import { renderProtectionSummary, type ProtectionSummary, type VaultDeclaration } from '../protection-summary';
import { vaultLockSettings, type Lockdown } from './lockdown';

/** What one stack holds that its protection output names. */
export interface ProtectionOutputProps {
  /** Which stack (names the output, `ProtectionPrimary` / `ProtectionRecovery`). */
  readonly regionLabel: 'primary' | 'recovery';
  /** Names of the stack's AWS Backup vaults with Vault Lock under hardened (none when AWS Backup is off). */
  readonly lockedVaults: readonly string[];
  /** Names of the stack's logically air-gapped vaults (recovery.vault "airGapped"). @default - none */
  readonly airGappedVaults?: readonly string[];
  /** The stack's lockdown, under hardened. */
  readonly lockdown?: Lockdown;
}

/**
 * The `Protection<Region>` output of a stack, in both profiles (lib/protection-summary.ts):
 * `dr doctor` reads the level, locks, guards and tamper rules from it with DescribeStacks, the
 * call it already makes, instead of reading key, bucket or vault policies.
 */
export function addProtectionOutput(stack: Stack, c: DrConfig, p: ProtectionOutputProps): CfnOutput {
  const hardened = c.protection === 'hardened';
  const s = vaultLockSettings(c);
  const lock = { minRetentionDays: s.minRetentionDays, maxRetentionDays: s.maxRetentionDays, changeableForDays: s.changeableForDays };
  const vaults: VaultDeclaration[] = [
    ...p.lockedVaults.map((name) => ({ name, kind: 'locked' as const, ...(hardened ? { lock } : {}) })),
    // A logically air-gapped vault is locked in compliance mode by AWS whatever the profile.
    ...(p.airGappedVaults ?? []).map((name) => ({ name, kind: 'airGapped' as const, lock })),
  ];
  const summary: ProtectionSummary = {
    level: c.protection,
    objectLock: { mode: c.objectLock.mode, days: c.objectLock.days },
    vaults,
    guards: p.lockdown ? { keys: true, buckets: p.lockdown.guardedBucketCount, vaults: p.lockdown.guardedVaultCount } : { keys: false, buckets: 0, vaults: 0 },
    tamperRules: p.lockdown ? [...p.lockdown.pages.ruleNames] : [],
  };
  return new CfnOutput(stack, protectionOutputKey(p.regionLabel), {
    description: `dr-stack protection of this stack (${c.protection}): dr doctor reads it`,
    value: renderProtectionSummary(summary),
  });
}
