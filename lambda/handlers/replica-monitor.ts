/**
 * Hourly in the recovery region: age of the newest COMPLETE backup set in the replica bucket,
 * as ReplicaBackupAgeMinutes (EMF), and per chained table the age of the newest point the
 * replica restores it to, as ReplicaChainAgeMinutes (Table dimension): the newest replicated
 * window's end (lambda/incremental/replica-ages.ts; one GET per table, whatever the number of
 * windows). Replication that stopped shows up as a growing age; an empty replica bucket reports
 * a very large age so the alarm fires rather than staying silent.
 *
 * Env: APP_NAME, REPLICA_BUCKET, CHAINED_TABLES (comma-separated; empty when no table has a chain).
 */
import { measureReplicaAges, NO_BACKUP_AGE_MINUTES } from '../incremental/replica-ages';
import { createS3Client } from '../shared/clients';
import type { Context } from 'aws-lambda';
import { publishMetrics } from '../shared/emit-metrics';
import { logger } from '../shared/logger';
import { MetricName } from '../shared/metrics';

const s3 = createS3Client();

/** Age reported when the replica bucket holds no complete set (about a year, in minutes). */
export { NO_BACKUP_AGE_MINUTES };

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: the recovery stack sets it on the replica-monitor function`);
  return v;
}

/** Lambda entry point. */
export async function handler(
  _event?: unknown,
  context?: Context,
): Promise<{ backupId?: string; ageMinutes: number; chains: { table: string; ageMinutes: number }[] }> {
  if (context) logger.addContext(context);
  const app = env('APP_NAME');
  const bucket = env('REPLICA_BUCKET');
  const chainedTables = (process.env.CHAINED_TABLES ?? '').split(',').filter(Boolean);
  // The newest complete, sound set (damaged ones skipped), and one pointer per chained table.
  const ages = await measureReplicaAges({ s3, bucket, chainedTables, now: new Date() });
  publishMetrics([
    { name: MetricName.ReplicaBackupAgeMinutes, value: ages.ageMinutes, dimensions: { App: app } },
    ...ages.chains.map((c) => ({ name: MetricName.ReplicaChainAgeMinutes, value: c.ageMinutes, dimensions: { App: app, Table: c.table } })),
  ]);
  logger.info('replica age measured', { backupId: ages.backupId, ageMinutes: ages.ageMinutes, chains: ages.chains });
  return { backupId: ages.backupId, ageMinutes: ages.ageMinutes, chains: ages.chains.map((c) => ({ table: c.table, ageMinutes: c.ageMinutes })) };
}
