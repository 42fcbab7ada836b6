/**
 * Folder lambda/backup/: making backup sets (run, scan and native-export engines, finalizer,
 * metrics of a run). May import store/, format/ and shared/; never restore/ or validate/.
 *
 * A backup run: every table of the run into one backup set, `backups/<tier>/<backupId>/`.
 *
 * Order matters: table exports first, `metadata.json` last (the commit marker). A failure
 * writes `failure.json` and rethrows. A run for a slot (tier + backupId) that already has
 * `metadata.json` returns it; a slot holding a partial run (killed half-way, or failed) is
 * written again: its markers are removed, and each scanned table's folder is cleared before
 * it is scanned (a native export's folder is DynamoDB's, left to the export of the same
 * ClientToken). Runs of one slot never overlap: the scheduled handler claims the slot first
 * (slot.ts) and passes `attempt` and `fence`.
 */
import { DescribeContinuousBackupsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BackupFailure,
  BackupMetadata,
  EngineName,
  FAILURE_FILE,
  FORMAT_VERSION,
  METADATA_FILE,
  TableBackupRecord,
  Tier,
  backupIdFor,
  backupSetPrefix,
  tableExportPrefix,
} from '../format/backup-set';
import { PENDING_FILE, PendingBackup, PendingExport, startTableExport } from './export-engine';
import { exportIdFor, writeManifests } from '../store/manifest-writer';
import { autoSegments, scanTableToS3 } from './scan-engine';
import { describeTable, DescribedTable } from './schema';
import { getJsonIfExists, listKeys, putText } from '../store/s3-io';
import { commitBackupSet, healCatalogEntry, recordFailure, recordPending } from '../store/catalog-write';
import { SlotLostError } from './slot';
import { describeError } from '../shared/errors';
import { earliestOf } from '../format/trusted-time';

/** Engine choice of a run; `auto` picks per table. */
export type EngineChoice = 'auto' | EngineName;

/** Default table size from which `auto` uses the native export (1 GiB). */
export const DEFAULT_EXPORT_THRESHOLD_BYTES = 1024 * 1024 * 1024;

/** Options of {@link startBackup} and {@link runBackup}. */
export interface BackupOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly tables: string[];
  readonly tier: Tier;
  /** @default 'auto' - native export where PITR is on and the table is at least exportThresholdBytes, scan otherwise */
  readonly engine?: EngineChoice;
  /** The slot's time: fixes the backupId (the slot's identity), never the recovery point, which is when the data is read. @default - now */
  readonly now?: Date;
  /** Parallel Scan segments. @default - autoSegments(table size): 8 to 16 */
  readonly segments?: number;
  /** @default 256 MiB of uncompressed JSON per data file */
  readonly maxFileBytes?: number;
  /** @default DEFAULT_EXPORT_THRESHOLD_BYTES */
  readonly exportThresholdBytes?: number;
  /** Recorded in metadata.json. @default - the DynamoDB client's region */
  readonly region?: string;
  /** Progress of the scan engine, per table. */
  readonly onProgress?: (p: { table: string; items: number; bytes: number }) => void;
  /** First backoff of the scan engine's own throttling retries, ms. @default 100 */
  readonly retryBaseMs?: number;
  /**
   * The slot attempt this run is (slot.ts). Attempts after the first write their data files
   * into a folder of their own, so a run that lost its slot never overwrites its successor's.
   * @default 1
   */
  readonly attempt?: number;
  /**
   * Called before each marker (pending.json, metadata.json, failure.json) is written; throws
   * SlotLostError when this run no longer holds its slot, and then the run writes nothing more.
   * @default - no check (runs without a slot: ad-hoc `dr backup`, benchmarks)
   */
  readonly fence?: () => Promise<void>;
  /** KMS key (ARN) DynamoDB's native exports encrypt the set with (S3SseAlgorithm KMS). @default - the bucket's default encryption */
  readonly exportKmsKeyArn?: string;
}

/** What a run produced: a complete set, or a set waiting on native exports. */
export type BackupRunResult =
  | { readonly status: 'complete'; readonly metadata: BackupMetadata; /** true when the slot was already complete */ readonly reused: boolean }
  | { readonly status: 'pending'; readonly pending: PendingBackup };

/** Thrown by {@link runBackup} when tables went to native exports that are still running. */
export class ExportsPendingError extends Error {
  constructor(readonly pending: PendingBackup) {
    super(
      `native exports started for ${pending.exports.map((e) => e.table).join(', ')} (set ${pending.tier}/${pending.backupId}); ` +
        'the export-finalizer writes metadata.json when they finish: check with "dr list"',
    );
    this.name = 'ExportsPendingError';
  }
}

/** Runs a backup and returns its metadata; throws ExportsPendingError when native exports are still running. */
export async function runBackup(opts: BackupOptions): Promise<BackupMetadata> {
  const result = await startBackup(opts);
  if (result.status === 'pending') throw new ExportsPendingError(result.pending);
  return result.metadata;
}

