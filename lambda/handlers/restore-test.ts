/**
 * Weekly restore test in the RECOVERY region: the latest replicated backup set is validated,
 * restored into scratch tables, compared with the backup and deleted again.
 *
 * Env: APP_NAME, REPLICA_BUCKET, SAMPLE_SIZE (items per table whose hashes are compared,
 * default 100), TABLES (comma-separated: the tested set must hold them all; default: the newest
 * complete set), RESTORE_ENGINE (auto | import | write, default auto) and IMPORT_THRESHOLD_BYTES
 * (auto imports tables above it; default 1 GiB). Emits RestoreTestSuccess or RestoreTestFailure, RestoreTestDurationSeconds (the
 * measured RTO) and RestoredDataAgeMinutes (the measured RPO) as EMF; throws on failure so the
 * Lambda error alarm sees it too.
 */
import { createDynamoDbClient, createS3Client } from '../shared/clients';
import { runRestoreTest, RestoreTestResult } from '../restore/restore-test';
import type { EngineSettings } from '../restore/engines/engine-types';
import type { Context } from 'aws-lambda';
import { publishMetrics } from '../shared/emit-metrics';
import { logger } from '../shared/logger';
import { MetricName } from '../shared/metrics';

const dynamodb = createDynamoDbClient();
const s3 = createS3Client();

function env(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `environment variable ${name} is not set: the recovery stack sets it on the restore-test function; set it when running the handler by hand`,
    );
  return v;
}

/** Engine settings from RESTORE_ENGINE / IMPORT_THRESHOLD_BYTES; throws naming the variable. */
export function engineSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const engine = env.RESTORE_ENGINE || 'auto';
  if (!['auto', 'import', 'write'].includes(engine))
    throw new Error(`environment variable RESTORE_ENGINE must be auto, import or write (got "${engine}"): the restore test creates new scratch tables`);
  const raw = env.IMPORT_THRESHOLD_BYTES;
  const importThresholdBytes = raw === undefined || raw === '' ? undefined : Number(raw);
  if (importThresholdBytes !== undefined && (!Number.isInteger(importThresholdBytes) || importThresholdBytes < 0))
    throw new Error(`environment variable IMPORT_THRESHOLD_BYTES must be a whole number of bytes, 0 or more (got "${raw}")`);
  return { engine: engine as EngineSettings['engine'], importThresholdBytes };
}

/**
 * The schedule event's time (EventBridge sends the whole event: `time` is when the schedule
 * fired, the same in every retry of that event); undefined for a hand-made invocation.
 */
export function eventTimeOf(event: unknown): Date | undefined {
  const time = (event as { time?: unknown } | undefined)?.time;
  if (typeof time !== 'string') return undefined;
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) throw new Error(`event time "${time}" is not an ISO-8601 time: invoke with {"time": "2026-12-07T05:00:00Z"} or no time`);
  return d;
}

/** Lambda entry point. */
export async function handler(event?: unknown, context?: Context): Promise<RestoreTestResult> {
  if (context) logger.addContext(context);
  const app = env('APP_NAME');
  const bucket = env('REPLICA_BUCKET');
  const sampleSize = Number(process.env.SAMPLE_SIZE || 100);
  if (!Number.isInteger(sampleSize) || sampleSize < 0)
    throw new Error(`environment variable SAMPLE_SIZE must be a non-negative integer (got "${process.env.SAMPLE_SIZE}")`);
  const dims = { App: app };
  const t0 = Date.now();
  try {
    const tables = (process.env.TABLES ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const result = await runRestoreTest({ dynamodb, s3, bucket, sampleSize, tables, engines: engineSettingsFromEnv(), eventTime: eventTimeOf(event) });
    publishMetrics([
      { name: MetricName.RestoreTestSuccess, value: 1, dimensions: dims },
      { name: MetricName.RestoreTestDurationSeconds, value: result.durationSeconds, dimensions: dims },
      { name: MetricName.RestoredDataAgeMinutes, value: result.dataAgeMinutes, dimensions: dims },
    ]);
    return result;
  } catch (e) {
    publishMetrics([
      { name: MetricName.RestoreTestFailure, value: 1, dimensions: dims },
      { name: MetricName.RestoreTestDurationSeconds, value: (Date.now() - t0) / 1000, dimensions: dims },
    ]);
    throw e;
  }
}
