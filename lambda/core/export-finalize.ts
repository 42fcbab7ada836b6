/**
 * Completes backup sets whose native exports were started by a run (`pending.json`): when every
 * export is COMPLETED, writes metadata.json from the exports' own manifests; when one FAILED (or
 * they run past `maxPendingHours`), writes failure.json. Runs on a schedule; each call does one
 * pass and returns, so no Lambda waits on an export.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { BackupMetadata, METADATA_FILE, TableBackupRecord, backupSetPrefix } from './format';
import { listBackupSets } from './catalog';
import { buildMetadata, writeFailure } from './backup';
import { PENDING_FILE, PendingBackup, describeExports, tableRecordFromNativeExport } from './export-engine';
import { getJsonIfExists, putJson } from './s3-io';

/** Outcome for one pending set. */
export type FinalizeOutcome =
  | { readonly backupId: string; readonly tier: string; readonly status: 'complete'; readonly metadata: BackupMetadata }
  | { readonly backupId: string; readonly tier: string; readonly status: 'failed'; readonly reason: string }
  | { readonly backupId: string; readonly tier: string; readonly status: 'running' };

/** Options of {@link finalizePendingBackups}. */
export interface FinalizeOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default - now */
  readonly now?: Date;
  /** A set still running after this long is failed. @default 24 */
  readonly maxPendingHours?: number;
}

/** One pass over every incomplete set that holds pending.json. */
export async function finalizePendingBackups(opts: FinalizeOptions): Promise<FinalizeOutcome[]> {
  const sets = (await listBackupSets({ s3: opts.s3, bucket: opts.bucket })).filter((s) => s.status === 'incomplete');
  const outcomes: FinalizeOutcome[] = [];
  for (const set of sets) {
    const pending = await getJsonIfExists<PendingBackup>(opts.s3, opts.bucket, `${set.prefix}${PENDING_FILE}`);
    if (pending) outcomes.push(await finalizePendingBackup({ ...opts, pending }));
  }
  return outcomes;
}

/** Checks one pending set and completes or fails it when its exports are done. */
export async function finalizePendingBackup(opts: FinalizeOptions & { readonly pending: PendingBackup }): Promise<FinalizeOutcome> {
  const { pending } = opts;
  const ids = { backupId: pending.backupId, tier: pending.tier };
  const started = new Date(pending.startedAt);
  const fail = async (reason: string, table?: string): Promise<FinalizeOutcome> => {
    await writeFailure(opts.s3, opts.bucket, { tier: pending.tier, backupId: pending.backupId, started, reason, table });
    return { ...ids, status: 'failed', reason };
  };
  const now = opts.now ?? new Date();
  let state;
  try {
    state = await describeExports(opts.dynamodb, pending);
  } catch (e) {
    return fail(`DescribeExport failed: ${(e as Error).message}`);
  }
  if (state.state === 'failed') return fail(state.reason, state.table);
  if (state.state === 'running') {
    const hours = (now.getTime() - started.getTime()) / 3_600_000;
    if (hours > (opts.maxPendingHours ?? 24)) return fail(`native exports still running after ${Math.floor(hours)} hours`);
    return { ...ids, status: 'running' };
  }
  const records: Record<string, TableBackupRecord> = { ...pending.scanned };
  for (const p of pending.exports) {
    try {
      records[p.table] = await tableRecordFromNativeExport(opts.s3, opts.bucket, p, state.descriptions[p.table]);
    } catch (e) {
      return fail(`reading the native export of "${p.table}" failed: ${(e as Error).message}`, p.table);
    }
  }
  const metadata = buildMetadata({
    backupId: pending.backupId,
    tier: pending.tier,
    started,
    completed: now,
    exportTime: new Date(pending.exportTime),
    tables: pending.tables,
    records,
    source: pending.source,
  });
  await putJson(opts.s3, opts.bucket, `${backupSetPrefix(pending.tier, pending.backupId)}${METADATA_FILE}`, metadata);
  return { ...ids, status: 'complete', metadata };
}
