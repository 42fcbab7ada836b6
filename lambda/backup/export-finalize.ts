/**
 * Completes backup sets whose native exports were started by a run (`pending.json`): when every
 * export is COMPLETED, checks each export against its own manifests, reads every data file once
 * for its sha256, and writes metadata.json; when one FAILED (or they run past `maxPendingHours`),
 * or an export does not match its manifests, writes failure.json. Runs on a schedule; each call
 * does one pass and returns, so no Lambda waits on an export.
 *
 * Reading the data files is resumable: an export of hundreds of GB does not fit one Lambda run.
 * The files hashed so far are kept in `finalize-progress.json` in the set's folder; a call with a
 * `deadline` stops there, saves the checkpoint and reports the set `running`, and the next call
 * reads only the files not in the checkpoint. metadata.json is still written last, so the set
 * stays `incomplete` in the catalog until every file is hashed and checked.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BackupMetadata, FORMAT_VERSION, ManifestFileEntry, TableBackupRecord, backupSetPrefix } from '../format/backup-set';
import { listBackupSets } from '../store/catalog';
import { buildMetadata, writeFailure } from './backup';
import {
  DataFileHash,
  NativeExportIntegrityError,
  NativeExportManifests,
  PENDING_FILE,
  PendingBackup,
  checkDataFile,
  describeExports,
  hashDataFile,
  nativeTableRecord,
  readNativeExportManifests,
} from './export-engine';
import { getJsonIfExists, putJson } from '../store/s3-io';
import { commitBackupSet } from '../store/catalog-write';
import { earliestOf } from '../format/trusted-time';

/** The hashing checkpoint, in the set's folder (`backups/<tier>/<backupId>/finalize-progress.json`). */
export const FINALIZE_PROGRESS_FILE = 'finalize-progress.json';

/** A set is failed after this many finalizer calls in a row that started data files but finished none. */
export const MAX_STALLED_RUNS = 3;

/** The checkpoint is written at most this often while files are hashed (and always when a call stops). */
const CHECKPOINT_INTERVAL_MS = 20_000;

/** finalize-progress.json: what the finalizer has read of a set's native exports so far. */
export interface FinalizeProgress {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly backupId: string;
  readonly updatedAt: string;
  /** Data files read in full and whose md5 matched their manifest line, by full object key. */
  readonly files: Record<string, DataFileHash>;
  /** Calls in a row that started data files but finished none (the set fails at {@link MAX_STALLED_RUNS}). */
  readonly stalledRuns: number;
}

/** How far the hashing of a set's data files has come. */
export interface HashingProgress {
  readonly filesHashed: number;
  readonly filesTotal: number;
  readonly bytesHashed: number;
}

/** Outcome for one pending set. */
export type FinalizeOutcome =
  | { readonly backupId: string; readonly tier: string; readonly status: 'complete'; readonly metadata: BackupMetadata }
  | { readonly backupId: string; readonly tier: string; readonly status: 'failed'; readonly reason: string }
  | {
      readonly backupId: string;
      readonly tier: string;
      readonly status: 'running';
      /** Present when the exports are done and their data files are being hashed. */
      readonly progress?: HashingProgress;
    };

/** Options of {@link finalizePendingBackups}. */
export interface FinalizeOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default - now */
  readonly now?: Date;
  /** A set whose exports are still running after this long is failed. @default 24 */
  readonly maxPendingHours?: number;
  /**
   * Epoch milliseconds by which the call stops reading data files: no file is started after it,
   * reads still going are aborted (a file is hashed whole or not at all), the checkpoint is saved
   * and the set is reported `running`, for the next call to continue. Every data file must fit
   * in one call: a single file that cannot be read before the deadline makes no progress, and
   * the set is failed after {@link MAX_STALLED_RUNS} such calls in a row.
   * @default - no limit: every data file is read in this call
   */
  readonly deadline?: number;
  /** The clock the deadline is checked against, epoch ms. @default Date.now */
  readonly clock?: () => number;
  /** Data files read at once. @default 4 */
  readonly concurrency?: number;
}

