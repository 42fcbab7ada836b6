/**
 * Reads a table export folder back: `manifest-summary.json`, `manifest-files.json` (JSON lines)
 * and the gzipped `data/*.json.gz` files, one `{"Item":{...}}` per line.
 *
 * Works for the scan engine's output and for AWS native exports alike (same documented layout).
 * Native manifests may hold data keys relative to the export prefix; they are joined here.
 * Memory is bounded: data files stream through gunzip and a line splitter, one line at a time.
 */
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ManifestFileEntry, ManifestSummary } from './format';
import type { JsonAttributeValue } from './dynamodb-json';
import { HashingStream, StreamDigest, getJson, getText, listObjects } from './s3-io';

/** The two manifests of an export folder. */
export interface ExportManifest {
  /** Folder ending in `/`: `<prefix>/AWSDynamoDB/<exportId>/`. */
  readonly exportFolder: string;
  readonly summary: ManifestSummary;
  /** Entries with `dataFileS3Key` made full object keys. */
  readonly entries: ManifestFileEntry[];
}

/**
 * Finds the export folder under an export prefix (`<prefix>/AWSDynamoDB/<exportId>/`) by
 * listing for `manifest-summary.json` (by prefix, no delimiter). The newest export id wins when
 * several exports went to one prefix (export ids start with epoch milliseconds).
 */
export async function findExportFolder(s3: S3Client, bucket: string, prefix: string): Promise<string> {
  const base = `${prefix.replace(/\/+$/, '')}/AWSDynamoDB/`;
  const folders: string[] = [];
  for await (const o of listObjects(s3, bucket, base)) {
    if (o.Key?.endsWith('/manifest-summary.json')) folders.push(o.Key.slice(0, -'manifest-summary.json'.length));
  }
  if (folders.length === 0)
    throw new Error(
      `no export found under s3://${bucket}/${base}: expected <exportId>/manifest-summary.json there (is the prefix right, and did the export finish?)`,
    );
  return folders.sort().at(-1)!;
}

/** Joins a key from a manifest to the export's prefix when the manifest holds it relative. */
export function resolveDataKey(key: string, exportFolder: string): string {
  const idx = exportFolder.indexOf('AWSDynamoDB/');
  const prefix = idx > 0 ? exportFolder.slice(0, idx) : '';
  if (!prefix || key.startsWith(prefix)) return key;
  return key.startsWith('AWSDynamoDB/') ? `${prefix}${key}` : `${exportFolder}${key.replace(/^\/+/, '')}`;
}

/** Reads both manifests of an export folder; errors name the object that is missing or bad. */
export async function readManifest(s3: S3Client, bucket: string, exportFolder: string): Promise<ExportManifest> {
  const summary = await getJson<ManifestSummary>(s3, bucket, `${exportFolder}manifest-summary.json`);
  const filesKey = summary.manifestFilesS3Key ? resolveDataKey(summary.manifestFilesS3Key, exportFolder) : `${exportFolder}manifest-files.json`;
  const text = await getText(s3, bucket, filesKey);
  const entries = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        const e = JSON.parse(l) as ManifestFileEntry;
        return { ...e, dataFileS3Key: resolveDataKey(e.dataFileS3Key, exportFolder) };
      } catch {
        throw new Error(`s3://${bucket}/${filesKey} line ${i + 1} is not JSON`);
      }
    });
  return { exportFolder, summary, entries };
}

/** DynamoDB JSON value (as in an export) to the SDK's AttributeValue. */
export function fromJsonValue(v: JsonAttributeValue): AttributeValue {
  const o = v as Record<string, unknown>;
  if ('S' in o) return { S: o.S as string };
  if ('N' in o) return { N: o.N as string };
  if ('B' in o) return { B: Buffer.from(o.B as string, 'base64') };
  if ('SS' in o) return { SS: o.SS as string[] };
  if ('NS' in o) return { NS: o.NS as string[] };
  if ('BS' in o) return { BS: (o.BS as string[]).map((b) => Buffer.from(b, 'base64')) };
  if ('M' in o) return { M: fromJsonItem(o.M as Record<string, JsonAttributeValue>) };
  if ('L' in o) return { L: (o.L as JsonAttributeValue[]).map(fromJsonValue) };
  if ('NULL' in o) return { NULL: true };
  if ('BOOL' in o) return { BOOL: o.BOOL as boolean };
  throw new Error(`not a DynamoDB JSON value: ${JSON.stringify(v).slice(0, 80)}`);
}

/** A DynamoDB JSON item to the SDK's item shape. */
export function fromJsonItem(item: Record<string, JsonAttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(item)) out[k] = fromJsonValue(v);
  return out;
}

/** Parses one export line; the error says what is wrong. */
export function parseExportLine(line: string): Record<string, AttributeValue> {
  let parsed: { Item?: Record<string, JsonAttributeValue> };
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error('line is not JSON');
  }
  if (!parsed || typeof parsed.Item !== 'object' || parsed.Item === null) throw new Error('line has no "Item" object');
  return fromJsonItem(parsed.Item);
}

/** Lines of one gzipped data file, and the digests of its stored bytes once read to the end. */
export interface DataFileLines {
  readonly lines: AsyncIterable<string>;
  /** Valid after `lines` is exhausted. */
  digest(): StreamDigest;
}

/** Streams one gzipped data file line by line, hashing the stored (gzipped) bytes on the way. */
export async function openDataFile(s3: S3Client, bucket: string, key: string): Promise<DataFileLines> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = res.Body as Readable;
  const hasher = new HashingStream();
  const gunzip = createGunzip();
  const out = new PassThrough();
  // Errors (a truncated gzip stream, a broken connection) must reach the reader of the lines.
  const fail = (e: Error) => out.destroy(new Error(`s3://${bucket}/${key}: ${e.message}`));
  body.on('error', fail);
  hasher.on('error', fail);
  gunzip.on('error', fail);
  body.pipe(hasher).pipe(gunzip).pipe(out);
  const rl = createInterface({ input: out, crlfDelay: Infinity });
  async function* lines(): AsyncGenerator<string> {
    for await (const line of rl) if (line.trim()) yield line;
    if (out.errored) throw out.errored;
  }
  return { lines: lines(), digest: () => hasher.digest() };
}

/** Options of {@link readExportItems}. */
export interface ReadExportItemsOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The export folder (`.../AWSDynamoDB/<exportId>/`), or an export prefix to search for one. */
  readonly exportFolder?: string;
  readonly prefix?: string;
}

/** Every item of one table export, file by file, line by line (bounded memory). */
export async function* readExportItems(opts: ReadExportItemsOptions): AsyncGenerator<Record<string, AttributeValue>> {
  const folder = opts.exportFolder ?? (opts.prefix !== undefined ? await findExportFolder(opts.s3, opts.bucket, opts.prefix) : undefined);
  if (!folder) throw new Error('readExportItems needs exportFolder or prefix');
  const manifest = await readManifest(opts.s3, opts.bucket, folder);
  for (const entry of manifest.entries) {
    const file = await openDataFile(opts.s3, opts.bucket, entry.dataFileS3Key);
    for await (const line of file.lines) yield parseExportLine(line);
  }
}
