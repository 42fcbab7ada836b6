/**
 * What of the declared protection (protection.ts) `dr doctor` compares with the live account,
 * each with one read-only call: the tamper rules' state (EventBridge DescribeRule) and Vault Lock
 * (AWS Backup DescribeBackupVault), and that CloudTrail feeds the rules (trail-check.ts). Object
 * Lock is checks.ts's objectLockCheck. Key, bucket and
 * vault policies are not read: the output says what the template put there, and a policy change
 * pages on its own (tamper rules).
 */
import { DescribeBackupVaultCommand } from '@aws-sdk/client-backup';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import type { VaultDeclaration } from '../../lib/protection-summary';
import { declaredProtection } from './protection';
import { awsSaid, fail, guard, isError, pass, warn, type CheckResult } from './result';
import type { CheckedRegion, RegionClients, StackOutputs } from './target';
import { trailCheck } from './trail-check';

/** EventBridge rule states that deliver the write management events the tamper rules match. */
const DELIVERING = new Set(['ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);

/** Every declared tamper rule of one region exists and is enabled. */
export async function tamperRulesCheck(r: RegionClients, check: string, rules: readonly string[]): Promise<CheckResult> {
  const states = await Promise.all(
    rules.map(async (name) => {
      try {
        return { name, state: (await r.events.send(new DescribeRuleCommand({ Name: name }))).State ?? 'UNKNOWN' };
      } catch (e) {
        if (isError(e, 'ResourceNotFoundException')) return { name, state: 'MISSING' };
        throw e;
      }
    }),
  );
  const off = states.filter((s) => !DELIVERING.has(s.state));
  if (off.length)
    return fail(
      check,
      `${off.map((s) => `${s.name} is ${s.state}`).join(', ')} in ${r.region}: tampering with the keys, buckets, vaults or tables there would not page (a rule turned off is itself a sign of an attack)`,
      `find who changed it in CloudTrail (DisableRule, DeleteRule), then deploy the stack again or enable it: aws events enable-rule --region ${r.region} --name ${off[0].name}`,
    );
  return pass(check, `${rules.length} rules enabled in ${r.region}`);
}

const day = (d: Date | undefined) => d?.toISOString().slice(0, 10) ?? 'an unknown date';

/** The vault's live Vault Lock against the declared one. */
export async function vaultLockCheck(r: RegionClients, check: string, vault: VaultDeclaration, now: Date): Promise<CheckResult> {
  const lock = vault.lock!;
  let live;
  try {
    live = await r.backup.send(new DescribeBackupVaultCommand({ BackupVaultName: vault.name }));
  } catch (e) {
    if (!isError(e, 'ResourceNotFoundException')) throw e;
    return fail(
      check,
      `the vault ${vault.name} does not exist in ${r.region}, though the stack declares it${awsSaid(e)}`,
      'find who deleted it in CloudTrail (DeleteBackupVault), then deploy the stack again',
    );
  }
  const declared = `${lock.minRetentionDays}-${lock.maxRetentionDays} days`;
  if (!live.Locked || live.MinRetentionDays === undefined)
    return fail(
      check,
      `${vault.name} in ${r.region} has no Vault Lock (declared ${declared}): recovery points there can be deleted`,
      'find who removed it in CloudTrail (DeleteBackupVaultLockConfiguration), then deploy the stack again',
    );
  const found = `${live.MinRetentionDays}-${live.MaxRetentionDays ?? '?'} days`;
  const when =
    live.LockDate && live.LockDate <= now ? `immutable since ${day(live.LockDate)}` : `can still be changed until ${day(live.LockDate)} (cooling-off)`;
  if (live.MinRetentionDays !== lock.minRetentionDays || live.MaxRetentionDays !== lock.maxRetentionDays)
    return warn(
      check,
      `${vault.name}: Vault Lock ${found}, ${when}, but the stack declares ${declared}`,
      'deploy the stack again during the cooling-off period; once immutable, the live lock stays and the tiers must fit inside it',
    );
  return pass(check, `${vault.name}: Vault Lock ${found}, ${when}`);
}

/** The live protection checks of each reached stack (the recovery one only when reached), from what each declares. */
export function liveProtectionChecks(
  app: string,
  outputs: StackOutputs,
  regions: { primary: CheckedRegion; recovery?: CheckedRegion },
  now: Date,
): Promise<CheckResult>[] {
  const declared = declaredProtection(outputs);
  return (['primary', 'recovery'] as const).flatMap((label) => {
    const d = declared[label];
    const side = regions[label];
    if (!d || !side || d.level !== 'hardened') return [];
    const r = side.clients;
    const rules = d.tamperRules.length
      ? [
          guard(`tamper rules ${r.region}`, `events:DescribeRule on ${side.arn('events', `rule/${d.tamperRules[0]}`)} and the other rules`, side.policy, () =>
            tamperRulesCheck(r, `tamper rules ${r.region}`, d.tamperRules),
          ),
          guard(
            `CloudTrail ${r.region}`,
            `cloudtrail:DescribeTrails (resource *), cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors on ${side.arn('cloudtrail', 'trail/<name>')}`,
            side.policy,
            () => trailCheck(r, `CloudTrail ${r.region}`, app),
          ),
        ]
      : [];
    const vaults = d.vaults
      .filter((v) => v.lock)
      .map((v) =>
        guard(`vault lock ${v.name}`, `backup:DescribeBackupVault on ${side.arn('backup', `backup-vault:${v.name}`)}`, side.policy, () =>
          vaultLockCheck(r, `vault lock ${v.name}`, v, now),
        ),
      );
    return [...rules, ...vaults];
  });
}
