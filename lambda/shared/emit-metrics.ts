/**
 * Metrics out of the Lambdas through Powertools for AWS Lambda (TypeScript) Metrics: CloudWatch
 * Embedded Metric Format on stdout, turned into metrics by CloudWatch without an API call.
 *
 * The names, units and dimensions stay in their one list (./metrics.ts, also read by the CDK
 * alarms and the dashboard); this file only hands data points to the library. Apart from
 * metrics.ts so that the CDK app, which imports the names, never loads Powertools.
 */
import { Metrics, MetricUnit as Unit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE, MetricDatum, MetricUnit } from './metrics';

/** Our unit names as the library's (`None` is its `NoUnit`). */
const UNIT = {
  Count: Unit.Count,
  Seconds: Unit.Seconds,
  Bytes: Unit.Bytes,
  Percent: Unit.Percent,
  None: Unit.NoUnit,
} as const;

/**
 * A Metrics instance on the dr-stack namespace with no default dimension: Powertools adds a
 * `service` dimension by default, and CloudWatch tells metrics apart by their full dimension set,
 * so it would part the emitted metrics from the alarms (which key on App, Tier, Table only).
 */
export function createMetrics(): Metrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE });
  metrics.clearDefaultDimensions();
  return metrics;
}

const shared = createMetrics();

/**
 * Publishes data points: one EMF document per dimension set (Powertools publishes one set of
 * dimensions per flush), in the order the sets first appear.
 */
export function publishMetrics(data: readonly MetricDatum[], metrics: Metrics = shared): void {
  const groups = new Map<string, MetricDatum[]>();
  for (const d of data) {
    const key = JSON.stringify(Object.entries(d.dimensions).sort());
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  for (const group of groups.values()) {
    metrics.addDimensions({ ...group[0].dimensions });
    for (const d of group) metrics.addMetric(d.name, UNIT[MetricUnit[d.name]], d.value);
    metrics.publishStoredMetrics();
  }
}
