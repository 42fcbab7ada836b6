/**
 * `dr doctor`'s protection check (issue 21): the level the config asks for and what each
 * deployed stack declares in its `Protection<Region>` output (locks, guards, tamper rules), read
 * from DescribeStacks like the other outputs, so it needs no further permission. It reports what
 * the deployed templates put in place; the Object Lock check reads the buckets' live lock.
 */
import { protectionOutputKey, type DrConfig } from '../../lib/config';
import { pass, warn, type CheckResult } from './result';
import type { StackOutputs } from './target';

const CHECK = 'protection';

/** WARN on `standard`; under `hardened`, WARN for a stack that does not declare it yet, else PASS with what each stack has. */
export function protectionCheck(config: DrConfig, outputs: StackOutputs, stacks: { production: string; recovery: string }): CheckResult {
  if (config.protection === 'standard') {
    return warn(
      CHECK,
      'standard: GOVERNANCE Object Lock (an admin holding s3:BypassGovernanceRetention can delete backups), no Vault Lock, no guards on keys, buckets and vaults, no tamper pages',
      'set "protection": "hardened" in dr.config.json (read docs/threat-model.md first: COMPLIANCE locks cannot be shortened by anyone) and deploy both stacks',
    );
  }
  const declared = (['primary', 'recovery'] as const).map((label) => ({ label, value: outputs[protectionOutputKey(label)] }));
  const missing = declared.filter((d) => !d.value?.startsWith('hardened'));
  if (missing.length) {
    const names = missing.map((m) => (m.label === 'primary' ? stacks.production : stacks.recovery));
    return warn(
      CHECK,
      `dr.config.json asks for hardened, but ${names.join(' and ')} ${names.length > 1 ? 'do' : 'does'} not declare it (no ${missing.map((m) => protectionOutputKey(m.label)).join(', ')} output): the locks, guards and tamper pages are not deployed there`,
      'deploy both stacks again (npx cdk deploy --all)',
    );
  }
  return pass(CHECK, `hardened: ${declared.map((d) => `${d.label} (${shortSummary(d.value!)})`).join(', ')}`);
}

/** `locks: X | guards: Y | tamper rules: a, b` as `X; guards on Y; 2 tamper rules`. */
function shortSummary(value: string): string {
  const parts = Object.fromEntries(
    value
      .split(' | ')
      .slice(1)
      .map((p) => [p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 2)]),
  );
  const rules = (parts['tamper rules'] ?? '').split(', ').filter(Boolean).length;
  return `${parts.locks}; guards on ${parts.guards}; ${rules} tamper rules`;
}
