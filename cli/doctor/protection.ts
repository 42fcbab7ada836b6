/**
 * `dr doctor`'s protection check (issue 21): the level, locks, guards and tamper rules each
 * deployed stack declares in its `Protection<Region>` output (lib/protection-summary.ts), read
 * from DescribeStacks like the other outputs, against the level dr.config.json asks for. It never
 * reads key, bucket or vault policies; what can be compared with a read-only call is compared in
 * protection-live.ts (tamper rules, Vault Lock) and checks.ts (Object Lock).
 */
import { protectionOutputKey, type DrConfig } from '../../lib/config';
import { describeProtection, parseProtectionSummary, type ProtectionSummary } from '../../lib/protection-summary';
import { pass, warn, type CheckResult } from './result';
import type { StackOutputs } from './target';

const CHECK = 'protection';
const LABELS = ['primary', 'recovery'] as const;
const REDEPLOY = 'deploy both stacks again (npx cdk deploy --all)';

/** What each stack declares; undefined where the stack has no (readable) output. */
export function declaredProtection(outputs: StackOutputs): Record<(typeof LABELS)[number], ProtectionSummary | undefined> {
  return {
    primary: parseProtectionSummary(outputs[protectionOutputKey('primary')]),
    recovery: parseProtectionSummary(outputs[protectionOutputKey('recovery')]),
  };
}

/**
 * Of the stacks `reached` (both unless the recovery account's credentials are missing,
 * recovery-reach.ts): WARN when a stack declares nothing readable, when a stack is `standard`, or when the deployed
 * level differs from the config's; PASS with what each stack holds.
 */
export function protectionCheck(
  config: DrConfig,
  outputs: StackOutputs,
  stacks: { production: string; recovery: string },
  reached: readonly (typeof LABELS)[number][] = LABELS,
): CheckResult {
  const declared = declaredProtection(outputs);
  const stackOf = (label: (typeof LABELS)[number]) => (label === 'primary' ? stacks.production : stacks.recovery);
  const missing = reached.filter((l) => !declared[l]);
  if (missing.length) {
    const names = missing.map(stackOf);
    return warn(
      CHECK,
      `${names.join(' and ')} ${names.length > 1 ? 'do' : 'does'} not declare a protection level (no readable ${missing.map(protectionOutputKey).join(', ')} output): deployed before this version, or the output was changed by hand`,
      REDEPLOY,
    );
  }
  const standard = reached.filter((l) => declared[l]!.level === 'standard');
  if (standard.length) {
    const detail = `${standard.map(stackOf).join(' and ')} ${standard.length > 1 ? 'are' : 'is'} deployed "standard": GOVERNANCE Object Lock (an admin holding s3:BypassGovernanceRetention can delete backups), no Vault Lock, no guards on keys, buckets and vaults, no tamper pages`;
    return warn(
      CHECK,
      config.protection === 'hardened' ? `${detail}; dr.config.json asks for hardened but it is not deployed` : detail,
      config.protection === 'hardened'
        ? REDEPLOY
        : 'set "protection": "hardened" in dr.config.json (read docs/threat-model.md first: COMPLIANCE locks cannot be shortened by anyone) and deploy both stacks',
    );
  }
  const found = `hardened: ${reached.map((l) => `${l} (${describeProtection(declared[l]!)})`).join(', ')}`;
  if (config.protection === 'standard')
    return warn(
      CHECK,
      `${found}; dr.config.json says "standard": the next deploy removes the guards, Vault Lock settings and tamper pages (locks already written stay)`,
      'set "protection": "hardened" in dr.config.json again, unless lowering the protection is what you decided (docs/threat-model.md)',
    );
  return pass(CHECK, found);
}
