/**
 * The disaster recovery plan (DR-PLAN.md), rendered from `dr.config.json` and the last drill
 * report: nothing in it is typed by hand, so it cannot drift from what is deployed and tested.
 */
import {
  DrConfig,
  backupBucketName,
  incrementalTables,
  recoveryVaultName,
  replicaBucketName,
  replicaKeyAlias,
  stackNames,
  targetsFor,
  windowRetentionDays,
} from '../../lib/config';
import { DrillReport, formatDuration } from '../drill/report';
import { bucketsSection, mediaRunbook } from './buckets';

/** Scenario runbooks the plan holds, in order. */
export const PLAN_SCENARIOS = ['Database corruption', 'Accidental deletion', 'Ransomware', 'Region failure', 'Security breach'] as const;

/** Account shown in bucket names: the config's, or a shell variable the plan says how to set. */
function accountOf(c: DrConfig): string {
  return c.primary.account ?? '$ACCOUNT';
}

const code = (lines: string[]) => ['```sh', ...lines, '```'];
const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'nobody (add recipients to onCall in dr.config.json)');

function targetsSection(c: DrConfig, report?: DrillReport): string[] {
  const categories = [...new Set(c.tables.map((t) => t.category))];
  const measured = (table: string) => {
    const s = report?.scenarios.filter((x) => x.tables.includes(table)) ?? [];
    if (!s.length) return { rto: 'not drilled', rpo: 'not drilled' };
    const worst = s.reduce((a, b) => (b.rtoMs > a.rtoMs ? b : a));
    return { rto: `${formatDuration(worst.rtoMs)} (${worst.title})`, rpo: formatDuration(Math.max(...s.map((x) => x.rpoMs))) };
  };
  const rows = categories.flatMap((cat) =>
    c.tables
      .filter((t) => t.category === cat)
      .map((t) => {
        const tg = targetsFor(c, t.name);
        const m = measured(t.name);
        return `| ${cat} | ${t.name} | ${tg.rpoMinutes} min | ${m.rpo} | ${tg.rtoMinutes} min | ${m.rto} |`;
      }),
  );
  const drill = report
    ? `Measured figures come from the last drill (${report.mode}, ${report.startedAt}, ${report.dataset.totalItems} items): **${report.passed ? 'PASSED' : 'FAILED'}**, ${report.scenarios.filter((s) => s.passed).length}/${report.scenarios.length} scenarios. A local drill measures the tooling, not AWS throughput: run \`dr drill\` in the recovery region for production figures.`
    : 'No drill report found: run `npm run drill` (or `dr drill --local`) and render this plan again to fill the measured columns.';
  return [
    '## Recovery objectives',
    '',
    `Default targets: RPO ${c.targets.rpoMinutes} minutes, RTO ${c.targets.rtoMinutes} minutes; tables listed with their own targets override them.`,
    '',
    drill,
    '',
    '| category | table | RPO target | RPO measured | RTO target | RTO measured (worst scenario) |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

/** The chains of incremental exports, when any table has one: interval, tables, how long windows are kept and what that restores. */
function windowsRow(c: DrConfig): string[] {
  const chained = incrementalTables(c);
  if (!chained.length) return [];
  const intervals = [...new Set(chained.map((t) => t.intervalMinutes))].map((m) => `every ${m} min`).join(', ');
  const days = windowRetentionDays(c.retention);
  return [
    `| incremental windows (${chained.map((t) => t.name).join(', ')}) | ${intervals} | ${days} days: \`dr restore --at\` any minute since the oldest full set still with its windows (docs/rpo.md) |`,
  ];
}

function copiesSection(c: DrConfig): string[] {
  const a = accountOf(c);
  return [
    '## Backups: schedule, retention, where the copies live',
    '',
    '| tier | schedule (EventBridge, UTC) | retention |',
    '|---|---|---|',
    `| daily | \`${c.schedules.daily}\` | ${c.retention.dailyDays} days |`,
    `| weekly | \`${c.schedules.weekly}\` | ${c.retention.weeklyDays} days |`,
    `| monthly | \`${c.schedules.monthly}\` | ${c.retention.monthlyDays} days |`,
    ...windowsRow(c),
    '',
    `Engine: \`${c.backup.engine}\` (native export above ${c.backup.exportThresholdBytes} bytes when \`auto\`). DynamoDB point-in-time recovery (35 days) is on for every table.`,
    '',
    '| copy | where | encryption | lock |',
    '|---|---|---|---|',
    `| primary backup sets | \`s3://${backupBucketName(c, a)}/backups/\` (${c.primary.region}) | SSE-KMS, customer managed key \`alias/${c.appName}-dr-backups\` | S3 Object Lock ${c.objectLock.mode}, ${c.objectLock.days} days |`,
    `| replica (S3 cross-region replication) | \`s3://${replicaBucketName(c, a)}/backups/\` (${c.recovery.region}) | SSE-KMS, customer managed key \`${replicaKeyAlias(c)}\` | S3 Object Lock ${c.objectLock.mode}, ${c.objectLock.days} days |`,
    ...(c.awsBackup.enabled
      ? [
          `| AWS Backup recovery points | vault in ${c.primary.region}, copied to vault \`${recoveryVaultName(c)}\` (${c.recovery.region}) | KMS CMK of each region | retention per tier as above |`,
        ]
      : []),
    ...c.dataBuckets.map((b) => `| data bucket ${b.name} | replicated to \`${b.name}-dr-${c.recovery.region}\` | SSE-KMS | versioning |`),
    '',
    `Stacks: \`${stackNames(c).production}\` (${c.primary.region}) and \`${stackNames(c).recovery}\` (${c.recovery.region}).${c.primary.account ? '' : ' Bucket names hold the account id: `export ACCOUNT=$(aws sts get-caller-identity --query Account --output text)`.'}`,
    '',
  ];
}

function pagingSection(c: DrConfig): string[] {
  const r = c.onCall;
  return [
    '## Who is paged for what',
    '',
    `| severity | alarms | recipients |`,
    '|---|---|---|',
    `| Critical (\`${c.appName}-<what>-Critical\`) | backup failed; no successful backup within the RPO; record count or size changed over ${c.changeThresholds.criticalPercent}%; replication failed; replica backup older than the RPO; restore test failed or not run for 7 days | email: ${list(r.critical.emails)}; SMS: ${list(r.critical.sms)}; HTTPS: ${list(r.critical.https)} |`,
    `| Warning (\`${c.appName}-<what>-Warning\`) | backup longer than ${c.backup.durationWarningMinutes} minutes; record count or size changed over ${c.changeThresholds.warningPercent}% | email: ${list(r.warning.emails)}; SMS: ${list(r.warning.sms)}; HTTPS: ${list(r.warning.https)} |`,
    '',
    c.restoreTest.enabled
      ? `A restore test runs \`${c.restoreTest.schedule}\` in ${c.recovery.region}: it restores the latest replica set into scratch tables and compares ${c.restoreTest.sampleSize} items per table.`
      : 'The scheduled restore test is DISABLED (restoreTest.enabled: false): run `dr drill` by hand at least monthly.',
    '',
  ];
}

/** The runbooks: one per scenario, with this deployment's commands. */
function runbooks(c: DrConfig): string[] {
  const a = accountOf(c);
  const p = `--region ${c.primary.region} --bucket ${backupBucketName(c, a)}`;
  const r = `--region ${c.recovery.region} --bucket ${replicaBucketName(c, a)}`;
  const first = c.tables[0].name;
  const all = c.tables.map((t) => t.name).join(',');
  return [
    '## Runbooks',
    '',
    `Every \`dr\` command below runs from this repository (\`npx tsx bin/dr.ts\` or \`npm run dr --\`). Restores validate the set first and refuse an invalid one; without \`--confirm\` they print the plan and change nothing.`,
    '',
    `### ${PLAN_SCENARIOS[0]}`,
    'Bad deploy, bad import or a bug wrote wrong data into some tables. Restore only the affected tables beside the live ones, compare, then copy back what is wrong.',
    '',
    ...code([
      `dr list ${p}`,
      `# seconds-level point in time (PITR, 35 days), just before the bad write:`,
      `dr pitr-restore --region ${c.primary.region} --time <ISO time before the incident> --tables ${first} --suffix -restored --confirm`,
      `# or from a backup set:`,
      `dr restore <backupId> ${p} --tables ${first} --suffix -restored --confirm`,
    ]),
    'Compare `<table>-restored` with the live table and write back the damaged items; delete `-restored` afterwards.',
    '',
    `### ${PLAN_SCENARIOS[1]}`,
    'A table or items were deleted. A deleted table is recreated empty (`cdk deploy` for tables the stack owns, or by hand with the same keys) and the backup written into it:',
    '',
    ...code([
      `dr list ${p}`,
      `dr validate latest ${p}`,
      `dr restore latest ${p} --tables ${first} --into-existing --confirm`,
      `# deleted items only: restore beside the table and copy them back`,
      `dr restore latest ${p} --tables ${first} --suffix -restored --confirm`,
    ]),
    '',
    `### ${PLAN_SCENARIOS[2]}`,
    `Items were encrypted or wiped, and later backups saved the damage. Find the infection time T, then the last complete set BEFORE it (Object Lock ${c.objectLock.mode} keeps sets for ${c.objectLock.days} days: the attacker cannot delete them). Restore into new tables and keep the encrypted ones for forensics.`,
    '',
    ...code([`dr list ${p} --before <T, ISO time>`, `dr validate <backupId> ${p}`, `dr restore <backupId> ${p} --tables ${all} --suffix -clean --confirm`]),
    'Point the application at the `-clean` tables (or restore into the emptied originals with `--into-existing`) only after the security breach runbook closed the way in.',
    '',
    `### ${PLAN_SCENARIOS[3]}`,
    `${c.primary.region} is unavailable. Recover in ${c.recovery.region} from the replica bucket (S3 CRR) and the AWS Backup copies in \`${recoveryVaultName(c)}\`.`,
    '',
    ...code([
      `dr list ${r}`,
      `dr validate latest ${r}`,
      `dr restore latest ${r} --tables ${all} --into-existing --confirm  # into tables created empty, same names and keys`,
      `# or into new tables:`,
      `dr restore latest ${r} --confirm`,
    ]),
    `Then deploy the application in ${c.recovery.region} against the restored tables and the replicated data buckets${c.dataBuckets.length ? ` (${c.dataBuckets.map((b) => `${b.name}-dr-${c.recovery.region}`).join(', ')})` : ''}.`,
    '',
    `### ${PLAN_SCENARIOS[4]}`,
    'Credentials leaked or an attacker is inside the account. Contain first, then decide whether data must be restored.',
    '',
    ...code([
      `# 1. revoke the leaked keys / sessions, rotate secrets; CloudTrail: what did they touch?`,
      `# 2. the backups are object-locked (${c.objectLock.mode}, ${c.objectLock.days} days); check the newest good set:`,
      `dr list ${p}`,
      `dr list ${r}`,
      `dr validate latest ${r}`,
      `# 3. data changed by the attacker: follow the ransomware runbook with T = first malicious action`,
    ]),
    '',
    ...mediaRunbook(c, a),
  ];
}

function checklist(c: DrConfig): string[] {
  return [
    '## Verification checklist after a recovery',
    '',
    `- [ ] \`dr restore\` reported every table with verified item counts equal to the backup's`,
    `- [ ] item counts of ${c.tables.map((t) => t.name).join(', ')} are close to the last backup's (\`dr list\`)`,
    '- [ ] spot checks: newest orders, a known customer, a product with variants and stock',
    '- [ ] global secondary indexes are ACTIVE and answer queries',
    '- [ ] point-in-time recovery and deletion protection are on for restored tables (restore sets them; check on tables created by hand)',
    '- [ ] the application reads and writes the restored tables; temporary `-restored` / `-clean` tables deleted when no longer needed',
    `- [ ] a backup taken after the recovery (\`dr backup\`) and the alarms back to OK; the on-call (${c.onCall.critical.emails[0] ?? 'critical recipients'}) told the incident is closed`,
    '- [ ] the RTO and RPO actually reached recorded next to the targets above',
    '',
  ];
}

/** The whole plan as Markdown. Pure: the same config and report give the same text. */
export function renderPlan(config: DrConfig, report?: DrillReport, configFile = 'dr.config.json'): string {
  const c = config;
  return [
    `# Disaster recovery plan: ${c.appName}`,
    '',
    `Generated by \`dr plan\` from ${configFile}${report ? ` and the drill report of ${report.startedAt}` : ''}. Primary region ${c.primary.region}, recovery region ${c.recovery.region}; ${c.tables.length} DynamoDB tables protected. Do not edit by hand: change the config, run the drill, render again.`,
    '',
    ...targetsSection(c, report),
    ...copiesSection(c),
    ...bucketsSection(c, report),
    ...pagingSection(c),
    ...runbooks(c),
    ...checklist(c),
  ].join('\n');
}