/** One pass over every incomplete set that holds pending.json. */
export async function finalizePendingBackups(opts: FinalizeOptions): Promise<FinalizeOutcome[]> {
  const sets = (await listBackupSets({ s3: opts.s3, bucket: opts.bucket, checkCommit: false })).filter((s) => s.status === 'incomplete');
  const outcomes: FinalizeOutcome[] = [];
  for (const set of sets) {
    const pending = await getJsonIfExists<PendingBackup>(opts.s3, opts.bucket, `${set.prefix}${PENDING_FILE}`);
    if (pending) outcomes.push(await finalizePendingBackup({ ...opts, pending }));
  }
  return outcomes;
}

/** Checks one pending set and completes or fails it when its exports are done (see {@link FinalizeOptions.deadline}). */
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
  const manifests: Record<string, NativeExportManifests> = {};
  for (const p of pending.exports) {
    try {
      manifests[p.table] = await readNativeExportManifests(opts.s3, opts.bucket, p, state.descriptions[p.table]);
    } catch (e) {
      return fail(readFailureReason(p.table, e), p.table);
    }
  }
  const hashing = await hashDataFiles(opts, manifests);
  if (hashing.state === 'failed') return fail(hashing.reason, hashing.table);
  if (hashing.state === 'running') return { ...ids, status: 'running', progress: hashing.progress };
  return { ...ids, status: 'complete', metadata: await commitSet(opts, manifests, hashing.files) };
}

/** Writes metadata.json (the commit marker) and the set's catalog entry, then removes the checkpoint, which it makes redundant. */
async function commitSet(
  opts: FinalizeOptions & { readonly pending: PendingBackup },
  manifests: Record<string, NativeExportManifests>,
  files: Record<string, DataFileHash>,
): Promise<BackupMetadata> {
  const { pending } = opts;
  const records: Record<string, TableBackupRecord> = { ...pending.scanned };
  for (const p of pending.exports) records[p.table] = nativeTableRecord(p, manifests[p.table], files);
  const metadata = buildMetadata({
    backupId: pending.backupId,
    tier: pending.tier,
    started: new Date(pending.startedAt),
    completed: opts.now ?? new Date(),
    exportTime: exportedAt(pending, manifests),
    tables: pending.tables,
    records,
    source: pending.source,
  });
  const prefix = backupSetPrefix(pending.tier, pending.backupId);
  await commitBackupSet(opts.s3, opts.bucket, metadata);
  try {
    await opts.s3.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: `${prefix}${FINALIZE_PROGRESS_FILE}` }));
  } catch {
    // Best effort: metadata.json is the commit marker; a checkpoint left behind is only clutter.
  }
  return metadata;
}

/** The set's recovery point: the earliest of DynamoDB's own ExportTime of each export (its manifest-summary) and the scans' reads. */
function exportedAt(pending: PendingBackup, manifests: Record<string, NativeExportManifests>): Date {
  const reported = pending.exports.map((p) => new Date(manifests[p.table].summary.exportTime || pending.exportTime));
  return earliestOf([...reported, ...(pending.scannedAt ? [new Date(pending.scannedAt)] : [])]);
}

function readFailureReason(table: string, e: unknown): string {
  return e instanceof NativeExportIntegrityError ? e.message : `reading the native export of "${table}" failed: ${(e as Error).message}`;
}

/** One data file to hash, with its table. */
interface DataFileWork {
  readonly table: string;
  readonly entry: ManifestFileEntry;
}

/** Result of one call's hashing. */
type HashingState =
  | { readonly state: 'done'; readonly files: Record<string, DataFileHash> }
  | { readonly state: 'running'; readonly progress: HashingProgress }
  | { readonly state: 'failed'; readonly table: string; readonly reason: string };

