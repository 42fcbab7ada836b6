/**
 * Rules across the fields of `dr.config.json` (one region against the other, tiers against each
 * other, names against AWS's limits). Each adds an issue naming the setting, the value and the fix.
 * A new rule goes into a small function of its own, called from {@link checkConfigRules}.
 */
import type { z } from 'zod';
import { dataReplicaBucketName } from './config-names';
import { AIR_GAPPED_MIN_RETENTION_DAYS, roleArnAccount } from './config-protection';
import {
  EXPORT_ESTIMATE_MINUTES,
  FULL_ONLY_WORST_CASE_MINUTES,
  MIN_CHAIN_RPO_MINUTES,
  REPLICATION_MINUTES,
  incrementalIntervalOf,
  intervalThatFits,
  rpoOf,
  windowRetentionProblem,
} from './config-incremental';
import type { DrConfig, TableConfig } from './config-schema';
import { cronProblem } from './config-cron';
import { longestScheduleGap } from './config-schedule-gaps';

/** Every rule across fields; the schema runs it with `superRefine` once each field is valid. */
export function checkConfigRules(c: DrConfig, ctx: z.RefinementCtx): void {
  if (c.primary.region === c.recovery.region) {
    ctx.addIssue({
      code: 'custom',
      path: ['recovery', 'region'],
      message: `recovery.region must differ from primary.region (both are ${c.primary.region}); pick a second region such as "${c.primary.region.startsWith('eu-') ? 'eu-central-1' : 'us-west-2'}"`,
    });
  }
  const seen = new Set<string>();
  c.tables.forEach((t, i) => {
    if (seen.has(t.name)) {
      ctx.addIssue({ code: 'custom', path: ['tables', i, 'name'], message: `table "${t.name}" is listed twice; list each table once` });
    }
    seen.add(t.name);
  });
  const r = c.retention;
  if (!(r.dailyDays <= r.weeklyDays && r.weeklyDays <= r.monthlyDays)) {
    ctx.addIssue({
      code: 'custom',
      path: ['retention'],
      message: `retention must grow with the tier: dailyDays (${r.dailyDays}) <= weeklyDays (${r.weeklyDays}) <= monthlyDays (${r.monthlyDays})`,
    });
  }
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  checkLockAgainstTiers(c, issue);
  checkWindowRetention(c, issue);
  checkProtection(c, issue);
  checkAirGappedVault(c, issue);
  checkBreakGlass(c, issue);
  checkOffAccount(c, issue);
  if (c.changeThresholds.warningPercent >= c.changeThresholds.criticalPercent) {
    ctx.addIssue({
      code: 'custom',
      path: ['changeThresholds'],
      message: `changeThresholds.warningPercent (${c.changeThresholds.warningPercent}) must be below criticalPercent (${c.changeThresholds.criticalPercent})`,
    });
  }
  c.dataBuckets.forEach((b, i) => {
    const keyProblem = b.kmsKeyArn === undefined ? undefined : kmsKeyArnProblem(b.kmsKeyArn, c.primary.region);
    if (keyProblem)
      ctx.addIssue({ code: 'custom', path: ['dataBuckets', i, 'kmsKeyArn'], message: `dataBuckets[${i}].kmsKeyArn (bucket "${b.name}") ${keyProblem}` });
    const replica = dataReplicaBucketName(c, b.name);
    if (replica.length > 63) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataBuckets', i, 'name'],
        message: `bucket "${b.name}" gets the replica "${replica}" in the recovery region, longer than the 63 characters S3 allows; use a bucket name of at most ${63 - (replica.length - b.name.length)} characters`,
      });
    }
  });
  checkTopLevelRpo(c, ctx);
  c.tables.forEach((t, i) => checkIncremental(c, t, i, ctx));
  checkCronSchedules(c, issue);
  checkScheduleGaps(c, issue);
}

/** `retention.windowDays` against the tiers' retention (config-incremental.ts, windowRetentionProblem). */
export function checkWindowRetention(c: DrConfig, issue: Issue): void {
  const problem = windowRetentionProblem(c.retention);
  if (problem) issue(['retention', 'windowDays'], problem);
}

