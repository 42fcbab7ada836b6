/**
 * Folder lambda/handlers/: thin Lambda entry points, one file per function: parse the event,
 * call backup/, restore/ or store/, emit metrics. Nothing imports a handler.
 *
 * Scheduled backup Lambda: one backup set per slot.
 *
 * Event `{ tier: 'daily'|'weekly'|'monthly'|'adhoc', time?: ISO string }`. The schedules pass
 * EventBridge's event time (`<aws.events.event.time>`); the slot is the tier plus that time
 * truncated to the minute, so a redelivered or retried event finds the same slot. An event
 * without `time` is a manual invocation: its slot is its own start, to the millisecond.
 *
 * The slot is claimed in the state table before any work (lambda/backup/slot.ts): a duplicate
 * delivery exits (or waits while the first run is alive and exits when it has finished); a retry
 * after a crash takes the abandoned slot over once its lease has expired and writes the same
 * set again. Exactly one run commits the slot, and only that run emits the success metrics.
 *
 * Env: APP_NAME, BACKUP_BUCKET, STATE_TABLE, TABLES (comma-separated), ENGINE
 * (auto|scan|export), EXPORT_THRESHOLD_BYTES, SCAN_SEGMENTS (0 = auto), MAX_FILE_BYTES,
 * EXPORT_KMS_KEY_ARN (the backup key; native exports encrypt with it). Emits metrics as EMF on
 * stdout and throws on failure, so Lambda errors, the DLQ and the alarms all see it.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { startBackup, EngineChoice } from '../backup/backup';
import { latestCompleteSet } from '../store/catalog';
import { createDynamoDbClient, createS3Client } from '../shared/clients';
import { TIERS, Tier, backupIdFor } from '../format/backup-set';
import { failureMetrics, successMetrics } from '../backup/backup-metrics';
import { checkSlotTime, parseEventTime, SlotLostError, SlotStore, truncateTime } from '../backup/slot';
import { recoveryPoint } from '../format/trusted-time';
import { publishMetrics } from '../shared/emit-metrics';
import { MetricName } from '../shared/metrics';
import { logger } from '../shared/logger';

const dynamodb = createDynamoDbClient();
const s3 = createS3Client();

/** Left of the invocation when a duplicate stops waiting for the slot's owner. */
export const WAIT_MARGIN_MS = 30_000;
/** How long a duplicate waits when there is no Lambda context (tests, the drill). */
const DEFAULT_WAIT_MS = 15 * 60_000;

/** The event the schedules send. */
export interface BackupEvent {
  readonly tier: Tier;
  /** ISO time of the scheduled slot (EventBridge's event time): the slot's identity, refused outside the sane window (trusted-time.ts). @default - a manual run: its own slot, now */
  readonly time?: string;
  /** The operator runs a past slot on purpose (any age; never a future one): the set is named after the slot, its data is as of the run. @default false */
  readonly backfill?: boolean;
}

/** What one invocation did for its slot. */
export interface BackupResult {
  readonly backupId: string;
  readonly tier: Tier;
  /**
   * complete: this run committed the set; pending: native exports started, the finalizer
   * completes the set; committed / exporting / busy: another run of the slot did (or does) it,
   * this one wrote nothing; superseded: this run lost the slot to a takeover and stopped.
   */
  readonly status: 'complete' | 'pending' | 'committed' | 'exporting' | 'busy' | 'superseded';
  readonly attempt?: number;
  readonly totalRecords?: number;
}

