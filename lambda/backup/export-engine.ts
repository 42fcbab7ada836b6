/**
 * The export engine: DynamoDB's native ExportTableToPointInTime, for tables that outgrow one
 * Lambda. All tables of a run share ONE ExportTime (a consistent recovery point across tables);
 * each request carries a ClientToken derived from backupId and table, so a retried run does not
 * start a second export. The run writes `pending.json` and returns; the scheduled
 * export-finalizer completes the set (metadata.json) or fails it (failure.json) later, so no
 * Lambda waits on an export.
 */
import { createHash } from 'node:crypto';
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DynamoDBClient,
  ExportDescription,
  ExportTableToPointInTimeCommand,
  type ExportTableToPointInTimeCommandInput,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  FORMAT_VERSION,
  DataFileRecord,
  ManifestFileEntry,
  ManifestSummary,
  TableBackupRecord,
  TableSchema,
  Tier,
  tableExportPrefix,
} from '../format/backup-set';
import { HashingStream, getJson, getText } from '../store/s3-io';

/** Written in the set while native exports run. */
export const PENDING_FILE = 'pending.json';

/** One native export the finalizer waits for. */
export interface PendingExport {
  readonly table: string;
  readonly exportArn: string;
  readonly s3Prefix: string;
  readonly schema: TableSchema;
}

/** pending.json: a set whose native exports are still running. */
export interface PendingBackup {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly backupId: string;
  readonly tier: Tier;
  readonly startedAt: string;
  /** The recovery point known when the exports started: the earliest of their ExportTime (the slot's) and the scans' reads. */
  readonly exportTime: string;
  /** When the run's first scanned table was read, if any (the finalizer's recovery point joins it with DynamoDB's ExportTime). */
  readonly scannedAt?: string;
  readonly tables: string[];
  readonly exports: PendingExport[];
  /** Tables the scan engine already finished in the same run (auto with mixed engines). */
  readonly scanned: Record<string, TableBackupRecord>;
  readonly source: { readonly region: string; readonly bucket: string };
}

/**
 * ClientToken of a table's export in a slot (tier + backupId, the slot's scheduled time): every
 * run of the slot sends the same token, so a retried or taken-over run gets the export already
 * started instead of a second one. The tier is part of it: two tiers scheduled at the same minute
 * export to different prefixes, and one token with other parameters is refused
 * (ImportConflictException). 32 hex characters: matches the documented pattern `^[^$]+$`.
 */
export function clientTokenFor(tier: Tier, backupId: string, table: string): string {
  return createHash('sha256').update(`dr-stack/${tier}/${backupId}/${table}`).digest('hex').slice(0, 32);
}

/** The PITR window of a table, when known (DescribeContinuousBackups). */
export interface PitrWindow {
  readonly earliest?: Date;
}

/**
 * What is wrong with an ExportTableToPointInTime request, by the documented rules no emulator
 * checks (API reference, ExportTableToPointInTime, Request Parameters): S3Bucket at most 255
 * characters matching `^[a-z0-9A-Z]+[.\-\w]*[a-z0-9A-Z]+$`; TableArn 1 to 1024 characters;
 * ClientToken matching `^[^$]+$` (we keep it at most 36, the length other DynamoDB client
 * tokens allow); S3Prefix at most 1024 characters; ExportFormat DYNAMODB_JSON | ION (the set
 * format is DYNAMODB_JSON); S3SseAlgorithm AES256 | KMS, S3SseKmsKeyId 1 to 2048 characters and
 * only with KMS; S3BucketOwner a 12-digit account id; ExportTime "in the past", within the PITR
 * window ("you can export data from any time within the point in time recovery window").
 * Empty when the request is fine.
 */
