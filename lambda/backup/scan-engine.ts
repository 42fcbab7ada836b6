/**
 * The scan engine: a table's items through parallel Scan, gzip and S3 multipart uploads, into
 * DynamoDB's documented export layout (`AWSDynamoDB/<exportId>/manifest-*.json`, `data/*.json.gz`).
 *
 * Memory is bounded whatever the table size: each segment holds one Scan page and one data
 * file's upload buffer, and waits for the gzip stream to drain (backpressure) before writing on.
 * A data file is closed and a new one started once it holds `maxFileBytes` of uncompressed JSON.
 * sha256 and md5 are computed on the gzipped bytes as they stream out.
 */
import { once } from 'node:events';
import { createGzip, Gzip } from 'node:zlib';
import { AttributeValue, DynamoDBClient, ScanCommand, ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { AbortMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { DataFileRecord, ManifestFileEntry } from '../format/backup-set';
import { exportLine } from '../format/dynamodb-json';
import { HashingStream } from '../store/s3-io';

/** Default cap on a data file's uncompressed size. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
/**
 * Default gzip level of the data files. Level 3 (zlib's fast deflate) took a third to a half of
 * the CPU of the default level 6 for 12 to 15 % larger files on shop-like items (bench item and
 * drill dataset): backup time is what a backup window is short of, storage of gzipped JSON is cheap.
 */
export const DEFAULT_GZIP_LEVEL = 3;
/** Fewest segments the automatic choice uses (DynamoDB Local gets slow with long single scans). */
export const MIN_AUTO_SEGMENTS = 8;
/** Most segments the automatic choice uses (each holds a page and an upload buffer in memory). */
export const MAX_AUTO_SEGMENTS = 16;

/** Segment count for a table of this size: one per 512 MiB, between 8 and 16. */
export function autoSegments(tableSizeBytes: number): number {
  return Math.min(MAX_AUTO_SEGMENTS, Math.max(MIN_AUTO_SEGMENTS, Math.ceil(tableSizeBytes / (512 * 1024 * 1024))));
}

/** Options of {@link scanTableToS3}. */
export interface ScanTableOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly table: string;
  /** Folder of this export, ending in `/`: `.../<table>/AWSDynamoDB/<exportId>/`. */
  readonly exportFolder: string;
  /** Parallel Scan segments. */
  readonly segments: number;
  /** @default DEFAULT_MAX_FILE_BYTES */
  readonly maxFileBytes?: number;
  /** gzip level of the data files, 1 (fastest) to 9 (smallest). @default DEFAULT_GZIP_LEVEL */
  readonly gzipLevel?: number;
  /** Own retries on throttling, on top of the SDK's. @default 8 */
  readonly throttleRetries?: number;
  /** First backoff of the own retries. @default 100 */
  readonly retryBaseMs?: number;
  /** Called after each Scan page with the table's running totals. */
  readonly onProgress?: (p: { table: string; items: number; bytes: number }) => void;
}

/** What a table scan wrote. */
export interface ScanTableResult {
  readonly itemCount: number;
  /** Uncompressed DynamoDB JSON bytes. */
  readonly bytes: number;
  /** Gzipped bytes stored. */
  readonly storedBytes: number;
  readonly files: DataFileRecord[];
  readonly manifestEntries: ManifestFileEntry[];
}

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'LimitExceededException']);

/** True for DynamoDB's throttling errors. */
export function isThrottling(e: unknown): boolean {
  return THROTTLING.has((e as { name?: string })?.name ?? '');
}

/** Runs `fn`, retrying throttling errors with exponential backoff and full jitter. */
export async function withThrottleRetry<T>(fn: () => Promise<T>, retries: number, baseMs: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isThrottling(e) || attempt >= retries) throw e;
      const delay = Math.random() * Math.min(20000, baseMs * 2 ** attempt);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * One data file being written: gzip -> hash -> multipart upload.
 *
 * Every stream has an 'error' listener: a stream that emits 'error' with none is an uncaught
 * exception, which killed the whole process before the run could write failure.json, its
 * metric, or abort the upload (issue 14, item 1).
 */
