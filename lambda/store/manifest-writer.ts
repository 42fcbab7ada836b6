/**
 * Writes the manifests of one table export in DynamoDB's documented layout:
 * `manifest-files.json` (JSON lines), `manifest-summary.json`, and a `.checksum` next to each
 * (hex MD5 of the manifest's bytes). manifest-files.json goes first: the summary points at it.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ManifestFileEntry, ManifestSummary } from '../format/backup-set';
import { md5Hex, putText } from './s3-io';

/** `<14-digit epoch ms>-<8 hex>` like AWS's export ids; deterministic per backup and table so a re-run overwrites. */
export function exportIdFor(exportTime: Date, backupId: string, table: string): string {
  const hash = createHash('sha256').update(`${backupId}/${table}`).digest('hex').slice(0, 8);
  return `${String(exportTime.getTime()).padStart(14, '0')}-${hash}`;
}

/** Inputs of {@link writeManifests}. */
export interface WriteManifestsOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** `.../<table>/AWSDynamoDB/<exportId>/` */
  readonly exportFolder: string;
  /** The prefix the export was "requested" with: `backups/<tier>/<backupId>/<table>`. */
  readonly s3Prefix: string;
  readonly exportId: string;
  readonly tableArn: string;
  readonly tableId: string;
  readonly exportTime: Date;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly itemCount: number;
  readonly billedSizeBytes: number;
  readonly entries: readonly ManifestFileEntry[];
}

/** Writes both manifests and their checksums; returns the summary written. */
export async function writeManifests(o: WriteManifestsOptions): Promise<ManifestSummary> {
  const filesKey = `${o.exportFolder}manifest-files.json`;
  const filesBody = o.entries.map((e) => `${JSON.stringify(e)}\n`).join('');
  // Each manifest and its checksum side by side; the summary only once manifest-files.json is there.
  await Promise.all([
    putText(o.s3, o.bucket, filesKey, filesBody, 'application/json'),
    putText(o.s3, o.bucket, `${o.exportFolder}manifest-files.checksum`, md5Hex(filesBody)),
  ]);
  const summary: ManifestSummary = {
    version: '2020-06-30',
    exportArn: `${o.tableArn}/export/${o.exportId}`,
    startTime: o.startTime.toISOString(),
    endTime: o.endTime.toISOString(),
    tableArn: o.tableArn,
    tableId: o.tableId,
    exportTime: o.exportTime.toISOString(),
    s3Bucket: o.bucket,
    s3Prefix: o.s3Prefix,
    s3SseAlgorithm: null,
    s3SseKmsKeyId: null,
    manifestFilesS3Key: filesKey,
    billedSizeBytes: o.billedSizeBytes,
    itemCount: o.itemCount,
    outputFormat: 'DYNAMODB_JSON',
    exportType: 'FULL_EXPORT',
  };
  const summaryBody = JSON.stringify(summary);
  await Promise.all([
    putText(o.s3, o.bucket, `${o.exportFolder}manifest-summary.json`, summaryBody, 'application/json'),
    putText(o.s3, o.bucket, `${o.exportFolder}manifest-summary.checksum`, md5Hex(summaryBody)),
  ]);
  return summary;
}
