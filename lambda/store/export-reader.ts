/**
 * Reads a table export folder back: `manifest-summary.json`, `manifest-files.json` (JSON lines)
 * and the gzipped `data/*.json.gz` files, one `{"Item":{...}}` per line.
 *
 * Works for the scan engine's output and for AWS native exports alike (same documented layout).
 * Native manifests may hold data keys relative to the export prefix; they are joined here.
 * Memory is bounded: data files stream through gunzip and a line splitter, one chunk of lines at a time.
 */
import { createGunzip } from 'node:zlib';
import { PassThrough } from 'node:stream';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ManifestFileEntry, ManifestSummary } from '../format/backup-set';
import type { JsonAttributeValue } from '../format/dynamodb-json';
import { HashingStream, StreamDigest, getJson, getText, listObjects } from './s3-io';
import { openObjectStream, S3ReadError } from './ranged-read';

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

/** DynamoDB JSON value (as in an export) to the SDK's AttributeValue (a copy; see {@link parseExportLine} for the in-place path). */
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

/** A DynamoDB JSON item to the SDK's item shape (a copy). */
export function fromJsonItem(item: Record<string, JsonAttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(item)) out[k] = fromJsonValue(v);
  return out;
}

// Standard base64 with padding, as DynamoDB exports and toJsonValue write it. Buffer.from()
// alone would not do: it skips characters it does not know instead of failing.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isBase64 = (v: unknown): v is string => typeof v === 'string' && BASE64.test(v);

/**
 * True when `v` is one DynamoDB JSON value: one type, the right JavaScript type, binaries valid
 * base64. With `convert`, binaries (base64 strings) become Buffers in place: everything else
 * JSON.parse gave is already the SDK's AttributeValue shape, so nothing else is copied (the deep
 * copy of every item cost a tenth of the restore's CPU). The common types are probed first and
 * no attribute path is built: this runs for every value of every line.
 */
function valueOk(v: unknown, convert: boolean): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (o.S !== undefined) return typeof o.S === 'string' && onlyOneType(o);
  if (o.N !== undefined) return typeof o.N === 'string' && onlyOneType(o);
  if (o.M !== undefined) return isObject(o.M) && mapOk(o.M, convert) && onlyOneType(o);
  if (o.L !== undefined) return Array.isArray(o.L) && o.L.every((x) => valueOk(x, convert)) && onlyOneType(o);
  if (!onlyOneType(o)) return false;
  if (o.BOOL !== undefined) return typeof o.BOOL === 'boolean';
  if (o.NULL !== undefined) return o.NULL === true;
  if (o.SS !== undefined) return isStringArray(o.SS);
  if (o.NS !== undefined) return isStringArray(o.NS);
  if (o.B !== undefined) {
    if (!isBase64(o.B)) return false;
    if (convert) o.B = Buffer.from(o.B, 'base64');
    return true;
  }
  if (o.BS !== undefined) {
    if (!Array.isArray(o.BS) || !o.BS.every(isBase64)) return false;
    if (convert) o.BS = o.BS.map((b: string) => Buffer.from(b, 'base64'));
    return true;
  }
  return false;
}

function onlyOneType(o: Record<string, unknown>): boolean {
  let n = 0;
  for (const _ in o) if (++n > 1) return false;
  return n === 1;
}

function mapOk(m: Record<string, unknown>, convert: boolean): boolean {
  for (const k in m) if (!valueOk(m[k], convert)) return false;
  return true;
}

/** `v` at `path` is not DynamoDB JSON: the error names the attribute and shows the value. */
function notDynamoDbJson(path: string, v: unknown, why: string): Error {
  return new Error(`not a DynamoDB JSON value at ${path} (${why}): ${JSON.stringify(v)?.slice(0, 80)}`);
}

/** The slow path of {@link valueOk}, run once a line failed: throws naming the attribute path and what is wrong. */
function explainValue(v: unknown, path: string): void {
  if (!isObject(v)) throw notDynamoDbJson(path, v, 'not an object');
  const tags = Object.keys(v);
  if (tags.length !== 1) throw notDynamoDbJson(path, v, tags.length ? 'more than one type' : 'no type');
  const tag = tags[0];
  const x = v[tag];
  if (tag === 'B' && !isBase64(x)) throw notDynamoDbJson(path, v, 'B must be a base64 string');
  if (tag === 'BS' && !(Array.isArray(x) && x.every(isBase64))) throw notDynamoDbJson(path, v, 'BS must be an array of base64 strings');
  if (tag === 'M' && isObject(x)) return explainMap(x, path);
  if (tag === 'L' && Array.isArray(x)) return x.forEach((e, i) => explainValue(e, `${path}[${i}]`));
  if (!valueOk(v, false)) throw notDynamoDbJson(path, v, `bad ${tag}`);
}

function explainMap(m: Record<string, unknown>, path: string): void {
  for (const k in m) explainValue(m[k], path ? `${path}.${k}` : k);
}

/** Throws naming the first attribute of the line that {@link mapOk} refuses (parsed afresh: `convert` may have changed the first parse). */
function explainLine(line: string): never {
  explainMap(parseItem(line), '');
  // explainMap throws for whatever mapOk refused; this only runs if the two ever disagree.
  throw new Error('not DynamoDB JSON');
}

/** JSON.parse of one line and its `Item`; the error says what is wrong. */
function parseItem(line: string): Record<string, unknown> {
  let parsed: { Item?: unknown };
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error('line is not JSON');
  }
  if (!isObject(parsed) || !isObject(parsed.Item)) throw new Error('line has no "Item" object');
  return parsed.Item;
}

