/**
 * Folder lambda/handlers/: thin Lambda entry points, one file per function: parse the event,
 * call backup/, restore/ or store/, emit metrics. Nothing imports a handler.
 *
 * Scheduled backup Lambda: one backup set per invocation.
 *
 * Event `{ tier: 'daily'|'weekly'|'monthly'|'adhoc', time?: ISO string }` (EventBridge's `time`
 * fixes the slot, so a redelivered event finds the same set). Env: APP_NAME, BACKUP_BUCKET,
 * TABLES (comma-separated), ENGINE (auto|scan|export), EXPORT_THRESHOLD_BYTES, SCAN_SEGMENTS
 * (0 = auto), MAX_FILE_BYTES. Emits metrics as EMF on stdout and throws on failure, so Lambda
 * errors, the DLQ and the alarms all see it.
 */
import { startBackup, EngineChoice } from '../backup/backup';
import { listBackupSets } from '../store/catalog';
import { createDynamoDbClient, createS3Client } from '../shared/clients';
import { TIERS, Tier } from '../format/backup-set';
import { failureMetrics, successMetrics } from '../backup/backup-metrics';
import { toEmfLines, MetricDatum } from '../shared/metrics';

const dynamodb = createDynamoDbClient();
const s3 = createS3Client();

/** The event the schedules send. */
export interface BackupEvent {
  readonly tier: Tier;
  /** ISO time of the scheduled slot. @default - now */
  readonly time?: string;
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

function emit(data: MetricDatum[]): void {
  for (const line of toEmfLines(data)) process.stdout.write(`${line}\n`);
}

/** Lambda entry point. */
export async function handler(event: BackupEvent): Promise<{ backupId: string; tier: Tier; status: 'complete' | 'pending'; totalRecords?: number }> {
  if (!event || !(TIERS as readonly string[]).includes(event.tier)) {
    throw new Error(`event.tier must be one of ${TIERS.join(', ')} (got ${JSON.stringify(event?.tier)})`);
  }
  const appName = env('APP_NAME');
  const bucket = env('BACKUP_BUCKET');
  const tables = env('TABLES')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const engine = (process.env.ENGINE || 'auto') as EngineChoice;
  if (!['auto', 'scan', 'export'].includes(engine)) throw new Error(`environment variable ENGINE must be auto, scan or export (got "${engine}")`);
  const now = event.time ? new Date(event.time) : new Date();
  const t0 = Date.now();
  try {
    const result = await startBackup({
      dynamodb,
      s3,
      bucket,
      tables,
      tier: event.tier,
      engine,
      now,
      segments: optionalNumber('SCAN_SEGMENTS') || undefined,
      maxFileBytes: optionalNumber('MAX_FILE_BYTES') || undefined,
      exportThresholdBytes: optionalNumber('EXPORT_THRESHOLD_BYTES'),
    });
    if (result.status === 'pending') {
      // Success metrics come from the export-finalizer when the exports finish.
      console.log(
        JSON.stringify({ message: 'native exports started', backupId: result.pending.backupId, exports: result.pending.exports.map((e) => e.exportArn) }),
      );
      return { backupId: result.pending.backupId, tier: event.tier, status: 'pending' };
    }
    const previous = (await listBackupSets({ s3, bucket, tier: event.tier, before: new Date(result.metadata.startedAt) })).find((s) => s.status === 'complete');
    if (!result.reused) emit(successMetrics(appName, result.metadata, previous?.metadata));
    return { backupId: result.metadata.backupId, tier: event.tier, status: 'complete', totalRecords: result.metadata.totalRecords };
  } catch (e) {
    let latestGood: Date | undefined;
    try {
      latestGood = (await listBackupSets({ s3, bucket })).find((s) => s.status === 'complete')?.startedAt;
    } catch {
      // Metrics must not hide the original error.
    }
    emit(failureMetrics(appName, event.tier, Date.now() - t0, latestGood));
    throw e;
  }
}
