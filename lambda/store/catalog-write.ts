/**
 * Writing a set's state files and its catalog entry, always in that order: the file first
 * (metadata.json is the commit marker), the entry strictly after. A run killed between the two
 * leaves a set without an entry; `dr list --scan` still finds it, and the next run of the slot
 * writes the entry again (see {@link ensureCatalogEntry}).
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BackupFailure, BackupMetadata, FAILURE_FILE, FORMAT_VERSION, METADATA_FILE, Tier, backupSetPrefix, parseBackupId } from '../format/backup-set';
import { CatalogEntry, catalogEntryKey, readLateMarkerKey, summarizeMetadata } from '../format/catalog-entry';
import { readLate, recoveryPoint } from '../format/trusted-time';
import { getText, isNotFound, putJson, putText } from './s3-io';

/** The exact body {@link putJson} writes (pretty JSON and a newline). */
function jsonBody(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The `complete` entry for a metadata.json body. */
function completeEntry(metadata: BackupMetadata, body: string): CatalogEntry {
  return {
    formatVersion: FORMAT_VERSION,
    kind: 'full',
    backupId: metadata.backupId,
    tier: metadata.tier,
    startedAt: metadata.startedAt,
    writtenAt: new Date().toISOString(),
    status: 'complete',
    summary: summarizeMetadata(metadata),
    metadataBytes: Buffer.byteLength(body),
    metadataSha256: createHash('sha256').update(body).digest('hex'),
  };
}

/** Writes metadata.json (the commit marker), then the set's `complete` catalog entry; a set read long after its slot gets its read-late marker first. */
export async function commitBackupSet(s3: S3Client, bucket: string, metadata: BackupMetadata): Promise<void> {
  const body = jsonBody(metadata);
  if (readLate(parseBackupId(metadata.backupId), recoveryPoint(metadata))) await putText(s3, bucket, readLateMarkerKey(metadata.tier, metadata.backupId), '');
  await putText(s3, bucket, `${backupSetPrefix(metadata.tier, metadata.backupId)}${METADATA_FILE}`, body, 'application/json');
  await putJson(s3, bucket, catalogEntryKey(metadata.tier, metadata.backupId), completeEntry(metadata, body));
}

/**
 * Writes the `complete` entry of a set whose metadata.json is already written (a run of a slot
 * that finds it complete, or a crash between the two writes): `body` is metadata.json as stored.
 */
export async function ensureCatalogEntry(s3: S3Client, bucket: string, metadata: BackupMetadata, body: string): Promise<void> {
  if (readLate(parseBackupId(metadata.backupId), recoveryPoint(metadata))) await putText(s3, bucket, readLateMarkerKey(metadata.tier, metadata.backupId), '');
  await putJson(s3, bucket, catalogEntryKey(metadata.tier, metadata.backupId), completeEntry(metadata, body));
}

/**
 * Writes the `complete` entry of a committed set when it has none (a run killed between
 * metadata.json and its entry): reads metadata.json as stored, for the entry's size and sha256.
 * True when it wrote one. Used by the redelivery of the slot and by `dr catalog rebuild`.
 */
export async function healCatalogEntry(s3: S3Client, bucket: string, metadata: Pick<BackupMetadata, 'tier' | 'backupId'>): Promise<boolean> {
  const key = catalogEntryKey(metadata.tier, metadata.backupId);
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return false;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const body = await getText(s3, bucket, `${backupSetPrefix(metadata.tier, metadata.backupId)}${METADATA_FILE}`);
  await ensureCatalogEntry(s3, bucket, JSON.parse(body) as BackupMetadata, body);
  return true;
}

/** Writes failure.json, then the set's `failed` catalog entry. */
export async function recordFailure(s3: S3Client, bucket: string, failure: BackupFailure): Promise<void> {
  await putJson(s3, bucket, `${backupSetPrefix(failure.tier, failure.backupId)}${FAILURE_FILE}`, failure);
  const entry: CatalogEntry = {
    formatVersion: FORMAT_VERSION,
    kind: 'full',
    backupId: failure.backupId,
    tier: failure.tier,
    startedAt: failure.startedAt,
    writtenAt: new Date().toISOString(),
    status: 'failed',
    failure,
  };
  await putJson(s3, bucket, catalogEntryKey(failure.tier, failure.backupId), entry);
}

/** The fields of a pending-exports file the catalog needs. */
export interface PendingSetFile {
  readonly backupId: string;
  readonly tier: Tier;
  readonly startedAt: string;
  readonly tables: string[];
}

/** Writes the run's pending-exports file (`fileName` in the set's folder), then the set's `pending` entry. */
export async function recordPending(s3: S3Client, bucket: string, fileName: string, pending: PendingSetFile): Promise<void> {
  await putJson(s3, bucket, `${backupSetPrefix(pending.tier, pending.backupId)}${fileName}`, pending);
  const entry: CatalogEntry = {
    formatVersion: FORMAT_VERSION,
    kind: 'full',
    backupId: pending.backupId,
    tier: pending.tier,
    startedAt: pending.startedAt,
    writtenAt: new Date().toISOString(),
    status: 'pending',
    tables: [...pending.tables],
  };
  await putJson(s3, bucket, catalogEntryKey(pending.tier, pending.backupId), entry);
}