/**
 * Checks one export line without building the item: JSON, an `Item` object, every attribute a
 * DynamoDB JSON value (one type, the right JavaScript type; binaries valid base64). For
 * validation, where the item is thrown away.
 */
export function checkExportLine(line: string): void {
  if (!mapOk(parseItem(line), false)) explainLine(line);
}

/** Parses one export line into the SDK's item shape (checked as {@link checkExportLine}); the error says what is wrong. */
export function parseExportLine(line: string): Record<string, AttributeValue> {
  const item = parseItem(line);
  if (!mapOk(item, true)) explainLine(line);
  return item as Record<string, AttributeValue>;
}

/** The lines of one gzipped data file, a chunk at a time, and the digests of its stored bytes once read to the end. */
export interface DataFileLines {
  /**
   * Non-blank lines, in order, in arrays of what one gunzipped chunk held (tens of lines): one
   * await per chunk instead of one per line.
   */
  readonly chunks: AsyncIterable<string[]>;
  /** Valid after `chunks` is exhausted. */
  digest(): StreamDigest;
}

/** Gunzipped bytes handed out at a time: 64 KiB is about 75 bench items. */
const GUNZIP_CHUNK_BYTES = 64 * 1024;

/** The gunzipped bytes of one data file, and the digests of its stored bytes once read to the end. */
export interface DataFileBytes {
  /** Gunzipped chunks of about 64 KiB (lines cross chunk boundaries). */
  readonly chunks: AsyncIterable<Buffer>;
  /** Valid after `chunks` is exhausted. */
  digest(): StreamDigest;
}

/** Streams one gzipped data file as gunzipped bytes, hashing the stored (gzipped) bytes on the way. */
export async function openDataFileBytes(s3: S3Client, bucket: string, key: string): Promise<DataFileBytes> {
  const { out, hasher } = await gunzipped(s3, bucket, key);
  return { chunks: out, digest: () => hasher.digest() };
}

/** Streams one gzipped data file in chunks of whole lines, hashing the stored (gzipped) bytes on the way. */
export async function openDataFile(s3: S3Client, bucket: string, key: string): Promise<DataFileLines> {
  const { out, hasher } = await gunzipped(s3, bucket, key);
  // Decodes UTF-8 across chunk boundaries.
  out.setEncoding('utf8');
  return { chunks: splitLines(out), digest: () => hasher.digest() };
}

async function gunzipped(s3: S3Client, bucket: string, key: string): Promise<{ out: PassThrough; hasher: HashingStream }> {
  // A cut download is continued from the byte it reached (ranged-read.ts); what the retries cannot mend is an S3ReadError.
  const body = await openObjectStream(s3, bucket, key);
  const hasher = new HashingStream();
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  const out = new PassThrough({ readableHighWaterMark: GUNZIP_CHUNK_BYTES });
  // Errors (a truncated gzip stream, a broken connection) must reach the reader of the lines.
  // The code stays (zlib's Z_DATA_ERROR / Z_BUF_ERROR say the bytes are bad, not the connection).
  const fail = (e: Error) =>
    out.destroy(e instanceof S3ReadError ? e : Object.assign(new Error(`s3://${bucket}/${key}: ${e.message}`), { code: (e as { code?: string }).code }));
  body.on('error', fail);
  hasher.on('error', fail);
  gunzip.on('error', fail);
  body.pipe(hasher).pipe(gunzip).pipe(out);
  return { out, hasher };
}

/** Whole lines of a text stream, one array per chunk; blank lines and `\r` before `\n` dropped (as readline with crlfDelay did). */
export async function* splitLines(text: AsyncIterable<string>): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of text) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    const lines = keepLines(parts);
    if (lines.length) yield lines;
  }
  const last = keepLines([rest]);
  if (last.length) yield last;
}

function keepLines(parts: string[]): string[] {
  const out: string[] = [];
  for (let line of parts) {
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    // Fast path: an export line starts with `{`; anything else is checked for blankness.
    if (line.charCodeAt(0) === 123 || line.trim()) out.push(line);
  }
  return out;
}

/** Options of {@link readExportItems}. */
export interface ReadExportItemsOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The export folder (`.../AWSDynamoDB/<exportId>/`), or an export prefix to search for one. */
  readonly exportFolder?: string;
  readonly prefix?: string;
}

/** Every item of one table export, file by file, in arrays of one chunk's lines (bounded memory). */
export async function* readExportBatches(opts: ReadExportItemsOptions): AsyncGenerator<Record<string, AttributeValue>[]> {
  const folder = opts.exportFolder ?? (opts.prefix !== undefined ? await findExportFolder(opts.s3, opts.bucket, opts.prefix) : undefined);
  if (!folder) throw new Error('readExportItems needs exportFolder or prefix');
  const manifest = await readManifest(opts.s3, opts.bucket, folder);
  for (const entry of manifest.entries) {
    const file = await openDataFile(opts.s3, opts.bucket, entry.dataFileS3Key);
    let lineNo = 0;
    for await (const lines of file.chunks) {
      const items: Record<string, AttributeValue>[] = [];
      for (const line of lines) {
        lineNo++;
        try {
          items.push(parseExportLine(line));
        } catch (e) {
          throw new Error(`s3://${opts.bucket}/${entry.dataFileS3Key} line ${lineNo}: ${(e as Error).message}`);
        }
      }
      yield items;
    }
  }
}

/** Every item of one table export, one at a time (bounded memory). */
export async function* readExportItems(opts: ReadExportItemsOptions): AsyncGenerator<Record<string, AttributeValue>> {
  for await (const items of readExportBatches(opts)) yield* items;
}