/**
 * Hashes the data files not in the checkpoint yet, `concurrency` at a time, until all are done or
 * the deadline comes; each file's md5 is checked against its manifest line as soon as it is read.
 * The checkpoint is saved every {@link CHECKPOINT_INTERVAL_MS} and when the call stops short.
 */
async function hashDataFiles(
  opts: FinalizeOptions & { readonly pending: PendingBackup },
  manifests: Record<string, NativeExportManifests>,
): Promise<HashingState> {
  const { pending } = opts;
  const checkpointKey = `${backupSetPrefix(pending.tier, pending.backupId)}${FINALIZE_PROGRESS_FILE}`;
  const saved = await getJsonIfExists<FinalizeProgress>(opts.s3, opts.bucket, checkpointKey);
  const files: Record<string, DataFileHash> = { ...saved?.files };
  const work: DataFileWork[] = pending.exports.flatMap((p) => manifests[p.table].entries.map((entry) => ({ table: p.table, entry })));
  const queue = work.filter((w) => !files[w.entry.dataFileS3Key]);
  const clock = opts.clock ?? Date.now;
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  const stop = new AbortController();
  // setTimeout fires at once for delays past 2^31-1 ms; no Lambda runs that long anyway.
  const timer = Number.isFinite(deadline) ? setTimeout(() => stop.abort(), Math.min(Math.max(0, deadline - clock()), 2 ** 31 - 1)) : undefined;
  const save = (stalledRuns: number) =>
    putJson(opts.s3, opts.bucket, checkpointKey, {
      formatVersion: FORMAT_VERSION,
      backupId: pending.backupId,
      updatedAt: new Date().toISOString(),
      files,
      stalledRuns,
    } satisfies FinalizeProgress);
  let started = 0;
  let finished = 0;
  let lastSave = clock();
  let failure: { table: string; reason: string } | undefined;
  let cutShort: DataFileWork | undefined;

  const worker = async (): Promise<void> => {
    while (queue.length > 0 && !failure && !stop.signal.aborted && clock() < deadline) {
      const w = queue.shift()!;
      started++;
      try {
        const hash = await hashDataFile(opts.s3, opts.bucket, w.entry.dataFileS3Key, stop.signal);
        checkDataFile(w.table, w.entry, hash);
        files[w.entry.dataFileS3Key] = hash;
        finished++;
      } catch (e) {
        if (e instanceof NativeExportIntegrityError || !stop.signal.aborted) {
          failure ??= { table: w.table, reason: readFailureReason(w.table, e) };
          stop.abort();
        } else cutShort ??= w;
        return;
      }
      if (clock() - lastSave >= CHECKPOINT_INTERVAL_MS) {
        lastSave = clock();
        await save(0);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  } finally {
    clearTimeout(timer);
  }
  if (failure) return { state: 'failed', ...failure };
  const hashed = work.filter((w) => files[w.entry.dataFileS3Key]);
  if (hashed.length === work.length) return { state: 'done', files };
  const previous = saved?.stalledRuns ?? 0;
  // Files started, none finished: no progress. No file started (no time left) says nothing either way.
  const stalledRuns = started === 0 ? previous : finished === 0 ? previous + 1 : 0;
  if (stalledRuns >= MAX_STALLED_RUNS && cutShort) return stalledFailure(cutShort, stalledRuns);
  if (started > 0) await save(stalledRuns);
  return {
    state: 'running',
    progress: { filesHashed: hashed.length, filesTotal: work.length, bytesHashed: hashed.reduce((s, w) => s + files[w.entry.dataFileS3Key].bytes, 0) },
  };
}

function stalledFailure({ table, entry }: DataFileWork, runs: number): HashingState {
  return {
    state: 'failed',
    table,
    reason:
      `data file ${entry.dataFileS3Key} of "${table}" could not be read within one finalizer run, ${runs} runs in a row: ` +
      'a single data file larger than one run can read is not supported',
  };
}