/** Runs a backup: scans finish here; native exports are started and left to the finalizer. */
export async function startBackup(opts: BackupOptions): Promise<BackupRunResult> {
  if (opts.tables.length === 0) throw new Error('no tables to back up: list them in the config ("tables") or pass --tables');
  const started = opts.now ?? new Date();
  const backupId = backupIdFor(started);
  const prefix = backupSetPrefix(opts.tier, backupId);
  // The slot's three markers are read side by side (one round trip instead of three).
  const [existing, failed, pendingFile] = await Promise.all([
    getJsonIfExists<BackupMetadata>(opts.s3, opts.bucket, `${prefix}${METADATA_FILE}`),
    getJsonIfExists<unknown>(opts.s3, opts.bucket, `${prefix}${FAILURE_FILE}`),
    getJsonIfExists<PendingBackup>(opts.s3, opts.bucket, `${prefix}${PENDING_FILE}`),
  ]);
  if (existing?.success === true) {
    // A run killed between metadata.json and its catalog entry: the redelivery writes the entry (self-heal).
    await healCatalogEntry(opts.s3, opts.bucket, existing);
    return { status: 'complete', metadata: existing, reused: true };
  }
  // Exports already started for this slot are not started again, unless the set has failed since.
  const pending = failed ? undefined : pendingFile;
  if (pending) return { status: 'pending', pending };
  await clearSetMarkers(opts.s3, opts.bucket, prefix);
  const fence = opts.fence ?? (async () => undefined);

  let currentTable: string | undefined;
  try {
    const region = opts.region ?? (await opts.dynamodb.config.region());
    const scanned: Record<string, TableBackupRecord> = {};
    const exports: PendingExport[] = [];
    // When each table's data was read (trusted-time.ts): a scan's start; an export's ExportTime.
    const scanReads: Date[] = [];
    for (const table of opts.tables) {
      currentTable = table;
      const described = await describeTable(opts.dynamodb, table);
      const engine = await chooseEngine(opts, described);
      if (engine === 'scan') {
        const readAt = new Date();
        scanReads.push(readAt);
        scanned[table] = await scanTable(opts, described, table, backupId, started, readAt);
      } else {
        const tableArn = described.description.TableArn!;
        const exportArn = await startTableExport({
          dynamodb: opts.dynamodb,
          bucket: opts.bucket,
          tier: opts.tier,
          backupId,
          table,
          tableArn,
          exportTime: started,
          kmsKeyArn: opts.exportKmsKeyArn,
        });
        exports.push({ table, exportArn, s3Prefix: tableExportPrefix(opts.tier, backupId, table), schema: described.schema });
      }
    }
    currentTable = undefined;
    const source = { region, bucket: opts.bucket };
    if (exports.length > 0) {
      const p: PendingBackup = {
        formatVersion: FORMAT_VERSION,
        backupId,
        tier: opts.tier,
        startedAt: started.toISOString(),
        // The exports' ExportTime is the slot's (a retry of the slot sends the same request, ClientToken and all); the finalizer takes DynamoDB's own.
        exportTime: earliestOf([started, ...scanReads]).toISOString(),
        ...(scanReads.length ? { scannedAt: earliestOf(scanReads).toISOString() } : {}),
        tables: [...opts.tables],
        exports,
        scanned,
        source,
      };
      await fence();
      await recordPending(opts.s3, opts.bucket, PENDING_FILE, p);
      return { status: 'pending', pending: p };
    }
    const metadata = buildMetadata({
      backupId,
      tier: opts.tier,
      started,
      exportTime: earliestOf(scanReads),
      tables: opts.tables,
      records: scanned,
      source,
      completed: new Date(),
    });
    // The commit marker, strictly last (then the set's catalog entry), and only while this run holds the slot.
    await fence();
    await commitBackupSet(opts.s3, opts.bucket, metadata);
    return { status: 'complete', metadata, reused: false };
  } catch (e) {
    // A run that lost its slot leaves the set to the run that holds it.
    if (e instanceof SlotLostError) throw e;
    if (
      !(await fence().then(
        () => true,
        () => false,
      ))
    )
      throw e;
    await writeFailure(opts.s3, opts.bucket, { tier: opts.tier, backupId, started, reason: describeError(e), table: currentTable });
    throw e;
  }
}

