/**
 * Committing and listing the windows of a table's chain (keys: format/window.ts).
 *
 * Commit order, as for full sets: the data files exist (the export wrote them), then
 * `window.json` (the commit marker, with every file's sha256 and line count and the put/delete
 * counts), then the catalog entry (with window.json's sha256), then `_latest.json`. A reader
 * trusts a window only through its entry; a crash between the steps leaves a window that the
 * next finalizer run commits again (each step overwrites the same key with the same content).
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { FORMAT_VERSION } from '../format/backup-set';
import {
  INCREMENTAL_PREFIX,
  WINDOW_FILE,
  WindowEntry,
  WindowFile,
  WindowMetadata,
  WindowRef,
  latestWindowKey,
  windowCatalogPrefix,
  windowEntryKey,
  windowFromOfEntryKey,
  windowPrefix,
} from '../format/window';
import { readManifest } from '../store/export-reader';
import { getJson, getJsonIfExists, listObjects, putText } from '../store/s3-io';
import { openChangeFile } from './window-lines';

/** What a window's commit needs besides the export's files. */
export interface CommitWindowOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly window: WindowRef;
  /** The full set the chain starts from: `<tier>/<backupId>`. */
  readonly baseSet: string;
  readonly exportArn: string;
  /** `<windowPrefix>AWSDynamoDB/<exportId>/`. */
  readonly exportFolder: string;
  /** @default - now */
  readonly now?: Date;
}

/**
 * Reads every data file of a finished window export once (sha256, md5 against the manifest, line
 * count, puts and deletes), then writes window.json, the catalog entry and `_latest.json`.
 */
export async function commitWindow(o: CommitWindowOptions): Promise<WindowMetadata> {
  const manifest = await readManifest(o.s3, o.bucket, o.exportFolder);
  const files: WindowFile[] = [];
  let puts = 0;
  let deletes = 0;
  for (const entry of manifest.entries) {
    const file = await openChangeFile(o.s3, o.bucket, entry.dataFileS3Key);
    for await (const chunk of file.chunks)
      for (const c of chunk)
        if (c.newImage) puts++;
        else deletes++;
    const d = file.digest();
    if (entry.md5Checksum && d.md5Base64 !== entry.md5Checksum) {
      throw new Error(
        `window ${o.window.table} ${o.window.from.toISOString()}: data file ${entry.dataFileS3Key} has md5 ${d.md5Base64}, the manifest says ${entry.md5Checksum}`,
      );
    }
    files.push({ key: entry.dataFileS3Key, bytes: d.bytes, sha256: d.sha256Hex, lines: d.lines });
  }
  const metadata: WindowMetadata = {
    formatVersion: FORMAT_VERSION,
    kind: 'window',
    table: o.window.table,
    from: o.window.from.toISOString(),
    to: o.window.to.toISOString(),
    baseSet: o.baseSet,
    exportArn: o.exportArn,
    exportFolder: o.exportFolder,
    files,
    counts: { puts, deletes },
    committedAt: (o.now ?? new Date()).toISOString(),
  };
  const body = JSON.stringify(metadata, null, 2);
  await putText(o.s3, o.bucket, `${windowPrefix(o.window)}${WINDOW_FILE}`, body, 'application/json');
  const entry: WindowEntry = {
    formatVersion: FORMAT_VERSION,
    kind: 'incremental',
    table: metadata.table,
    from: metadata.from,
    to: metadata.to,
    baseSet: metadata.baseSet,
    counts: metadata.counts,
    metadataSha256: createHash('sha256').update(body).digest('hex'),
    metadataBytes: Buffer.byteLength(body),
  };
  const entryBody = JSON.stringify(entry);
  await putText(o.s3, o.bucket, windowEntryKey(o.window), entryBody, 'application/json');
  // Only ever forward: a late commit of an older window (a retried FAILED one) leaves the newest.
  const latest = await readLatestWindow(o.s3, o.bucket, o.window.table);
  if (!latest || Date.parse(latest.to) <= o.window.to.getTime()) await putText(o.s3, o.bucket, latestWindowKey(o.window.table), entryBody, 'application/json');
  return metadata;
}

/** The newest committed window of a table (one GET), or undefined when it has none. */
export async function readLatestWindow(s3: S3Client, bucket: string, table: string): Promise<WindowEntry | undefined> {
  return getJsonIfExists<WindowEntry>(s3, bucket, latestWindowKey(table));
}

/** Entries read at once by {@link listWindows}. */
const ENTRY_READS_IN_FLIGHT = 16;

/** The catalog entry keys of a table's windows, oldest first (one listing per 1,000 windows). */
export async function listWindowEntryKeys(s3: S3Client, bucket: string, table: string, from?: Date): Promise<string[]> {
  // Keys sort by window start: StartAfter skips the windows before `from` without reading them.
  const startAfter = from ? windowEntryKey({ table, from: new Date(from.getTime() - 1) }) : undefined;
  const keys: string[] = [];
  for await (const o of listObjects(s3, bucket, windowCatalogPrefix(table), startAfter)) if (o.Key && windowFromOfEntryKey(table, o.Key)) keys.push(o.Key);
  return keys;
}

/** Every committed window of a table, oldest first (one listing per 1,000 windows, one GET per window, 16 at a time). */
export async function listWindows(s3: S3Client, bucket: string, table: string, from?: Date): Promise<WindowEntry[]> {
  const keys = await listWindowEntryKeys(s3, bucket, table, from);
  const out: WindowEntry[] = [];
  for (let i = 0; i < keys.length; i += ENTRY_READS_IN_FLIGHT) {
    const entries = await Promise.all(keys.slice(i, i + ENTRY_READS_IN_FLIGHT).map((k) => getJson<WindowEntry>(s3, bucket, k)));
    out.push(...entries.filter((e) => e.kind === 'incremental' && e.table === table));
  }
  return out.sort((a, b) => Date.parse(a.from) - Date.parse(b.from));
}

/** The tables that have a chain in the bucket (one listing of `backups/incremental/` by folder). */
export async function listChainTables(s3: S3Client, bucket: string): Promise<string[]> {
  const tables: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: INCREMENTAL_PREFIX, Delimiter: '/', ContinuationToken: token }));
    for (const p of res.CommonPrefixes ?? []) if (p.Prefix) tables.push(p.Prefix.slice(INCREMENTAL_PREFIX.length, -1));
    token = res.NextContinuationToken;
    if (!token) break;
  }
  return tables;
}

/** A committed window's window.json. */
export async function readWindowMetadata(s3: S3Client, bucket: string, w: Pick<WindowRef, 'table' | 'from'>): Promise<WindowMetadata> {
  return getJson<WindowMetadata>(s3, bucket, `${windowPrefix(w)}${WINDOW_FILE}`);
}
