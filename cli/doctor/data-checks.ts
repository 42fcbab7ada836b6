/**
 * The data checks of `dr doctor`: is there a recent enough backup, and did the last restore test
 * pass. Read-only: the catalog lists the bucket, CloudWatch returns the restore-test metrics.
 */
import type { Stack } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { DrConfig } from '../../lib/config';
import { tightestFullSetRpo } from '../../lib/stacks/targets';
import { listBackupSets } from '../../lambda/store/catalog';
import { dataAge, recoveryPoint } from '../../lambda/format/trusted-time';
import { Dimension, METRIC_NAMESPACE, MetricName } from '../../lambda/shared/metrics';
import { CheckResult, fail, pass, warn } from './result';
import type { RegionClients } from './target';

/** How far back the restore-test result is looked for: the weekly test plus a day of slack. */
export const RESTORE_TEST_LOOKBACK_DAYS = 8;

const minutes = (ms: number) => Math.round(ms / 60_000);

/** Minutes as "N h M min" / "N d H h". */
export function formatAge(mins: number): string {
  if (mins < 60) return `${mins} min`;
  if (mins < 48 * 60) return `${Math.floor(mins / 60)} h ${mins % 60} min`;
  return `${Math.floor(mins / 1440)} d ${Math.floor((mins % 1440) / 60)} h`;
}

/**
 * The newest complete backup set (the catalog's commit marker, metadata.json, present) against
 * the tightest RPO the full sets alone must meet (a table with a chain of incremental exports meets
 * its RPO through the windows, checked apart). The age is taken from the set's recovery point.
 */
export async function backupAgeCheck(clients: RegionClients, bucket: string, config: DrConfig, now: Date): Promise<CheckResult> {
  const check = `newest backup vs RPO`;
  const rpo = tightestFullSetRpo(config);
  const sets = await listBackupSets({ s3: clients.s3, bucket });
  // The newest DATA, not the newest slot: a slot's time is only its identity (trusted-time.ts).
  const complete = sets.filter((s) => s.status === 'complete');
  const pointOf = (s: (typeof sets)[number]) => (s.summary ? recoveryPoint(s.summary) : s.startedAt);
  const newest = complete.reduce<(typeof sets)[number] | undefined>((b, s) => (!b || pointOf(s) > pointOf(b) ? s : b), undefined);
  if (!newest)
    return fail(
      check,
      `no complete backup set in s3://${bucket} (${sets.length} set(s) listed, none complete)`,
      `the first scheduled backup runs at schedules.daily (${config.schedules.daily}, UTC); take one now: dr --region ${clients.region} --bucket ${bucket} backup`,
    );
  const point = pointOf(newest);
  const dataAgeNow = dataAge(point, now);
  if (dataAgeNow.future)
    return fail(
      check,
      `${newest.tier}/${newest.backupId} says its data is as of ${point.toISOString()}, after this machine's clock (${now.toISOString()}): a set cannot hold data from the future`,
      `check this machine's clock; if it is right, the set was written by a clock far off or forged: run "dr validate ${newest.tier}/${newest.backupId}" and take a set now: dr --region ${clients.region} --bucket ${bucket} backup`,
    );
  const age = minutes(dataAgeNow.minutes * 60_000);
  const detail = `${newest.tier}/${newest.backupId} is ${formatAge(age)} old (RPO ${formatAge(rpo)})`;
  if (age <= rpo) return pass(check, detail);
  return fail(
    check,
    `${detail}: a disaster now would lose more data than the RPO allows`,
    `read the backup function's log group and the BackupFailed alarm in ${clients.region}; take a set now: dr --region ${clients.region} --bucket ${bucket} backup`,
  );
}

/** Newest timestamp with a value above zero (GetMetricData returns newest first with TimestampDescending). */
function lastNonZero(r: MetricDataResult | undefined): Date | undefined {
  const values = r?.Values ?? [];
  const i = values.findIndex((v) => v > 0);
  return i >= 0 ? r?.Timestamps?.[i] : undefined;
}

/**
 * The last restore test result: RestoreTestSuccess / RestoreTestFailure (namespace DrStack,
 * dimension App), which the weekly restore-test function emits in the recovery region. Hourly
 * sums over 8 days are 192 datapoints per metric (GetMetricData returns up to 100,800 per call).
 */
export async function restoreTestCheck(clients: RegionClients, config: DrConfig, recoveryStack: Stack | undefined, now: Date): Promise<CheckResult> {
  const check = 'last restore test';
  if (!config.restoreTest.enabled)
    return warn(
      check,
      'restore tests are off (restoreTest.enabled is false): nobody knows whether the backups restore',
      'set restoreTest.enabled to true in dr.config.json and deploy',
    );
  const dims = [{ Name: Dimension.App, Value: config.appName }];
  const query = (id: string, name: string) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: METRIC_NAMESPACE, MetricName: name, Dimensions: dims }, Period: 3600, Stat: 'Sum' },
  });
  const res = await clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - RESTORE_TEST_LOOKBACK_DAYS * 86_400_000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [query('ok', MetricName.RestoreTestSuccess), query('failed', MetricName.RestoreTestFailure)],
    }),
  );
  const byId = new Map((res.MetricDataResults ?? []).map((r) => [r.Id, r]));
  const ok = lastNonZero(byId.get('ok'));
  const failed = lastNonZero(byId.get('failed'));
  const logs = `read the restore-test function's log group in ${clients.region} (the RestoreTestFailed alarm links it)`;
  if (failed && (!ok || failed.getTime() >= ok.getTime()))
    return fail(
      check,
      `the last restore test FAILED at ${failed.toISOString()}: the backups may not be restorable`,
      `${logs}; fix the cause and invoke the function again`,
    );
  if (ok) return pass(check, `passed at ${ok.toISOString()} (${formatAge(minutes(now.getTime() - ok.getTime()))} ago)`);
  const created = recoveryStack?.CreationTime;
  if (created && now.getTime() - created.getTime() < RESTORE_TEST_LOOKBACK_DAYS * 86_400_000)
    return warn(
      check,
      `no restore test result yet; the recovery stack is ${formatAge(minutes(now.getTime() - created.getTime()))} old and the test runs at ${config.restoreTest.schedule} (UTC)`,
      'wait for the first weekly run, or invoke the restore-test function by hand to get a result now',
    );
  return fail(
    check,
    `no restore test result in the last ${RESTORE_TEST_LOOKBACK_DAYS} days: the weekly test (${config.restoreTest.schedule}) did not run`,
    `check the restore-test function and its schedule in ${clients.region}; ${logs}`,
  );
}
