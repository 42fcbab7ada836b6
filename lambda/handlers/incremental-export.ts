/**
 * The chain of incremental exports (lambda/incremental): one function, two kinds of event.
 *
 * - `{ action: 'export', intervalMinutes, tables, time }` from one EventBridge schedule per
 *   interval: for each table, the next window (contiguous with the last committed one) is claimed
 *   as a slot and its incremental export started.
 * - `{ action: 'finalize', intervals }` every 5 minutes: for each table, a window whose export
 *   COMPLETED is committed (window.json, catalog entry, _latest.json); a FAILED one sets its slot
 *   failed, and the next export run retries the same window.
 *
 * Env: BACKUP_BUCKET, STATE_TABLE, TABLE_ARN_PREFIX (`arn:aws:dynamodb:<region>:<account>:table/`),
 * EXPORT_KMS_KEY_ARN. Throws when a table failed, so Lambda errors and the alarms see it.
 */
import { randomUUID } from 'node:crypto';
import { createDynamoDbClient, createS3Client } from '../shared/clients';
import { parseEventTime, SlotStore, truncateTime } from '../backup/slot';
import { exportNextWindow, finalizeWindow, type WindowFinalizeOutcome, type WindowRun } from '../incremental/window-export';

const dynamodb = createDynamoDbClient();
const s3 = createS3Client();

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: the stack sets it on the incremental-export function`);
  return v;
}

/** The events the schedules send. */
export type IncrementalEvent =
  | { readonly action: 'export'; readonly intervalMinutes: number; readonly tables: readonly string[]; readonly time?: string }
  | { readonly action: 'finalize'; readonly intervals: Readonly<Record<string, number>> };

/** Lambda entry point. */
export async function handler(event: IncrementalEvent): Promise<Record<string, WindowRun | WindowFinalizeOutcome>> {
  const bucket = env('BACKUP_BUCKET');
  const slots = new SlotStore({ dynamodb, tableName: env('STATE_TABLE') });
  const out: Record<string, WindowRun | WindowFinalizeOutcome> = {};
  const failures: string[] = [];
  if (event.action === 'finalize') {
    for (const [table, minutes] of Object.entries(event.intervals)) {
      const o = await finalizeWindow({ dynamodb, s3, slots, bucket, table, intervalMs: minutes * 60_000 });
      out[table] = o;
      if (o.status === 'failed') failures.push(o.reason);
    }
  } else if (event.action === 'export') {
    const now = event.time ? truncateTime(parseEventTime(event.time)) : new Date();
    const owner = randomUUID();
    for (const table of event.tables) {
      try {
        out[table] = await exportNextWindow({
          dynamodb,
          s3,
          slots,
          bucket,
          table,
          tableArn: `${env('TABLE_ARN_PREFIX')}${table}`,
          intervalMs: event.intervalMinutes * 60_000,
          owner,
          now,
          kmsKeyArn: process.env.EXPORT_KMS_KEY_ARN,
        });
      } catch (e) {
        failures.push(`${table}: ${(e as Error).message}`);
      }
    }
  } else {
    throw new Error(`event.action must be "export" or "finalize"; got ${JSON.stringify((event as { action?: unknown }).action)}`);
  }
  console.log(JSON.stringify(out));
  if (failures.length) throw new Error(`incremental export: ${failures.join('; ')}`);
  return out;
}
