/**
 * Folder lambda/format/: what a backup set *is* (layout, names, metadata types, DynamoDB JSON).
 * Pure: imports nothing of ours and does no I/O. Everything else may import it.
 *
 * The backup set layout: the contract between backup, list, validate, restore and the drill.
 *
 * A backup set is `backups/<tier>/<backupId>/` in the backup bucket. Per table it holds
 * `<table>/AWSDynamoDB/<exportId>/` in exactly the layout AWS documents for DynamoDB export to S3
 * (DYNAMODB_JSON, GZIP): `manifest-summary.json`, `manifest-summary.checksum`,
 * `manifest-files.json` (JSON lines), `manifest-files.checksum`, `data/<name>.json.gz` with one
 * `{"Item":{...}}` per line. `metadata.json` at the set's root is written last: it is the commit
 * marker. A failed run writes `failure.json` instead.
 */

/** Version of `metadata.json`. */
export const FORMAT_VERSION = 1;
/** Every tier; `adhoc` sets come from `dr backup`. */
export const TIERS = ['daily', 'weekly', 'monthly', 'adhoc'] as const;
/** A backup tier. */
export type Tier = (typeof TIERS)[number];
/** Engines that can produce a table export. */
export type EngineName = 'scan' | 'export';

/** Root prefix of all backup sets. */
export const BACKUPS_PREFIX = 'backups/';
/** The commit marker's file name. */
export const METADATA_FILE = 'metadata.json';
/** Written instead of metadata.json when a run fails. */
export const FAILURE_FILE = 'failure.json';

/** backupId for a start time: the UTC ISO time with `:` and `.` made key-safe, e.g. `2026-11-23T02-00-00-000Z`. */
export function backupIdFor(start: Date): string {
  return start.toISOString().replace(/[:.]/g, '-');
}

/** Start time encoded in a backupId; throws for a string that is not one. */
export function parseBackupId(backupId: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/.exec(backupId);
  if (!m) throw new Error(`"${backupId}" is not a backup id (expected the form 2026-11-23T02-00-00-000Z; run "dr list" to see them)`);
  return new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
}

/** `backups/<tier>/<backupId>/` */
export function backupSetPrefix(tier: Tier, backupId: string): string {
  return `${BACKUPS_PREFIX}${tier}/${backupId}/`;
}

/** `backups/<tier>/<backupId>/<table>/` : the export prefix handed to ExportTableToPointInTime. */
export function tableExportPrefix(tier: Tier, backupId: string, table: string): string {
  return `${backupSetPrefix(tier, backupId)}${table}`;
}

/** manifest-summary.json, as AWS documents it. */
export interface ManifestSummary {
  readonly version: '2020-06-30';
  readonly exportArn: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly tableArn: string;
  readonly tableId: string;
  readonly exportTime: string;
  readonly s3Bucket: string;
  readonly s3Prefix: string | null;
  readonly s3SseAlgorithm: string | null;
  readonly s3SseKmsKeyId: string | null;
  readonly manifestFilesS3Key: string;
  readonly billedSizeBytes: number;
  readonly itemCount: number;
  readonly outputFormat: 'DYNAMODB_JSON' | 'ION';
  readonly exportType?: 'FULL_EXPORT' | 'INCREMENTAL_EXPORT';
}

/** One line of manifest-files.json, as AWS documents it. `dataFileS3Key` is the full object key. */
export interface ManifestFileEntry {
  readonly itemCount: number;
  /** base64 MD5 of the (gzipped) object. */
  readonly md5Checksum: string;
  readonly etag: string;
  readonly dataFileS3Key: string;
}

/** Key attribute of a saved schema. */
export interface KeyAttributeSchema {
  readonly AttributeName: string;
  readonly KeyType: 'HASH' | 'RANGE';
}

/** A table's schema as saved in metadata.json (DescribeTable's shapes). */
export interface TableSchema {
  readonly keySchema: KeyAttributeSchema[];
  readonly attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  readonly globalSecondaryIndexes: { IndexName: string; KeySchema: KeyAttributeSchema[]; Projection: Record<string, unknown> }[];
  readonly localSecondaryIndexes: { IndexName: string; KeySchema: KeyAttributeSchema[]; Projection: Record<string, unknown> }[];
  readonly billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  readonly provisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  readonly ttlAttribute?: string;
  readonly stream?: { StreamEnabled: boolean; StreamViewType?: string };
  readonly tableArn?: string;
  /** The table's tags, when the backup saved them; restores re-apply them. */
  readonly tags?: { Key: string; Value: string }[];
}

/** One data file of a table in metadata.json. */
export interface DataFileRecord {
  /** Full object key. */
  readonly key: string;
  readonly itemCount: number;
  /** Bytes of the gzipped object. */
  readonly bytes: number;
  /** hex sha256 of the gzipped object. */
  readonly sha256: string;
}

/** One table's entry in metadata.json. */
export interface TableBackupRecord {
  readonly table: string;
  readonly engine: EngineName;
  readonly schema: TableSchema;
  /** `backups/<tier>/<backupId>/<table>/AWSDynamoDB/<exportId>/` */
  readonly exportFolder: string;
  readonly itemCount: number;
  /** Uncompressed DynamoDB JSON bytes (billedSizeBytes in the manifest). */
  readonly bytes: number;
  /** Gzipped bytes stored. */
  readonly storedBytes: number;
  readonly files: DataFileRecord[];
}

/** metadata.json: written last, so its presence means the set is complete. */
export interface BackupMetadata {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly backupId: string;
  readonly tier: Tier;
  /** 'scan', 'export' or 'mixed' when `auto` chose per table. */
  readonly engine: EngineName | 'mixed';
  readonly startedAt: string;
  readonly completedAt: string;
  /** The recovery point: one time for all tables of the set. */
  readonly exportTime: string;
  readonly tables: string[];
  readonly recordCounts: Record<string, number>;
  readonly totalRecords: number;
  readonly bytes: Record<string, number>;
  readonly totalBytes: number;
  readonly success: true;
  readonly durationMs: number;
  readonly tableDetails: Record<string, TableBackupRecord>;
  /** Region and bucket the set was written to. */
  readonly source: { readonly region: string; readonly bucket: string };
}

/** failure.json: why a run failed. Never accompanied by metadata.json. */
export interface BackupFailure {
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly backupId: string;
  readonly tier: Tier;
  readonly startedAt: string;
  readonly failedAt: string;
  readonly success: false;
  readonly reason: string;
  readonly table?: string;
}
