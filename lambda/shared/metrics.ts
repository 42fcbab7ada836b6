/**
 * The one list of CloudWatch metric names and dimensions.
 *
 * Imported by the Lambda code that emits the metrics and by the CDK constructs that alarm on
 * them and draw the dashboard, so the two cannot drift. Plain constants: no aws-cdk-lib here.
 */

/** CloudWatch namespace of every dr-stack metric. */
export const METRIC_NAMESPACE = 'DrStack';

/** Dimension names. Every metric carries `App`; the others as listed per metric. */
export const Dimension = {
  App: 'App',
  Tier: 'Tier',
  Table: 'Table',
} as const;

/** Metric names; the unit is part of the name. */
export const MetricName = {
  /** 1 per successful backup run. Dimensions: App, Tier. */
  BackupSuccess: 'BackupSuccess',
  /** 1 per failed backup run. Dimensions: App, Tier. */
  BackupFailure: 'BackupFailure',
  /** Wall time of a backup run. Dimensions: App, Tier. */
  BackupDurationSeconds: 'BackupDurationSeconds',
  /** Bytes of one table's backup (uncompressed DynamoDB JSON). Dimensions: App, Table. */
  BackupSizeBytes: 'BackupSizeBytes',
  /** Items in one table's backup. Dimensions: App, Table. */
  BackupRecordCount: 'BackupRecordCount',
  /** |size - previous size| / previous size * 100. Dimensions: App, Table. */
  BackupSizeChangePercent: 'BackupSizeChangePercent',
  /** |count - previous count| / previous count * 100. Dimensions: App, Table. */
  BackupRecordCountChangePercent: 'BackupRecordCountChangePercent',
  /** Age of the latest complete backup set when measured. Dimensions: App. */
  LatestBackupAgeMinutes: 'LatestBackupAgeMinutes',
  /** Age of the newest complete set in the replica bucket. Dimensions: App. */
  ReplicaBackupAgeMinutes: 'ReplicaBackupAgeMinutes',
  /**
   * Age of the newest point the replica restores a chained table to: the newest replicated
   * window's end (or the newest full set's point, when newer): the RPO across regions right now. Dimensions: App, Table.
   */
  ReplicaChainAgeMinutes: 'ReplicaChainAgeMinutes',
  /** 1 per passed restore test. Dimensions: App. */
  RestoreTestSuccess: 'RestoreTestSuccess',
  /** 1 per failed restore test. Dimensions: App. */
  RestoreTestFailure: 'RestoreTestFailure',
  /** Restore test from start to verified tables: the measured RTO. Dimensions: App. */
  RestoreTestDurationSeconds: 'RestoreTestDurationSeconds',
  /** Age of the data a restore test restored: the measured RPO. Dimensions: App. */
  RestoredDataAgeMinutes: 'RestoredDataAgeMinutes',
} as const;

/** Any metric name above. */
export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/** CloudWatch unit of each metric. */
export const MetricUnit: Record<MetricNameValue, 'Count' | 'Seconds' | 'Bytes' | 'Percent' | 'None'> = {
  BackupSuccess: 'Count',
  BackupFailure: 'Count',
  BackupDurationSeconds: 'Seconds',
  BackupSizeBytes: 'Bytes',
  BackupRecordCount: 'Count',
  BackupSizeChangePercent: 'Percent',
  BackupRecordCountChangePercent: 'Percent',
  LatestBackupAgeMinutes: 'None',
  ReplicaBackupAgeMinutes: 'None',
  ReplicaChainAgeMinutes: 'None',
  RestoreTestSuccess: 'Count',
  RestoreTestFailure: 'Count',
  RestoreTestDurationSeconds: 'Seconds',
  RestoredDataAgeMinutes: 'None',
};

/** One data point to emit. */
export interface MetricDatum {
  readonly name: MetricNameValue;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}