export function exportRequestProblems(r: ExportTableToPointInTimeCommandInput, now: Date, pitr: PitrWindow = {}): string[] {
  const p: string[] = [];
  if (!(r.S3Bucket && r.S3Bucket.length <= 255 && /^[a-z0-9A-Z]+[.\-\w]*[a-z0-9A-Z]+$/.test(r.S3Bucket)))
    p.push(`S3Bucket "${r.S3Bucket}" is not a valid bucket name (at most 255 characters)`);
  if (!r.TableArn || r.TableArn.length > 1024) p.push(`TableArn must be 1 to 1024 characters (got ${r.TableArn?.length ?? 0})`);
  if (r.ClientToken !== undefined && !(r.ClientToken.length >= 1 && r.ClientToken.length <= 36 && /^[^$]+$/.test(r.ClientToken)))
    p.push(`ClientToken "${r.ClientToken}" must be 1 to 36 characters without "$"`);
  if (r.S3Prefix !== undefined && (r.S3Prefix.length > 1024 || r.S3Prefix.startsWith('/') || r.S3Prefix.endsWith('/')))
    p.push(`S3Prefix "${r.S3Prefix}" must be at most 1024 characters, without a leading or trailing "/" (DynamoDB adds /AWSDynamoDB/<id>/)`);
  if (r.ExportFormat !== 'DYNAMODB_JSON') p.push(`ExportFormat must be DYNAMODB_JSON, the backup set's format (got ${r.ExportFormat})`);
  if (r.S3SseAlgorithm !== undefined && !['AES256', 'KMS'].includes(r.S3SseAlgorithm)) p.push(`S3SseAlgorithm must be AES256 or KMS (got ${r.S3SseAlgorithm})`);
  if (r.S3SseKmsKeyId !== undefined && (r.S3SseAlgorithm !== 'KMS' || r.S3SseKmsKeyId.length < 1 || r.S3SseKmsKeyId.length > 2048))
    p.push('S3SseKmsKeyId (1 to 2048 characters) goes with S3SseAlgorithm KMS only');
  if (r.S3BucketOwner !== undefined && !/^[0-9]{12}$/.test(r.S3BucketOwner)) p.push(`S3BucketOwner must be a 12-digit account id (got "${r.S3BucketOwner}")`);
  const t = r.ExportTime instanceof Date ? r.ExportTime : undefined;
  if (!t || Number.isNaN(t.getTime())) p.push('ExportTime must be set: every export of a set shares the slot time');
  else if (t.getTime() > now.getTime()) p.push(`ExportTime ${t.toISOString()} is in the future (now ${now.toISOString()}): an export is of a time in the past`);
  else if (pitr.earliest && t.getTime() < pitr.earliest.getTime())
    p.push(`ExportTime ${t.toISOString()} is before the PITR window (earliest restorable ${pitr.earliest.toISOString()})`);
  return p;
}

/** Options of {@link startTableExport}. */
export interface StartTableExportOptions {
  readonly dynamodb: DynamoDBClient;
  readonly bucket: string;
  readonly tier: Tier;
  readonly backupId: string;
  readonly table: string;
  readonly tableArn: string;
  readonly exportTime: Date;
  /** @default - the bucket's own account */
  readonly bucketOwner?: string;
  /** The backup key: the export encrypts its objects with it (SSE-KMS), like every other object of the set. @default - the bucket's default encryption */
  readonly kmsKeyArn?: string;
  /** @default - now */
  readonly now?: Date;
}