async function scanTable(
  opts: BackupOptions,
  described: DescribedTable,
  table: string,
  backupId: string,
  slotTime: Date,
  exportTime: Date,
): Promise<TableBackupRecord> {
  const attempt = opts.attempt ?? 1;
  const exportId = exportIdFor(slotTime, attempt > 1 ? `${backupId}/attempt-${attempt}` : backupId, table);
  const s3Prefix = tableExportPrefix(opts.tier, backupId, table);
  // What an earlier run of the slot left of this table (killed half-way, or failed).
  await clearPrefix(opts.s3, opts.bucket, `${s3Prefix}/`);
  const exportFolder = `${s3Prefix}/AWSDynamoDB/${exportId}/`;
  const startTime = new Date();
  // Like DynamoDB's own export: an empty `_started` first, proving the bucket writable before any scanning.
  await putText(opts.s3, opts.bucket, `${exportFolder}_started`, '');
  const result = await scanTableToS3({
    dynamodb: opts.dynamodb,
    s3: opts.s3,
    bucket: opts.bucket,
    table,
    exportFolder,
    segments: opts.segments && opts.segments > 0 ? opts.segments : autoSegments(described.description.TableSizeBytes ?? 0),
    maxFileBytes: opts.maxFileBytes,
    retryBaseMs: opts.retryBaseMs,
    onProgress: opts.onProgress,
  });
  await writeManifests({
    s3: opts.s3,
    bucket: opts.bucket,
    exportFolder,
    s3Prefix,
    exportId,
    tableArn: described.description.TableArn ?? `arn:aws:dynamodb:::table/${table}`,
    tableId: described.description.TableId ?? '',
    exportTime,
    startTime,
    endTime: new Date(),
    itemCount: result.itemCount,
    billedSizeBytes: result.bytes,
    entries: result.manifestEntries,
  });
  return {
    table,
    engine: 'scan',
    schema: described.schema,
    exportFolder,
    itemCount: result.itemCount,
    bytes: result.bytes,
    storedBytes: result.storedBytes,
    files: result.files,
  };
}

/** The engine for one table: as asked, or for `auto` export when PITR is on and the table is big enough. */
async function chooseEngine(opts: BackupOptions, described: DescribedTable): Promise<EngineName> {
  const engine = opts.engine ?? 'auto';
  if (engine !== 'auto') return engine;
  const size = described.description.TableSizeBytes ?? 0;
  if (size < (opts.exportThresholdBytes ?? DEFAULT_EXPORT_THRESHOLD_BYTES)) return 'scan';
  return (await pitrEnabled(opts.dynamodb, described.description.TableName!)) ? 'export' : 'scan';
}

/** True when PITR is on; false when off or when the API is missing (DynamoDB Local). */
export async function pitrEnabled(dynamodb: DynamoDBClient, table: string): Promise<boolean> {
  try {
    const res = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: table }));
    return res.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED';
  } catch {
    return false;
  }
}

/** Inputs of {@link buildMetadata}. */
export interface BuildMetadataInput {
  readonly backupId: string;
  readonly tier: Tier;
  readonly started: Date;
  readonly completed: Date;
  readonly exportTime: Date;
  readonly tables: readonly string[];
  readonly records: Record<string, TableBackupRecord>;
  readonly source: { readonly region: string; readonly bucket: string };
}

/** metadata.json from the table records of a finished run. */
export function buildMetadata(i: BuildMetadataInput): BackupMetadata {
  const recs = i.tables.map((t) => {
    const r = i.records[t];
    if (!r) throw new Error(`internal: no record for table "${t}"`);
    return r;
  });
  const engines = new Set(recs.map((r) => r.engine));
  return {
    formatVersion: FORMAT_VERSION,
    backupId: i.backupId,
    tier: i.tier,
    engine: engines.size === 1 ? [...engines][0] : 'mixed',
    startedAt: i.started.toISOString(),
    completedAt: i.completed.toISOString(),
    exportTime: i.exportTime.toISOString(),
    tables: [...i.tables],
    recordCounts: Object.fromEntries(recs.map((r) => [r.table, r.itemCount])),
    totalRecords: recs.reduce((s, r) => s + r.itemCount, 0),
    bytes: Object.fromEntries(recs.map((r) => [r.table, r.bytes])),
    totalBytes: recs.reduce((s, r) => s + r.bytes, 0),
    success: true,
    durationMs: i.completed.getTime() - i.started.getTime(),
    tableDetails: Object.fromEntries(recs.map((r) => [r.table, r])),
    source: i.source,
  };
}

/** Writes failure.json; never throws (the original error matters more). */
export async function writeFailure(
  s3: S3Client,
  bucket: string,
  f: { tier: Tier; backupId: string; started: Date; reason: string; table?: string },
): Promise<void> {
  const failure: BackupFailure = {
    formatVersion: FORMAT_VERSION,
    backupId: f.backupId,
    tier: f.tier,
    startedAt: f.started.toISOString(),
    failedAt: new Date().toISOString(),
    success: false,
    reason: f.reason,
    ...(f.table ? { table: f.table } : {}),
  };
  try {
    await recordFailure(s3, bucket, failure);
  } catch {
    // S3 itself may be what failed; the thrown error still reaches Lambda, logs and alarms.
  }
}

/** Deletes the set-level files (markers, checkpoints) an earlier run of the slot left; table folders are cleared table by table. */
async function clearSetMarkers(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  const keys = (await listKeys(s3, bucket, prefix)).filter((k) => !k.slice(prefix.length).includes('/'));
  await deleteKeys(s3, bucket, keys);
}

/** Deletes every object under a prefix. */
async function clearPrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  await deleteKeys(s3, bucket, await listKeys(s3, bucket, prefix));
}

/** Deletes keys, 8 at a time. */
async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 8) {
    await Promise.all(keys.slice(i, i + 8).map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
  }
}
