/**
 * The export engine: DynamoDB's native ExportTableToPointInTime, for tables that outgrow one
 * Lambda. All tables of a run share ONE ExportTime (a consistent recovery point across tables);
 * each request carries a ClientToken derived from backupId and table, so a retried run does not
 * start a second export. The run writes `pending.json` and returns; the scheduled
 * export-finalizer completes the set (metadata.json) or fails it (failure.json) later, so no
 * Lambda waits on an export.
 */
import { createHash } from 'node:crypto';
import { DescribeExportCommand, DynamoDBClient, ExportDescription, ExportTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FORMAT_VERSION, DataFileRecord, ManifestFileEntry, ManifestSummary, TableBackupRecord, TableSchema, Tier, tableExportPrefix } from './format';
import { HashingStream, getJson, getText } from './s3-io';

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
  /** The one ExportTime of every export of the set. */
  readonly exportTime: string;
  readonly tables: string[];
  readonly exports: PendingExport[];
  /** Tables the scan engine already finished in the same run (auto with mixed engines). */
  readonly scanned: Record<string, TableBackupRecord>;
  readonly source: { readonly region: string; readonly bucket: string };
}

/** ClientToken for a table's export in a run: the same inputs always give the same token (32 hex chars; the API allows 36). */
export function clientTokenFor(backupId: string, table: string): string {
  return createHash('sha256').update(`dr-stack/${backupId}/${table}`).digest('hex').slice(0, 32);
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
}

/** Starts one table's native export into the set; returns its ARN. */
export async function startTableExport(o: StartTableExportOptions): Promise<PendingExport['exportArn']> {
  const res = await o.dynamodb.send(
    new ExportTableToPointInTimeCommand({
      TableArn: o.tableArn,
      ExportTime: o.exportTime,
      ClientToken: clientTokenFor(o.backupId, o.table),
      S3Bucket: o.bucket,
      S3BucketOwner: o.bucketOwner,
      S3Prefix: tableExportPrefix(o.tier, o.backupId, o.table),
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'FULL_EXPORT',
    }),
  );
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

/** sha256 and size of an object, streamed. */
async function hashObject(s3: S3Client, bucket: string, key: string): Promise<{ sha256: string; bytes: number }> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hasher = new HashingStream();
  hasher.resume();
  await pipeline(res.Body as Readable, hasher);
  const d = hasher.digest();
  return { sha256: d.sha256Hex, bytes: d.bytes };
}

/**
 * The table record of a completed native export, from its own manifests. Every data file is
 * read once to record its sha256 (4 at a time), so validate can check the files later.
 */
export async function tableRecordFromNativeExport(s3: S3Client, bucket: string, p: PendingExport, d: ExportDescription): Promise<TableBackupRecord> {
  const summaryKey = d.ExportManifest ? fullKey(d.ExportManifest, p.s3Prefix) : undefined;
  if (!summaryKey) throw new Error(`export ${p.exportArn} of "${p.table}" has no manifest key`);
  const summary = await getJson<ManifestSummary>(s3, bucket, summaryKey);
  const lines = (await getText(s3, bucket, fullKey(summary.manifestFilesS3Key, p.s3Prefix))).split('\n').filter((l) => l.trim());
  const entries = lines.map((l) => JSON.parse(l) as ManifestFileEntry);
  const files: DataFileRecord[] = [];
  for (let i = 0; i < entries.length; i += 4) {
    const batch = entries.slice(i, i + 4);
    const hashed = await Promise.all(batch.map((e) => hashObject(s3, bucket, fullKey(e.dataFileS3Key, p.s3Prefix))));
    batch.forEach((e, j) =>
      files.push({ key: fullKey(e.dataFileS3Key, p.s3Prefix), itemCount: e.itemCount, bytes: hashed[j].bytes, sha256: hashed[j].sha256 }),
    );
  }
  return {
    table: p.table,
    engine: 'export',
    schema: p.schema,
    exportFolder: summaryKey.slice(0, summaryKey.lastIndexOf('/') + 1),
    itemCount: summary.itemCount,
    bytes: summary.billedSizeBytes,
    storedBytes: files.reduce((s, f) => s + f.bytes, 0),
    files,
  };
}
