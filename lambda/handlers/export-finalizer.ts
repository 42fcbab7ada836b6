/**
 * Scheduled every 5 minutes: completes backup sets whose native exports have finished
 * (pending.json -> metadata.json) or failed (failure.json). Env: APP_NAME, BACKUP_BUCKET,
 * STATE_TABLE. Settles each set's slot (lambda/backup/slot.ts) and emits the backup metrics only
 * when this run made that change, so finalizers that overlap (no reserved concurrency) report a
 * set once. Throws when a set failed, so
 * the failure reaches Lambda errors and alarms. Reading an export's data files stops
 * {@link SAFETY_MARGIN_MS} before the function's timeout; the next run continues from the checkpoint.
 */
import { recoveryPoint } from '../format/trusted-time';
import type { Context } from 'aws-lambda';
import { latestCompleteSet } from '../store/catalog';
import { createDynamoDbClient, createS3Client } from '../shared/clients';
import { finalizePendingBackups, FinalizeOutcome, HashingProgress } from '../backup/export-finalize';
import { failureMetrics, successMetrics } from '../backup/backup-metrics';
import { parseBackupId, Tier } from '../format/backup-set';
import { SlotStore } from '../backup/slot';
import { publishMetrics } from '../shared/emit-metrics';
import { logger } from '../shared/logger';

/** Left of the run when hashing stops: for the checkpoint, metadata.json and the metrics. */
export const SAFETY_MARGIN_MS = 60_000;

const dynamodb = createDynamoDbClient();
const s3 = createS3Client();

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: the stack sets it on the export-finalizer function`);
  return v;
}

/** Lambda entry point. */
export async function handler(
  _event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<{ outcomes: { backupId: string; tier: string; status: string; progress?: HashingProgress }[] }> {
  logger.addContext(context as Context);
  const appName = env('APP_NAME');
  const bucket = env('BACKUP_BUCKET');
  const slots = new SlotStore({ dynamodb, tableName: env('STATE_TABLE') });
  const slotOf = (o: FinalizeOutcome) => ({ kind: 'backup', scope: o.tier, time: parseBackupId(o.backupId) });
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  const outcomes: FinalizeOutcome[] = await finalizePendingBackups({ dynamodb, s3, bucket, deadline });
  for (const o of outcomes) {
    if (o.status === 'running' && o.progress) {
      const p = o.progress;
      logger.info(`${o.tier}/${o.backupId}: ${p.filesHashed} of ${p.filesTotal} data files hashed (${p.bytesHashed} bytes); the next run continues`);
    } else if (o.status === 'complete') {
      if (!(await slots.settle(slotOf(o), 'committed'))) continue;
      const previous = await latestCompleteSet({ s3, bucket, tier: o.metadata.tier, before: recoveryPoint(o.metadata) });
      publishMetrics(successMetrics(appName, o.metadata, previous?.metadata));
    } else if (o.status === 'failed') {
      if (!(await slots.settle(slotOf(o), 'failed', o.reason))) continue;
      const newest = await latestCompleteSet({ s3, bucket });
      const latestGood = newest?.summary ? recoveryPoint(newest.summary) : undefined;
      publishMetrics(failureMetrics(appName, o.tier as Tier, Date.now() - parseBackupId(o.backupId).getTime(), latestGood));
    }
  }
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length > 0) {
    throw new Error(`backup set(s) failed: ${failed.map((f) => `${f.tier}/${f.backupId}: ${f.status === 'failed' ? f.reason : ''}`).join('; ')}`);
  }
  return {
    outcomes: outcomes.map((o) => ({
      backupId: o.backupId,
      tier: o.tier,
      status: o.status,
      ...(o.status === 'running' && o.progress ? { progress: o.progress } : {}),
    })),
  };
}
