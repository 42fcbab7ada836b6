/**
 * Issue #23 defect 11: an RPO shorter than the backup schedule. The NoRecentBackup alarm counts
 * every tier's successes and fires when none came within the RPO the full sets must meet; the
 * config refuses schedules whose longest gap between two full backups is longer, naming the
 * schedules, the gap, the RPO's setting and the fix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../lib/config';
import { longestScheduleGap } from '../../lib/config-schedule-gaps';
import { ROOT } from './app-fixture';
import { problemsOf } from '../support/config-problems';

const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8')) as Record<string, unknown> & { tables: Record<string, unknown>[] };
const FROM = new Date('2026-01-01T00:00:00Z');
const SHIPPED = ['cron(0 2 * * ? *)', 'cron(0 3 ? * SUN *)', 'cron(0 4 1 * ? *)'];

describe('longestScheduleGap (UTC, as EventBridge runs rules)', () => {
  it.each<[string[], number]>([
    [SHIPPED, 1440],
    [['cron(0 2 ? * MON-FRI *)'], 3 * 1440],
    [['cron(0 2 ? * MON-FRI *)', 'cron(0 3 ? * SUN *)'], 2 * 1440 + 60],
    [['cron(0 2 ? * SUN *)'], 7 * 1440],
    [['cron(0 */6 * * ? *)'], 360],
    [['cron(0 2,14 * * ? *)'], 720],
    [['rate(2 days)'], 2 * 1440],
    [['rate(12 hours)'], 720],
    [['cron(0 2 L * ? *)'], 31 * 1440],
  ])('%j: %d minutes', (exprs, minutes) => {
    expect(longestScheduleGap(exprs, FROM).minutes).toBe(minutes);
  });

  it('a schedule that fires fewer than twice in four years has no finite gap', () => {
    expect(longestScheduleGap(['cron(0 2 1 1 ? 2026)'], FROM).minutes).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('the config refuses schedules with a gap longer than the full sets’ RPO', () => {
  it('the shipped config passes', () => {
    expect(() => parseConfig(example)).not.toThrow();
  });

  it('weekdays-only daily backups at a one-day RPO: refused, naming the schedules, the gap, the RPO setting and the fix', () => {
    const raw = { ...example, schedules: { daily: 'cron(0 2 ? * MON-FRI *)', weekly: 'cron(0 3 ? * FRI *)', monthly: 'cron(0 4 1 * ? *)' } };
    expect(problemsOf(raw)).toMatch(
      /schedules: schedules \(cron\(0 2 \? \* MON-FRI \*\), cron\(0 3 \? \* FRI \*\), cron\(0 4 1 \* \? \*\)\) leave up to \d+ minutes between two full backups \(.*\), longer than the 1440-minute RPO the full sets must meet \(.*\): the NoRecentBackup alarm would fire at every such gap; run schedules.daily at least every 1440 minutes/,
    );
  });

  it('a table without a chain at an RPO of two days accepts backups every other day, and names its own setting when the gap is longer', () => {
    const tables = example.tables.map((t) => ({ ...t, targets: { rpoMinutes: 2880 }, incremental: false }));
    expect(() =>
      parseConfig({ ...example, tables, schedules: { daily: 'rate(2 days)', weekly: 'cron(0 3 ? * SUN *)', monthly: 'cron(0 4 1 * ? *)' } }),
    ).not.toThrow();
    expect(problemsOf({ ...example, tables, schedules: { daily: 'rate(3 days)', weekly: 'rate(3 days)', monthly: 'rate(3 days)' } })).toMatch(
      /leave up to 4320 minutes between two full backups .*longer than the 2880-minute RPO the full sets must meet \(tables\[0\] \(".*"\) targets.rpoMinutes\).*or raise tables\[0\] \(".*"\) targets.rpoMinutes to 4320/,
    );
  });
});