/** Starts one table's native export into the set; returns its ARN. */
export async function startTableExport(o: StartTableExportOptions): Promise<PendingExport['exportArn']> {
  const input: ExportTableToPointInTimeCommandInput = {
    TableArn: o.tableArn,
    ExportTime: o.exportTime,
    ClientToken: clientTokenFor(o.tier, o.backupId, o.table),
    S3Bucket: o.bucket,
    S3BucketOwner: o.bucketOwner,
    S3Prefix: tableExportPrefix(o.tier, o.backupId, o.table),
    ...(o.kmsKeyArn ? { S3SseAlgorithm: 'KMS' as const, S3SseKmsKeyId: o.kmsKeyArn } : {}),
    ExportFormat: 'DYNAMODB_JSON',
    ExportType: 'FULL_EXPORT',
  };
  let earliest: Date | undefined;
  try {
    const window = await o.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: o.tableArn }));
    earliest = window?.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.EarliestRestorableDateTime;
  } catch {
    // The window is a check of ours; DynamoDB itself refuses an ExportTime outside it (InvalidExportTimeException).
  }
  const problems = exportRequestProblems(input, o.now ?? new Date(), { earliest });
  if (problems.length > 0) throw new Error(`native export of "${o.table}" not started: ${problems.join('; ')}`);
  const res = await o.dynamodb.send(new ExportTableToPointInTimeCommand(input));
  const arn = res.ExportDescription?.ExportArn;
  if (!arn) throw new Error(`ExportTableToPointInTime for "${o.table}" returned no ExportArn`);
  return arn;
}

/** State of a pending set's exports. */
export type ExportsState =
  | { readonly state: 'running' }
  | { readonly state: 'failed'; readonly table: string; readonly reason: string }
  | { readonly state: 'completed'; readonly descriptions: Record<string, ExportDescription> };

/** Asks DescribeExport about every export of a pending set. */
export async function describeExports(dynamodb: DynamoDBClient, pending: PendingBackup): Promise<ExportsState> {
  const descriptions: Record<string, ExportDescription> = {};
  let running = false;
  for (const p of pending.exports) {
    const d = (await dynamodb.send(new DescribeExportCommand({ ExportArn: p.exportArn }))).ExportDescription;
    if (!d) throw new Error(`DescribeExport returned nothing for ${p.exportArn}`);
    if (d.ExportStatus === 'FAILED') {
      return {
        state: 'failed',
        table: p.table,
        reason: `native export of "${p.table}" failed: ${d.FailureCode ?? 'unknown code'}: ${d.FailureMessage ?? 'no message'}`,
      };
    }
    if (d.ExportStatus !== 'COMPLETED') running = true;
    descriptions[p.table] = d;
  }
  return running ? { state: 'running' } : { state: 'completed', descriptions };
}

/** Joins a key from a native manifest to the export prefix when it is relative. */
function fullKey(key: string, s3Prefix: string): string {
  return key.startsWith(`${s3Prefix}/`) ? key : `${s3Prefix}/${key}`;
}

/** Thrown when a native export does not match its own manifests (a corrupt export is never committed). */
export class NativeExportIntegrityError extends Error {
  constructor(
    readonly table: string,
    detail: string,
  ) {
    super(`native export of "${table}" does not match its manifest: ${detail}`);
    this.name = 'NativeExportIntegrityError';
  }
}

/** A completed native export's manifests. */
export interface NativeExportManifests {
  readonly summaryKey: string;
  /** `<prefix>/AWSDynamoDB/<exportId>/` */
  readonly exportFolder: string;
  readonly summary: ManifestSummary;
  /** manifest-files.json lines, `dataFileS3Key` made a full object key. */
  readonly entries: ManifestFileEntry[];
}

/**
 * Reads both manifests of a completed native export and checks that the item counts of the
 * manifest-files.json lines add up to the summary's itemCount (NativeExportIntegrityError otherwise).
 */