/** A required environment variable, or an error naming it. */
function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: the stack sets it on the backup function; set it when running the handler by hand`);
  return v;
}

const optionalNumber = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`environment variable ${name} must be a non-negative number (got "${v}")`);
  return n;
};

/** Lambda entry point. */
export async function handler(event: BackupEvent, context?: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>): Promise<BackupResult> {
  // The request id on every log line (tests and the drill pass a partial context or none).
  if (context) logger.addContext(context as Context);
  if (!event || !(TIERS as readonly string[]).includes(event.tier)) {
    throw new Error(`event.tier must be one of ${TIERS.join(', ')} (got ${JSON.stringify(event?.tier)})`);
  }
  const now = new Date();
  const started = event.time === undefined ? now : truncateTime(parseEventTime(event.time, 'event.time'));
  if (event.time !== undefined) checkSlotTime('event.time', started, { now, backfill: event.backfill === true });
  const tier = event.tier;
  const backupId = backupIdFor(started);
  const appName = env('APP_NAME');
  const bucket = env('BACKUP_BUCKET');
  const slots = new SlotStore({ dynamodb, tableName: env('STATE_TABLE') });
  const tables = env('TABLES')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const engine = (process.env.ENGINE || 'auto') as EngineChoice;
  if (!['auto', 'scan', 'export'].includes(engine)) throw new Error(`environment variable ENGINE must be auto, scan or export (got "${engine}")`);

  // Lambda's retries of an asynchronous event keep its request id: the suffix tells two attempts apart, so the fence does too.
  const owner = `${context?.awsRequestId ?? 'local'}/${randomUUID().slice(0, 8)}`;
  const waitUntil = Date.now() + (context ? context.getRemainingTimeInMillis() - WAIT_MARGIN_MS : DEFAULT_WAIT_MS);
  const t0 = Date.now();
  let claim: Awaited<ReturnType<SlotStore['claim']>>;
  try {
    claim = await slots.claim({ kind: 'backup', scope: tier, time: started }, owner, {
      waitUntil,
      detail: { backupId },
      failureMetric: MetricName.BackupFailure,
    });
  } catch (e) {
    // The state table missing, access denied, throttled: the run did nothing, and the alarm must still page.
    await reportFailure(appName, bucket, tier, t0);
    throw e;
  }
  if (claim.outcome !== 'claimed') {
    logger.info(`slot ${tier}/${backupId} is ${claim.outcome} (owner ${claim.record.owner}): nothing to do`, { owner });
    return { backupId, tier, status: claim.outcome };
  }
  const lease = claim.lease;
  lease.startHeartbeat();
  try {
    const result = await startBackup({
      dynamodb,
      s3,
      bucket,
      tables,
      tier,
      engine,
      now: started,
      attempt: lease.attempt,
      fence: () => lease.fence(),
      segments: optionalNumber('SCAN_SEGMENTS') || undefined,
      maxFileBytes: optionalNumber('MAX_FILE_BYTES') || undefined,
      exportThresholdBytes: optionalNumber('EXPORT_THRESHOLD_BYTES'),
      exportKmsKeyArn: process.env.EXPORT_KMS_KEY_ARN || undefined,
    });
    if (result.status === 'pending') {
      // Success metrics come from the export-finalizer, which settles the slot when the exports finish.
      await lease.finish('exporting');
      logger.info('native exports started', { backupId: result.pending.backupId, exports: result.pending.exports.map((e) => e.exportArn) });
      return { backupId, tier, status: 'pending', attempt: lease.attempt };
    }
    if (!(await lease.finish('committed'))) {
      logger.info(`slot ${tier}/${backupId} was taken over before this run committed it: no metrics from this run`, { owner });
      return { backupId, tier, status: 'superseded', attempt: lease.attempt };
    }
    // The one run that committed the slot reports it (also when it found the set already written by a run that died before committing).
    // The tier's previous complete, sound set (damaged ones skipped), read without listing every set.
    const previous = await latestCompleteSet({ s3, bucket, tier, before: recoveryPoint(result.metadata) });
    publishMetrics(successMetrics(appName, result.metadata, previous?.metadata));
    return { backupId, tier, status: 'complete', attempt: lease.attempt, totalRecords: result.metadata.totalRecords };
  } catch (e) {
    if (e instanceof SlotLostError) {
      logger.warn(e.message, { owner });
      return { backupId, tier, status: 'superseded', attempt: lease.attempt };
    }
    await lease.finish('failed', (e as Error).message ?? String(e)).catch(() => false);
    await reportFailure(appName, bucket, tier, t0);
    throw e;
  } finally {
    lease.stop();
  }
}

/** Emits the failure metrics of a run (BackupFailure pages), with the newest good set's age when it can be read. */
async function reportFailure(appName: string, bucket: string, tier: Tier, t0: number): Promise<void> {
  let latestGood: Date | undefined;
  try {
    const newest = await latestCompleteSet({ s3, bucket });
    latestGood = newest?.summary ? recoveryPoint(newest.summary) : undefined;
  } catch {
    // Metrics must not hide the original error.
  }
  publishMetrics(failureMetrics(appName, tier, Date.now() - t0, latestGood));
}
