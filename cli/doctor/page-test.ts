/**
 * `dr doctor --page-test`: a real page through the real path. The page-test alarm of each region
 * (`<app>-doctor-page-test-Critical`, lib/constructs/page-test-alarm.ts) is set to ALARM, left
 * there a few seconds, and set back to OK. SetAlarmState invokes the alarm's actions when the
 * state changes, so the critical topic publishes to on-call twice (ALARM, then OK). CloudWatch
 * would also return the alarm to its real state (OK: it never breaches) on its own, usually
 * within seconds; doctor sets OK itself so the page is closed even if that evaluation is late.
 *
 * Then the alarm history (DescribeAlarmHistory, type Action) tells whether CloudWatch could
 * publish: "Failed to execute action ..." is the "not authorized to perform SNS:Publish" failure.
 */
import { DescribeAlarmHistoryCommand, SetAlarmStateCommand, type AlarmHistoryItem } from '@aws-sdk/client-cloudwatch';
import { recoveryAccountOf, recoveryDoctorPolicyName } from '../../lib/config';
import { awsSaid, CheckResult, fail, guard, isError, pass, warn } from './result';
import type { DoctorClients, DoctorTarget, RegionClients } from './target';

/** Options of {@link runPageTest}. */
export interface PageTestOptions {
  /** Seconds the alarm stays in ALARM before doctor sets OK. @default 10 */
  readonly waitSeconds?: number;
  /** Who runs the test, for the alarm's state reason (the caller ARN). */
  readonly caller: string;
  /** Sleeps; replaced in tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Now; replaced in tests. @default new Date() */
  readonly now?: () => Date;
  /** False when the recovery region cannot be reached (off-account without --recovery-profile): only the primary region pages. @default true */
  readonly recovery?: boolean;
}

const sleeper = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function setState(clients: RegionClients, alarm: string, state: 'ALARM' | 'OK', reason: string): Promise<void> {
  await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: state, StateReason: reason }));
}

async function actionHistory(clients: RegionClients, alarm: string, since: Date): Promise<AlarmHistoryItem[]> {
  const res = await clients.cloudwatch.send(
    new DescribeAlarmHistoryCommand({ AlarmName: alarm, HistoryItemType: 'Action', StartDate: since, ScanBy: 'TimestampDescending' }),
  );
  return res.AlarmHistoryItems ?? [];
}

/** What the action history of one region says about the page. */
function historyResult(check: string, items: AlarmHistoryItem[], topicName: string): CheckResult {
  const failed = items.find((i) => /fail/i.test(i.HistorySummary ?? ''));
  if (failed)
    return fail(
      check,
      `CloudWatch could not notify the topic: ${failed.HistorySummary}`,
      `the ${topicName} topic policy must allow cloudwatch.amazonaws.com to sns:Publish and its KMS key must let CloudWatch use it: deploy the current stacks, then run dr doctor (its topic policy check says which)`,
    );
  if (items.length === 0)
    return warn(
      check,
      'alarm set to ALARM and back to OK; CloudWatch has not recorded the action yet',
      'ask on-call whether the page arrived, and look at the alarm\'s History tab for "Successfully executed action"',
    );
  return pass(check, `alarm set to ALARM and back to OK; ${items[0].HistorySummary}: ask on-call to confirm the page arrived`);
}

/**
 * Sets the page-test alarm of both regions to ALARM, waits, sets them back to OK, then reads
 * their action history. A region whose ALARM could not be set is reported and never left in ALARM.
 */
export async function runPageTest(clients: DoctorClients, target: DoctorTarget, options: PageTestOptions): Promise<CheckResult[]> {
  const sleep = options.sleep ?? sleeper;
  const now = options.now ?? (() => new Date());
  const alarm = target.pageTestAlarm;
  const reason = `dr doctor --page-test by ${options.caller}: a test page, no action needed`;
  const started = now();
  const regions = [
    { where: 'primary' as const, clients: clients.primary, account: target.account, policy: target.operatorPolicy },
    // Off-account without the recovery account's credentials, only the primary region pages (recovery-reach.ts says why).
    ...(options.recovery === false
      ? []
      : [
          {
            where: 'recovery' as const,
            clients: clients.recovery,
            account: recoveryAccountOf(target.config, target.account),
            policy: target.config.recovery.offAccount ? recoveryDoctorPolicyName(target.config) : target.operatorPolicy,
          },
        ]),
  ];
  const raised: typeof regions = [];
  const results: CheckResult[] = [];
  const need = (r: { clients: RegionClients; account: string }) =>
    `cloudwatch:SetAlarmState and cloudwatch:DescribeAlarmHistory on arn:${target.partition}:cloudwatch:${r.clients.region}:${r.account}:alarm:${alarm}`;
  for (const r of regions) {
    const check = `page test ${alarm} (${r.clients.region})`;
    const result = await guard(check, need(r), r.policy, async () => {
      try {
        await setState(r.clients, alarm, 'ALARM', reason);
      } catch (e) {
        if (isError(e, 'ResourceNotFound', 'ResourceNotFoundException'))
          return fail(
            check,
            `no alarm ${alarm} in ${r.clients.region}${awsSaid(e)}`,
            'deploy the current stacks (they add the page-test alarm to both regions)',
          );
        throw e;
      }
      raised.push(r);
      return pass(check, 'set to ALARM');
    });
    if (result.status !== 'PASS') results.push(result);
  }
  if (raised.length === 0) return results;
  await sleep((options.waitSeconds ?? 10) * 1000);
  for (const r of raised) {
    const check = `page test ${alarm} (${r.clients.region})`;
    const topic = target.topics.find((t) => t.where === r.where && t.severity === 'critical');
    results.push(
      await guard(check, need(r), r.policy, async () => {
        await setState(r.clients, alarm, 'OK', `${reason} (back to OK)`);
        return historyResult(check, await actionHistory(r.clients, alarm, started), topic?.name ?? 'critical');
      }),
    );
  }
  return results;
}
