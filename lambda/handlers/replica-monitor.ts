/**
 * Hourly in the recovery region: age of the newest COMPLETE backup set in the replica bucket,
 * as ReplicaBackupAgeMinutes (EMF). Replication that stopped shows up as a growing age; an
 * empty replica bucket reports a very large age so the alarm fires rather than staying silent.
 *
 * Env: APP_NAME, REPLICA_BUCKET.
 */
import { dataAge, recoveryPoint } from '../format/trusted-time';
import { latestCompleteSet } from '../store/catalog';
import { createS3Client } from '../shared/clients';
import type { Context } from 'aws-lambda';
import { publishMetrics } from '../shared/emit-metrics';
import { logger } from '../shared/logger';
import { MetricName } from '../shared/metrics';

const s3 = createS3Client();

/** Age reported when the replica bucket holds no complete set (about a year, in minutes). */
export const NO_BACKUP_AGE_MINUTES = 525_600;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: the recovery stack sets it on the replica-monitor function`);
  return v;
}

/** Lambda entry point. */
export async function handler(_event?: unknown, context?: Context): Promise<{ backupId?: string; ageMinutes: number }> {
  if (context) logger.addContext(context);
  const app = env('APP_NAME');
  const bucket = env('REPLICA_BUCKET');
  // The newest complete, sound set: reads one set's files, not every set's (damaged ones skipped).
  const newest = await latestCompleteSet({ s3, bucket });
  const ageMinutes = newest?.metadata ? dataAge(recoveryPoint(newest.metadata), new Date()).minutes : NO_BACKUP_AGE_MINUTES;
  publishMetrics([{ name: MetricName.ReplicaBackupAgeMinutes, value: ageMinutes, dimensions: { App: app } }]);
  logger.info('replica age measured', { backupId: newest?.backupId, ageMinutes });
  return { backupId: newest?.backupId, ageMinutes };
}
