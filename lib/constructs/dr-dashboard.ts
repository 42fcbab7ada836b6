import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { Dimension, MetricName } from '../../lambda/shared/metrics';
import type { ReplicatedBucket } from './cross-region-replication';
import { ALL_TIERS, drMetric } from './dr-metrics';

/** Props of {@link DrDashboard}. */
export interface DrDashboardProps {
  /** App name (`App` dimension, dashboard name prefix). */
  readonly app: string;
  /** Tightest RPO, minutes: drawn as a line over the backup age. */
  readonly rpoMinutes: number;
  /** RTO, minutes: drawn over the restore-test duration. */
  readonly rtoMinutes: number;
  /** Tables drawn per table. */
  readonly tables: readonly string[];
  /** Replication rules drawn. @default - none */
  readonly replicated?: readonly ReplicatedBucket[];
  /** Region of the restore tests and the replica monitor. */
  readonly recoveryRegion: string;
  /** Tables with a chain of incremental exports and their RPO: drawn as the replica's RPO per table against its target. @default - none */
  readonly chains?: readonly { readonly table: string; readonly rpoMinutes: number }[];
}

/**
 * One dashboard: backup age against the RPO, durations per tier, size and record count per
 * table, replication latency and the measured RTO (restore-test duration, recovery region).
 */
export class DrDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DrDashboardProps) {
    super(scope, id);
    const { app } = props;
    const hour = Duration.hours(1);
    const perTable = (name: typeof MetricName.BackupSizeBytes | typeof MetricName.BackupRecordCount) =>
      props.tables.map((table) =>
        drMetric(app, name, { dimensions: { [Dimension.Table]: table }, statistic: 'Maximum', period: Duration.days(1), label: table }),
      );
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${app}-dr`, defaultInterval: Duration.days(14) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Age of the latest backup vs RPO (minutes)',
        left: [
          drMetric(app, MetricName.LatestBackupAgeMinutes, { statistic: 'Maximum', period: hour, label: 'primary' }),
          drMetric(app, MetricName.ReplicaBackupAgeMinutes, { statistic: 'Maximum', period: hour, region: props.recoveryRegion, label: 'replica' }),
        ],
        leftAnnotations: [{ value: props.rpoMinutes, label: 'RPO', color: '#d62728' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Backup duration per tier (seconds)',
        left: ALL_TIERS.map((tier) =>
          drMetric(app, MetricName.BackupDurationSeconds, { dimensions: { [Dimension.Tier]: tier }, statistic: 'Maximum', period: hour, label: tier }),
        ),
        width: 12,
      }),
    );
    if (props.chains?.length) {
      const targets = [...new Set(props.chains.map((c) => c.rpoMinutes))];
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'RPO across regions per chained table: age of the newest replicated window (minutes)',
          left: props.chains.map((c) =>
            drMetric(app, MetricName.ReplicaChainAgeMinutes, {
              dimensions: { [Dimension.Table]: c.table },
              statistic: 'Maximum',
              period: hour,
              region: props.recoveryRegion,
              label: c.table,
            }),
          ),
          leftAnnotations: targets.map((rpo) => ({
            value: rpo,
            label: `RPO ${rpo} min (${props
              .chains!.filter((c) => c.rpoMinutes === rpo)
              .map((c) => c.table)
              .join(', ')})`,
            color: '#d62728',
          })),
          width: 24,
        }),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Backup size per table (bytes)', left: perTable(MetricName.BackupSizeBytes), width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Records per table', left: perTable(MetricName.BackupRecordCount), width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Replication latency (seconds)',
        left: (props.replicated ?? []).map(
          (r) =>
            new cloudwatch.Metric({
              namespace: 'AWS/S3',
              metricName: 'ReplicationLatency',
              dimensionsMap: { SourceBucket: r.sourceBucketName, DestinationBucket: r.destinationBucketName, RuleId: r.ruleId },
              statistic: 'Maximum',
              period: Duration.minutes(5),
              label: r.label,
            }),
        ),
        leftAnnotations: [{ value: 900, label: 'RTC 15 min' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Restore test duration = measured RTO (seconds)',
        left: [drMetric(app, MetricName.RestoreTestDurationSeconds, { statistic: 'Maximum', period: Duration.days(1), region: props.recoveryRegion })],
        leftAnnotations: [{ value: props.rtoMinutes * 60, label: 'RTO', color: '#d62728' }],
        width: 12,
      }),
    );
  }
}
