/**
 * Metric data points of a backup run, with the names and dimensions of lambda/shared/metrics.ts
 * (the ones the stacks' alarms and dashboard use).
 */
import { Dimension, MetricDatum, MetricName } from '../shared/metrics';
import type { BackupMetadata, Tier } from '../format/backup-set';
import { dataAge, recoveryPoint } from '../format/trusted-time';

const changePercent = (now: number, before: number | undefined): number | undefined =>
  before === undefined ? undefined : before === 0 ? (now === 0 ? 0 : 100) : (Math.abs(now - before) / before) * 100;

/** Data points of a successful run; `previous` is the tier's previous complete set (for change percents). */
export function successMetrics(appName: string, metadata: BackupMetadata, previous?: BackupMetadata, now = new Date()): MetricDatum[] {
  const app = { [Dimension.App]: appName };
  const tier = { ...app, [Dimension.Tier]: metadata.tier };
  const data: MetricDatum[] = [
    { name: MetricName.BackupSuccess, value: 1, dimensions: tier },
    { name: MetricName.BackupFailure, value: 0, dimensions: tier },
    { name: MetricName.BackupDurationSeconds, value: metadata.durationMs / 1000, dimensions: tier },
    { name: MetricName.LatestBackupAgeMinutes, value: dataAge(recoveryPoint(metadata), now).minutes, dimensions: app },
  ];
  for (const table of metadata.tables) {
    const dims = { ...app, [Dimension.Table]: table };
    data.push({ name: MetricName.BackupSizeBytes, value: metadata.bytes[table] ?? 0, dimensions: dims });
    data.push({ name: MetricName.BackupRecordCount, value: metadata.recordCounts[table] ?? 0, dimensions: dims });
    const size = changePercent(metadata.bytes[table] ?? 0, previous?.bytes[table]);
    if (size !== undefined) data.push({ name: MetricName.BackupSizeChangePercent, value: size, dimensions: dims });
    const count = changePercent(metadata.recordCounts[table] ?? 0, previous?.recordCounts[table]);
    if (count !== undefined) data.push({ name: MetricName.BackupRecordCountChangePercent, value: count, dimensions: dims });
  }
  return data;
}

/** Data points of a failed run; `latestGood` is the recovery point of the newest complete set, if any. */
export function failureMetrics(appName: string, tier: Tier, durationMs: number, latestGood?: Date, now = new Date()): MetricDatum[] {
  const app = { [Dimension.App]: appName };
  const dims = { ...app, [Dimension.Tier]: tier };
  const data: MetricDatum[] = [
    { name: MetricName.BackupSuccess, value: 0, dimensions: dims },
    { name: MetricName.BackupFailure, value: 1, dimensions: dims },
    { name: MetricName.BackupDurationSeconds, value: durationMs / 1000, dimensions: dims },
  ];
  if (latestGood) data.push({ name: MetricName.LatestBackupAgeMinutes, value: dataAge(latestGood, now).minutes, dimensions: app });
  return data;
}