/** Every cron schedule against EventBridge's documented fields and ranges (config-cron.ts). */
export function checkCronSchedules(c: DrConfig, issue: Issue): void {
  const schedules: [(string | number)[], string][] = [
    ...Object.entries(c.schedules).map(([k, v]) => [['schedules', k], v] as [(string | number)[], string]),
    [['restoreTest', 'schedule'], c.restoreTest.schedule],
  ];
  for (const [path, expr] of schedules) {
    const problem = cronProblem(expr);
    if (problem) issue(path, `${path.join('.')} "${expr}" ${problem}: EventBridge refuses it at deploy`);
  }
}

/**
 * The backup schedules against the RPO the full sets must meet (a table without a chain: its RPO;
 * with one: a day): a longer gap between two full backups would fire the NoRecentBackup alarm at
 * every gap (config-schedule-gaps.ts).
 */
export function checkScheduleGaps(c: DrConfig, issue: Issue, now = new Date()): void {
  const needs = c.tables.map((t, i) =>
    incrementalIntervalOf(c, t) === undefined
      ? { rpo: rpoOf(c, t), setting: t.targets?.rpoMinutes !== undefined ? `tables[${i}] ("${t.name}") targets.rpoMinutes` : 'targets.rpoMinutes' }
      : { rpo: FULL_ONLY_WORST_CASE_MINUTES, setting: `tables[${i}] ("${t.name}")'s chain of incremental exports, whose base is a daily full set` },
  );
  if (needs.length === 0) return;
  const tightest = needs.reduce((a, b) => (b.rpo < a.rpo ? b : a));
  const exprs = Object.values(c.schedules);
  const gap = longestScheduleGap(exprs, now);
  if (gap.minutes <= tightest.rpo) return;
  const span = gap.from && gap.to ? ` (${gap.from.toISOString()} to ${gap.to.toISOString()})` : '';
  const raise = tightest.setting.endsWith('targets.rpoMinutes') && Number.isFinite(gap.minutes) ? `, or raise ${tightest.setting} to ${gap.minutes}` : '';
  issue(
    ['schedules'],
    `schedules (${exprs.join(', ')}) leave ${Number.isFinite(gap.minutes) ? `up to ${gap.minutes} minutes` : 'years'} between two full backups${span}, ` +
      `longer than the ${tightest.rpo}-minute RPO the full sets must meet (${tightest.setting}): the NoRecentBackup alarm would fire at every such gap; ` +
      `run schedules.daily at least every ${tightest.rpo} minutes (e.g. "cron(0 2 * * ? *)")${raise}`,
  );
}

const CHAIN_FLOOR = `the shortest chain of incremental exports reaches ${MIN_CHAIN_RPO_MINUTES} minutes across regions (15-minute windows + ${EXPORT_ESTIMATE_MINUTES} export + ${REPLICATION_MINUTES} replication; PITR covers seconds-level recovery inside the primary region)`;

/** The top-level RPO applies to every table without its own: it must be one a chain can meet. */
function checkTopLevelRpo(c: DrConfig, ctx: z.RefinementCtx): void {
  if (c.targets.rpoMinutes < MIN_CHAIN_RPO_MINUTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['targets', 'rpoMinutes'],
      message: `targets.rpoMinutes (${c.targets.rpoMinutes}) is below what can be met: ${CHAIN_FLOOR}; use at least ${MIN_CHAIN_RPO_MINUTES}`,
    });
  }
}

/**
 * A table's RPO against its schedule: below a day it needs a chain whose worst case (interval +
 * export + replication) fits; a chain needs PITR (exports read from it).
 */