class DataFileWriter {
  readonly gzip: Gzip;
  private readonly hasher = new HashingStream();
  private readonly upload: Upload;
  private readonly done: Promise<{ ETag?: string }>;
  private failure: Error | undefined;
  items = 0;
  bytes = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly key: string,
    gzipLevel: number,
  ) {
    this.gzip = createGzip({ level: gzipLevel });
    this.gzip.on('error', (e: Error) => this.fail(e));
    this.hasher.on('error', (e: Error) => this.fail(e));
    this.gzip.pipe(this.hasher);
    this.upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.hasher, ContentType: 'application/gzip' },
      // One part in flight per file: memory stays near partSize per segment.
      queueSize: 1,
      partSize: 5 * 1024 * 1024,
      // lib-storage's own abort replaces the real error with the abort's when the abort fails
      // too, and Upload.abort() sends no AbortMultipartUpload when parts are left on error: we
      // abort ourselves in abort(), once the UploadId is final, and keep the real error. The
      // bucket's AbortIncompleteMultipartUpload lifecycle rule removes anything left.
      leavePartsOnError: true,
    });
    this.done = this.upload.done();
    // If the upload fails, stop the writer so a backpressure wait cannot hang forever.
    this.done.catch((e: Error) => this.fail(e));
  }

  /** Stops both streams once (idempotent): a write waiting for 'drain' rejects, the upload's body ends. */
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.gzip.destroy(e);
    this.hasher.destroy(e);
  }

  /** Writes `items` export lines joined in `text` (a Scan page at a time: one gzip call, one await). */
  async write(text: string, items: number, bytes: number): Promise<void> {
    if (this.failure) throw this.failure;
    this.items += items;
    this.bytes += bytes;
    if (!this.gzip.write(text)) await once(this.gzip, 'drain');
  }

  async close(): Promise<{ record: DataFileRecord; entry: ManifestFileEntry }> {
    if (this.failure) throw this.failure;
    this.gzip.end();
    const res = await this.done;
    const digest = this.hasher.digest();
    return {
      record: { key: this.key, itemCount: this.items, bytes: digest.bytes, sha256: digest.sha256Hex },
      entry: { itemCount: this.items, md5Checksum: digest.md5Base64, etag: (res.ETag ?? '').replace(/"/g, ''), dataFileS3Key: this.key },
    };
  }

  /**
   * Stops the file and aborts its multipart upload (best effort; never throws). Waits for the
   * upload to settle first: the part in flight ends, and an UploadId still being created is known.
   */
  async abort(e: Error): Promise<void> {
    this.fail(e);
    await this.done.catch(() => undefined);
    const uploadId = this.upload.uploadId;
    if (!uploadId) return;
    // AbortMultipartUpload: "aborts a multipart upload ... storage consumed by any previously
    // uploaded parts will be freed" (S3 API reference).
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId })).catch(() => undefined);
  }
}

/**
 * Scans one table into data files under `exportFolder/data/`. Returns the files for the
 * manifests; the manifests themselves are written by the caller.
 */
export async function scanTableToS3(opts: ScanTableOptions): Promise<ScanTableResult> {
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const gzipLevel = opts.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  const closed: { record: DataFileRecord; entry: ManifestFileEntry }[] = [];
  const totals = { items: 0, bytes: 0 };
  const pad = (n: number, w: number) => String(n).padStart(w, '0');

  // Set when a segment fails, so the others stop at their next page instead of scanning on.
  let stop: Error | undefined;
  const runSegment = async (segment: number): Promise<void> => {
    let seq = 0;
    let writer: DataFileWriter | undefined;
    const open = () => new DataFileWriter(opts.s3, opts.bucket, `${opts.exportFolder}data/s${pad(segment, 4)}-${pad(seq++, 5)}.json.gz`, gzipLevel);
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        if (stop) throw stop;
        const page: ScanCommandOutput = await withThrottleRetry(
          () => opts.dynamodb.send(new ScanCommand({ TableName: opts.table, Segment: segment, TotalSegments: opts.segments, ExclusiveStartKey: startKey })),
          opts.throttleRetries ?? 8,
          opts.retryBaseMs ?? 100,
        );
        // A page's lines go to gzip as one string (one zlib call and one await per page, not per
        // item: the per-item version cost a third of the engine's CPU in the benchmark profile).
        let chunk = '';
        let chunkItems = 0;
        let chunkBytes = 0;
        const flush = async () => {
          if (chunkItems === 0) return;
          writer ??= open();
          await writer.write(chunk, chunkItems, chunkBytes);
          chunk = '';
          chunkItems = chunkBytes = 0;
        };
        for (const item of page.Items ?? []) {
          const line = exportLine(item);
          const len = Buffer.byteLength(line);
          if ((writer?.items ?? 0) + chunkItems > 0 && (writer?.bytes ?? 0) + chunkBytes + len > maxFileBytes) {
            await flush();
            closed.push(await writer!.close());
            writer = undefined;
          }
          chunk += line;
          chunkItems++;
          chunkBytes += len;
          totals.items++;
          totals.bytes += len;
        }
        await flush();
        opts.onProgress?.({ table: opts.table, items: totals.items, bytes: totals.bytes });
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      if (writer) closed.push(await writer.close());
    } catch (e) {
      stop ??= e as Error;
      await writer?.abort(e as Error);
      throw e;
    }
  };

  const results = await Promise.allSettled(Array.from({ length: opts.segments }, (_, i) => runSegment(i)));
  if (stop) throw stop;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  // AWS writes an empty file for an empty partition; an empty table still gets one data file.
  if (closed.length === 0) closed.push(await new DataFileWriter(opts.s3, opts.bucket, `${opts.exportFolder}data/s0000-00000.json.gz`, gzipLevel).close());
  closed.sort((a, b) => a.record.key.localeCompare(b.record.key));
  return {
    itemCount: totals.items,
    bytes: totals.bytes,
    storedBytes: closed.reduce((s, c) => s + c.record.bytes, 0),
    files: closed.map((c) => c.record),
    manifestEntries: closed.map((c) => c.entry),
  };
}
