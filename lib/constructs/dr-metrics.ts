/**
 * Metric factories over lambda/shared/metrics.ts: the names and dimensions the Lambdas emit are
 * the ones alarms and the dashboard read, from the same constants.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { Dimension, METRIC_NAMESPACE, type MetricNameValue } from '../../lambda/shared/metrics';
import { alarmName, type Severity } from './alarm-naming';
import type { AlertTopics } from './alert-topics';

/** Tiers a backup run can carry (scheduled ones plus `dr backup`'s adhoc). */
export const ALL_TIERS = ['daily', 'weekly', 'monthly', 'adhoc'] as const;

/** Options of {@link drMetric}. */
export interface DrMetricOptions {
  /** Extra dimensions beside App. @default - App only */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** @default 'Sum' */
  readonly statistic?: string;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
  /** Region the metric lives in (dashboards may draw other regions). @default - the stack's region */
  readonly region?: string;
  /** Legend label. @default - the metric name */
  readonly label?: string;
}

/** One dr-stack metric of the app. */
export function drMetric(app: string, name: MetricNameValue, options: DrMetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { [Dimension.App]: app, ...(options.dimensions ?? {}) },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    region: options.region,
    label: options.label,
  });
}

/**
 * A per-tier metric combined over every tier (`Tier` dimension): `SUM` or `MAX` of the tiers,
 * missing tiers filled with 0 so one tier's silence does not hide another's value.
 */
export function acrossTiers(app: string, name: MetricNameValue, combine: 'SUM' | 'MAX', period: Duration, statistic = 'Sum'): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  for (const tier of ALL_TIERS) usingMetrics[tier] = drMetric(app, name, { dimensions: { [Dimension.Tier]: tier }, statistic, period });
  const filled = ALL_TIERS.map((t) => `FILL(${t}, 0)`);
  const expression = combine === 'SUM' ? filled.join(' + ') : `MAX([${filled.join(', ')}])`;
  return new cloudwatch.MathExpression({ expression, usingMetrics, period, label: `${name} (all tiers)` });
}

/** Props of one alarm made by {@link severityAlarm}. */
export interface SeverityAlarmProps {
  /** App name (alarm name prefix). */
  readonly app: string;
  /** Subject of the alarm name. */
  readonly what: string;
  /** Decides the name suffix and the topic. */
  readonly severity: Severity;
  /** Metric or expression alarmed on. */
  readonly metric: cloudwatch.IMetric;
  /** Threshold. */
  readonly threshold: number;
  /** Comparison. */
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default cloudwatch.TreatMissingData.NOT_BREACHING */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /** What the alarm means and what to do, for on-call. */
  readonly description: string;
}

/** An alarm named by {@link alarmName} and routed to the topic of its severity. */
export function severityAlarm(scope: Construct, topics: AlertTopics, p: SeverityAlarmProps): cloudwatch.Alarm {
  const name = alarmName(p.app, p.what, p.severity);
  const alarm = new cloudwatch.Alarm(scope, `${p.what}${p.severity}`, {
    alarmName: name,
    alarmDescription: p.description,
    metric: p.metric,
    threshold: p.threshold,
    comparisonOperator: p.comparisonOperator,
    evaluationPeriods: p.evaluationPeriods ?? 1,
    datapointsToAlarm: p.evaluationPeriods ?? 1,
    treatMissingData: p.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  topics.route(alarm, p.severity);
  return alarm;
}