function checkIncremental(c: DrConfig, t: TableConfig, i: number, ctx: z.RefinementCtx): void {
  const where = `tables[${i}] ("${t.name}")`;
  const rpo = rpoOf(c, t);
  const interval = incrementalIntervalOf(c, t);
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: ['tables', i, ...path], message });
  if (interval !== undefined && !t.pointInTimeRecovery) {
    issue(
      ['incremental'],
      `${where} has incremental exports but "pointInTimeRecovery": false; DynamoDB exports read from PITR: remove "pointInTimeRecovery": false, or set "incremental": false and an RPO of at least ${FULL_ONLY_WORST_CASE_MINUTES} minutes`,
    );
    return;
  }
  if (t.targets?.rpoMinutes !== undefined && rpo < MIN_CHAIN_RPO_MINUTES) {
    issue(['targets', 'rpoMinutes'], `${where} targets.rpoMinutes (${rpo}) is below what can be met: ${CHAIN_FLOOR}; use at least ${MIN_CHAIN_RPO_MINUTES}`);
    return;
  }
  if (rpo < MIN_CHAIN_RPO_MINUTES) return; // the top-level rule names it once
  if (interval === undefined) {
    if (rpo < FULL_ONLY_WORST_CASE_MINUTES) {
      const why = t.incremental === false ? '"incremental": false leaves' : 'without incremental exports it has';
      issue(
        ['incremental'],
        `${where} RPO is ${rpo} minutes but ${why} only the daily full set across regions (worst case ${FULL_ONLY_WORST_CASE_MINUTES} minutes): remove "incremental": false (an interval of ${intervalThatFits(rpo)} minutes fits) or raise targets.rpoMinutes to ${FULL_ONLY_WORST_CASE_MINUTES}`,
      );
    }
    return;
  }
  const worst = interval + EXPORT_ESTIMATE_MINUTES + REPLICATION_MINUTES;
  if (worst > rpo) {
    const fits = intervalThatFits(rpo);
    const fix = fits === undefined ? `raise targets.rpoMinutes to at least ${MIN_CHAIN_RPO_MINUTES}` : `use "incremental": { "intervalMinutes": ${fits} }`;
    issue(
      ['incremental', 'intervalMinutes'],
      `${where} incremental.intervalMinutes (${interval}) gives a worst-case RPO of ${worst} minutes (${interval} interval + ${EXPORT_ESTIMATE_MINUTES} export + ${REPLICATION_MINUTES} replication), above its RPO of ${rpo}: ${fix}`,
    );
  }
}

const KMS_KEY_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]+$/;

/** Why a data bucket's key ARN cannot work, or undefined: it must be a key ARN (not an alias) in the bucket's region. */
export function kmsKeyArnProblem(arn: string, primaryRegion: string): string | undefined {
  const m = KMS_KEY_ARN.exec(arn);
  if (!m) {
    return `must be a KMS key ARN such as "arn:aws:kms:${primaryRegion}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (an alias or key id cannot be granted to the replication role): copy the key ARN from the bucket's default encryption (aws s3api get-bucket-encryption --bucket <name>)`;
  }
  if (m[2] !== primaryRegion) {
    return `is in ${m[2]} but the bucket is in primary.region (${primaryRegion}): S3 encrypts with a key of the bucket's own region, so this is not the bucket's key; use the key ARN from aws s3api get-bucket-encryption --bucket <name>`;
  }
  return undefined;
}

type Issue = (path: (string | number)[], message: string) => void;

/** `hardened` means COMPLIANCE; an explicit GOVERNANCE under it is a contradiction. */
export function checkProtection(c: DrConfig, issue: Issue): void {
  if (c.protection === 'hardened' && c.objectLock.mode !== 'COMPLIANCE') {
    issue(
      ['objectLock', 'mode'],
      `objectLock.mode is "${c.objectLock.mode}" but protection is "hardened", which locks backups in COMPLIANCE mode (GOVERNANCE can be bypassed by an admin holding s3:BypassGovernanceRetention): remove objectLock.mode or set it to "COMPLIANCE", or set "protection": "standard"`,
    );
  }
}

/**
 * `recovery.vault: "airGapped"` holds AWS Backup's copies: it needs AWS Backup on, and every
 * tier's retention at least AWS's minimum for such a vault (7 days), since its MinRetentionDays is
 * the shortest tier.
 */
