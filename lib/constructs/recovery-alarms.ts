import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { Dimension, MetricName } from '../../lambda/shared/metrics';
import type { AlertTopics } from './alert-topics';
import { REPLICATION_TIME_MINUTES } from './cross-region-replication';
import { drMetric, severityAlarm } from './dr-metrics';
import { constructId } from './protected-tables';

/** Props of {@link RecoveryAlarms}. */
export interface RecoveryAlarmsProps {
  /** App name: the `App` dimension and the alarm name prefix. */
  readonly app: string;
  /** The recovery region's topics. */
  readonly topics: AlertTopics;
  /** Tightest RPO over the tables, minutes. */
  readonly rpoMinutes: number;
  /** Whether restore tests run (their alarms exist only then). @default true */
  readonly restoreTests?: boolean;
  /** Tables with a chain of incremental exports and their RPO: one critical alarm each on the replica's chain age. @default - none */
  readonly chains?: readonly { readonly table: string; readonly rpoMinutes: number }[];
}

/**
 * Alarms of the recovery region, where the replica and the restore tests live (CloudWatch
 * alarms are regional): no new backup arrived within RPO + replication window; a chained table's
 * newest replicated window is older than its RPO; a restore
 * test failed; no restore test passed for a week.
 */
export class RecoveryAlarms extends Construct {
  /** Every alarm made. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RecoveryAlarmsProps) {
    super(scope, id);
    const { app, topics } = props;
    const limit = props.rpoMinutes + REPLICATION_TIME_MINUTES;
    // The replica monitor runs hourly; an hour without its datapoint breaches (monitor broken).
    this.alarms.push(
      severityAlarm(this, topics, {
        app,
        what: 'ReplicaBackupStale',
        severity: 'Critical',
        metric: drMetric(app, MetricName.ReplicaBackupAgeMinutes, { statistic: 'Maximum', period: Duration.hours(1) }),
        threshold: limit,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: `The newest complete backup in the replica bucket is older than RPO + replication (${limit} minutes): the recovery region could not restore to the RPO.`,
      }),
    );
    // Per chained table: the newest point the replica restores it to is older than its RPO. The
    // monitor's datapoint is the age at its run; an hour without one breaches (monitor broken).
    for (const chain of props.chains ?? [])
      this.alarms.push(
        severityAlarm(this, topics, {
          app,
          what: `${constructId(chain.table)}-ReplicaChainStale`,
          severity: 'Critical',
          metric: drMetric(app, MetricName.ReplicaChainAgeMinutes, {
            dimensions: { [Dimension.Table]: chain.table },
            statistic: 'Maximum',
            period: Duration.hours(1),
          }),
          threshold: chain.rpoMinutes,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          description: `The newest point the replica restores ${chain.table} to (its newest replicated incremental export window) is older than its RPO of ${chain.rpoMinutes} minutes: losing the primary region now would lose more. Check the incremental-export function, the finalizer and replication (docs/rpo.md).`,
        }),
      );
    if (props.restoreTests === false) return;
    this.alarms.push(
      severityAlarm(this, topics, {
        app,
        what: 'RestoreTestFailed',
        severity: 'Critical',
        metric: drMetric(app, MetricName.RestoreTestFailure, { period: Duration.hours(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          'The restore test could not restore or verify the latest replica backup: the backups may not be restorable. Read the restore-test log group.',
      }),
      // 28 six-hour buckets = 7 days, CloudWatch's longest look-back: a weekly test lands in
      // the same bucket each week, so a missing run breaches within hours of being due.
      severityAlarm(this, topics, {
        app,
        what: 'RestoreTestMissing',
        severity: 'Critical',
        metric: drMetric(app, MetricName.RestoreTestSuccess, { period: Duration.hours(6) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 28,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: 'No restore test passed in 7 days: check the restore-test schedule and function.',
      }),
    );
  }
}