export async function readNativeExportManifests(s3: S3Client, bucket: string, p: PendingExport, d: ExportDescription): Promise<NativeExportManifests> {
  const summaryKey = d.ExportManifest ? fullKey(d.ExportManifest, p.s3Prefix) : undefined;
  if (!summaryKey) throw new Error(`export ${p.exportArn} of "${p.table}" has no manifest key`);
  const summary = await getJson<ManifestSummary>(s3, bucket, summaryKey);
  const filesKey = fullKey(summary.manifestFilesS3Key, p.s3Prefix);
  const lines = (await getText(s3, bucket, filesKey)).split('\n').filter((l) => l.trim());
  const entries = lines.map((l) => {
    const e = JSON.parse(l) as ManifestFileEntry;
    return { ...e, dataFileS3Key: fullKey(e.dataFileS3Key, p.s3Prefix) };
  });
  const counted = entries.reduce((s, e) => s + e.itemCount, 0);
  if (counted !== summary.itemCount) {
    throw new NativeExportIntegrityError(
      p.table,
      `the ${entries.length} data files of ${filesKey} hold ${counted} items, but ${summaryKey} says itemCount ${summary.itemCount}`,
    );
  }
  return { summaryKey, exportFolder: summaryKey.slice(0, summaryKey.lastIndexOf('/') + 1), summary, entries };
}

/** What reading one data file gave. */
export interface DataFileHash {
  /** hex sha256 of the gzipped object (what metadata.json records). */
  readonly sha256: string;
  /** base64 md5 of the gzipped object (what manifest-files.json records). */
  readonly md5: string;
  readonly bytes: number;
}

/** sha256, md5 and size of an object, streamed; `signal` aborts the read. */
export async function hashDataFile(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<DataFileHash> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const hasher = new HashingStream();
  hasher.resume();
  await pipeline(res.Body as Readable, hasher, { signal });
  const d = hasher.digest();
  return { sha256: d.sha256Hex, md5: d.md5Base64, bytes: d.bytes };
}

/** Throws NativeExportIntegrityError, naming the file, when its md5 is not the manifest's. */
export function checkDataFile(table: string, entry: ManifestFileEntry, hash: DataFileHash): void {
  if (hash.md5 !== entry.md5Checksum) {
    throw new NativeExportIntegrityError(table, `data file ${entry.dataFileS3Key} has md5 ${hash.md5}, the manifest says ${entry.md5Checksum}`);
  }
}

/** The table record of a native export whose data files are all hashed (`hashes` by full key). */
export function nativeTableRecord(p: PendingExport, m: NativeExportManifests, hashes: Readonly<Record<string, DataFileHash>>): TableBackupRecord {
  const files: DataFileRecord[] = m.entries.map((e) => {
    const h = hashes[e.dataFileS3Key];
    if (!h) throw new Error(`internal: data file ${e.dataFileS3Key} of "${p.table}" was not hashed`);
    return { key: e.dataFileS3Key, itemCount: e.itemCount, bytes: h.bytes, sha256: h.sha256 };
  });
  return {
    table: p.table,
    engine: 'export',
    schema: p.schema,
    exportFolder: m.exportFolder,
    itemCount: m.summary.itemCount,
    bytes: m.summary.billedSizeBytes,
    storedBytes: files.reduce((s, f) => s + f.bytes, 0),
    files,
  };
}

/**
 * The table record of a completed native export, from its own manifests, in one call: every
 * data file is read once (4 at a time) to record its sha256 and to check its md5 against the
 * manifest; the manifest's item counts must add up to the summary's. Throws
 * NativeExportIntegrityError on a mismatch. The export finalizer does the same work resumably
 * (export-finalize.ts); this form is for exports small enough to read in one go.
 */
export async function tableRecordFromNativeExport(s3: S3Client, bucket: string, p: PendingExport, d: ExportDescription): Promise<TableBackupRecord> {
  const m = await readNativeExportManifests(s3, bucket, p, d);
  const hashes: Record<string, DataFileHash> = {};
  for (let i = 0; i < m.entries.length; i += 4) {
    const batch = m.entries.slice(i, i + 4);
    const hashed = await Promise.all(batch.map((e) => hashDataFile(s3, bucket, e.dataFileS3Key)));
    batch.forEach((e, j) => {
      checkDataFile(p.table, e, hashed[j]);
      hashes[e.dataFileS3Key] = hashed[j];
    });
  }
  return nativeTableRecord(p, m, hashes);
}