export function checkAirGappedVault(c: DrConfig, issue: Issue): void {
  if (c.recovery.vault !== 'airGapped') return;
  if (!c.awsBackup.enabled)
    issue(
      ['recovery', 'vault'],
      'recovery.vault is "airGapped" but awsBackup.enabled is false: the logically air-gapped vault holds AWS Backup copies, and there would be none; turn awsBackup on or remove recovery.vault',
    );
  const shortest = Math.min(c.retention.dailyDays, c.retention.weeklyDays, c.retention.monthlyDays);
  if (shortest < AIR_GAPPED_MIN_RETENTION_DAYS)
    issue(
      ['recovery', 'vault'],
      `recovery.vault is "airGapped", whose minimum retention is the shortest tier (${shortest} days), but AWS Backup refuses a logically air-gapped vault under ${AIR_GAPPED_MIN_RETENTION_DAYS} days: keep every tier at least ${AIR_GAPPED_MIN_RETENTION_DAYS} days or use "locked"`,
    );
}

/**
 * Every object is locked for `objectLock.days` whatever its tier, so the lock must end before
 * each tier's expiry, or the lifecycle rule cannot delete it.
 */
export function checkLockAgainstTiers(c: DrConfig, issue: Issue): void {
  const tiers = [
    ['dailyDays', c.retention.dailyDays],
    ['weeklyDays', c.retention.weeklyDays],
    ['monthlyDays', c.retention.monthlyDays],
  ] as const;
  for (const [name, days] of tiers) {
    if (c.objectLock.days > days) {
      issue(
        ['objectLock', 'days'],
        `objectLock.days (${c.objectLock.days}) must not exceed retention.${name} (${days}): locked ${name.replace('Days', '')} backups could not expire${c.objectLock.mode === 'COMPLIANCE' ? ' and COMPLIANCE mode lets nobody delete them early' : ''}; lower objectLock.days or raise retention.${name}`,
      );
      return;
    }
  }
}

/**
 * The break-glass role is exempted from the guards by ARN in resource policies of the primary
 * account, so it must be a role of that account (checked here when primary.account is given,
 * and against the deploying account at synth by {@link breakGlassAccountProblem}).
 */
export function checkBreakGlass(c: DrConfig, issue: Issue): void {
  if (!c.breakGlassRoleArn) return;
  const account = roleArnAccount(c.breakGlassRoleArn);
  if (account && c.primary.account && account !== c.primary.account) {
    issue(['breakGlassRoleArn'], breakGlassAccountMessage(account, c.primary.account));
  }
}

/** Why the break-glass role cannot serve `account`, or undefined. */
export function breakGlassAccountProblem(c: Pick<DrConfig, 'breakGlassRoleArn'>, account: string): string | undefined {
  const own = c.breakGlassRoleArn ? roleArnAccount(c.breakGlassRoleArn) : undefined;
  return own && own !== account ? `breakGlassRoleArn: ${breakGlassAccountMessage(own, account)}` : undefined;
}

function breakGlassAccountMessage(roleAccount: string, primary: string): string {
  return `the break-glass role is in account ${roleAccount} but the stacks deploy into ${primary}: the guards exempt it by ARN in this account's key, bucket and vault policies; create the role in ${primary} and name it here`;
}

/**
 * Off-account copies: `recovery.offAccount` asks for the recovery stack in `recovery.account`,
 * which must then be given and differ from the primary account; a different account without
 * `offAccount` is refused (so it is a choice, not a typo).
 */
export function checkOffAccount(c: DrConfig, issue: Issue): void {
  const { primary, recovery } = c;
  if (recovery.offAccount) {
    if (!recovery.account || !primary.account) {
      issue(
        ['recovery', 'account'],
        'recovery.offAccount is true, so primary.account and recovery.account must both be given (12-digit account ids): the recovery stack deploys into recovery.account and trusts only the primary account',
      );
    } else if (recovery.account === primary.account) {
      issue(
        ['recovery', 'account'],
        `recovery.account (${recovery.account}) equals primary.account, but recovery.offAccount asks for copies in another account: a stolen admin of the primary account would reach them; name a second account, or set recovery.offAccount to false`,
      );
    }
  } else if (recovery.account && primary.account && recovery.account !== primary.account) {
    issue(
      ['recovery', 'account'],
      `recovery.account (${recovery.account}) differs from primary.account (${primary.account}); set "offAccount": true in recovery to deploy the recovery stack into the second account (docs/deploy.md, "Two accounts"), or leave recovery.account out`,
    );
  }
}
