import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { Dimension, MetricName } from '../../lambda/shared/metrics';
import type { AlertTopics } from './alert-topics';
import { constructId } from './protected-tables';
import type { ReplicatedBucket } from './cross-region-replication';
import { REPLICATION_TIME_MINUTES } from './cross-region-replication';
import { acrossTiers, drMetric, severityAlarm } from './dr-metrics';

/** CloudWatch evaluates at most 7 days of data per alarm. */
const MAX_EVALUATION_HOURS = 7 * 24;

/** Props of {@link BackupAlarms}. */
export interface BackupAlarmsProps {
  /** App name: the `App` dimension and the alarm name prefix. */
  readonly app: string;
  /** Topics to route to. */
  readonly topics: AlertTopics;
  /** Tightest RPO over the tables, minutes (at most 7 days: CloudWatch's evaluation range). */
  readonly rpoMinutes: number;
  /** A backup run longer than this raises a warning. */
  readonly durationWarningMinutes: number;
  /** Tables whose size and record count changes are watched. */
  readonly tables: readonly string[];
  /** Change against the previous backup that warns, percent. @default 25 */
  readonly warningPercent?: number;
  /** Change against the previous backup that pages, percent. @default 50 */
  readonly criticalPercent?: number;
  /** Replication rules whose latency and failures page. @default - none */
  readonly replicated?: readonly ReplicatedBucket[];
}

/**
 * The backup alarms of the primary region: a backup failed; no successful backup within the
 * RPO (missing data breaches); a run took too long; size or record count jumped; replication
 * late or failing.
 */
export class BackupAlarms extends Construct {
  /** Every alarm made, for tests and the dashboard. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: BackupAlarmsProps) {
    super(scope, id);
    const warningPercent = props.warningPercent ?? 25;
    const criticalPercent = props.criticalPercent ?? 50;
    if (warningPercent >= criticalPercent) {
      throw new Error(`BackupAlarms warningPercent (${warningPercent}) must be below criticalPercent (${criticalPercent})`);
    }
    const rpoHours = Math.ceil(props.rpoMinutes / 60);
    if (rpoHours > MAX_EVALUATION_HOURS) {
      throw new Error(`BackupAlarms rpoMinutes (${props.rpoMinutes}) exceeds the 7 days a CloudWatch alarm can look back; use targets.rpoMinutes <= 10080`);
    }
    const { app, topics } = props;
    const GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const add = (p: Omit<Parameters<typeof severityAlarm>[2], 'app'>) => this.alarms.push(severityAlarm(this, topics, { app, ...p }));

    add({
      what: 'BackupFailed',
      severity: 'Critical',
      metric: acrossTiers(app, MetricName.BackupFailure, 'SUM', Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: GTE,
      description: 'A backup run failed. `dr list` shows the failed set and its failure.json; re-run with `dr backup`.',
    });
    // One-hour buckets over the RPO: the alarm fires when every hour of the window had no
    // success; no data at all (the schedule or the emitter is broken) counts as breaching too.
    add({
      what: 'NoRecentBackup',
      severity: 'Critical',
      metric: acrossTiers(app, MetricName.BackupSuccess, 'SUM', Duration.hours(1)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: rpoHours,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      description: `No successful backup within the RPO (${props.rpoMinutes} minutes). Check the schedules and the backup function, then run \`dr backup\`.`,
    });
    add({
      what: 'BackupDuration',
      severity: 'Warning',
      metric: acrossTiers(app, MetricName.BackupDurationSeconds, 'MAX', Duration.minutes(5), 'Maximum'),
      threshold: props.durationWarningMinutes * 60,
      comparisonOperator: GT,
      description: `A backup ran longer than ${props.durationWarningMinutes} minutes (backup.durationWarningMinutes); consider backup.engine "export" for big tables.`,
    });
    for (const table of props.tables) {
      for (const [metricName, label] of [
        [MetricName.BackupSizeChangePercent, 'SizeChange'],
        [MetricName.BackupRecordCountChangePercent, 'RecordCountChange'],
      ] as const) {
        const metric = drMetric(app, metricName, { dimensions: { [Dimension.Table]: table }, statistic: 'Maximum', period: Duration.hours(1) });
        for (const [severity, threshold] of [
          ['Warning', warningPercent],
          ['Critical', criticalPercent],
        ] as const) {
          add({
            what: `${constructId(table)}-${label}`,
            severity,
            metric,
            threshold,
            comparisonOperator: GT,
            description: `${label} of table ${table} against the previous backup is over ${threshold}%: a mass delete, a bad import or a broken backup. Compare with \`dr list\` before the old sets expire.`,
          });
        }
      }
    }
    for (const r of props.replicated ?? []) {
      const dimensionsMap = { SourceBucket: r.sourceBucketName, DestinationBucket: r.destinationBucketName, RuleId: r.ruleId };
      const subject = constructId(r.label);
      add({
        what: `${subject}-ReplicationLatency`,
        severity: 'Critical',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/S3',
          metricName: 'ReplicationLatency',
          dimensionsMap,
          statistic: 'Maximum',
          period: Duration.minutes(5),
        }),
        threshold: REPLICATION_TIME_MINUTES * 60,
        comparisonOperator: GT,
        description: `Replication to ${r.destinationBucketName} is over ${REPLICATION_TIME_MINUTES} minutes behind: the recovery region lags.`,
      });
      add({
        what: `${subject}-ReplicationFailed`,
        severity: 'Critical',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/S3',
          metricName: 'OperationsFailedReplication',
          dimensionsMap,
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: GT,
        description: `Objects failed to replicate to ${r.destinationBucketName}: check the replication role and the replica key policy.`,
      });
    }
  }
}
