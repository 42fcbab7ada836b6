/**
 * Writing one key of a bucket restore: a version copied by VersionId (CopyObject up to the
 * multipart threshold, UploadPartCopy above it), or a delete marker.
 *
 * What a copy keeps (AWS "CopyObject", "UploadPartCopy"):
 * - content type, metadata and the other system headers: CopyObject copies them by default
 *   (MetadataDirective COPY); a multipart copy sets them on CreateMultipartUpload from HeadObject;
 * - tags: CopyObject copies them (TaggingDirective COPY, needs s3:GetObjectVersionTagging); a
 *   multipart copy reads them with GetObjectTagging and sets them on CreateMultipartUpload;
 * - encryption: a copy is encrypted the way the request says, not like its source: SSE-KMS with
 *   the destination's key when one is known, else the destination bucket's default;
 * - Object Lock: retention is not copied by S3; where the destination has Object Lock, the source
 *   version's mode and retain-until date (when still in the future) and legal hold are set on the copy.
 * CopyObject takes objects up to 5 GB; UploadPartCopy parts are 5 MiB to 5 GiB, at most 10,000.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { VersionEntry } from './types';

/** S3's CopyObject limit. */
export const MULTIPART_COPY_THRESHOLD = 5 * 1024 ** 3;
const MIN_PART = 5 * 1024 ** 2;
const MAX_PARTS = 10_000;

/** Where and how copies are written. */
export interface CopyTarget {
  readonly s3: S3Client;
  readonly sourceBucket: string;
  readonly bucket: string;
  /** SSE-KMS key of the destination. @default - the destination bucket's default encryption */
  readonly kmsKeyId?: string;
  /** The destination has Object Lock: copy retention and legal hold. */
  readonly objectLock: boolean;
  /** @default {@link MULTIPART_COPY_THRESHOLD} (tests lower it, the product never does) */
  readonly multipartThreshold?: number;
  /** @default - the smallest of 64 MiB multiples that keeps within 10,000 parts */
  readonly partSize?: number;
  /** Called with a multipart copy's ETag before it is completed (the journal records it). */
  readonly beforeComplete?: (key: string, etag: string) => Promise<void>;
}

/** `bucket/key?versionId=`: the key URL-encoded, as S3 requires in x-amz-copy-source. */
export function copySource(bucket: string, v: Pick<VersionEntry, 'key' | 'versionId'>): string {
  return `${bucket}/${encodeURIComponent(v.key)}?versionId=${encodeURIComponent(v.versionId)}`;
}

function sse(t: CopyTarget) {
  return t.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: t.kmsKeyId } : {};
}

/** Retention and legal hold of the source version, for a destination with Object Lock. */
function lockOf(head: HeadObjectCommandOutput | undefined, now: Date) {
  if (!head) return {};
  const keep = head.ObjectLockMode && head.ObjectLockRetainUntilDate && head.ObjectLockRetainUntilDate > now;
  return {
    ...(keep ? { ObjectLockMode: head.ObjectLockMode, ObjectLockRetainUntilDate: head.ObjectLockRetainUntilDate } : {}),
    ...(head.ObjectLockLegalHoldStatus === 'ON' ? { ObjectLockLegalHoldStatus: head.ObjectLockLegalHoldStatus } : {}),
  };
}

/** Copies `v` to be the newest version of its key in the target bucket. Returns the copy's ETag. */
export async function copyVersion(t: CopyTarget, v: VersionEntry): Promise<string> {
  const threshold = t.multipartThreshold ?? MULTIPART_COPY_THRESHOLD;
  const head =
    t.objectLock || v.size > threshold ? await t.s3.send(new HeadObjectCommand({ Bucket: t.sourceBucket, Key: v.key, VersionId: v.versionId })) : undefined;
  if (v.size > threshold) return multipartCopy(t, v, head!);
  const res = await t.s3.send(
    new CopyObjectCommand({ Bucket: t.bucket, Key: v.key, CopySource: copySource(t.sourceBucket, v), ...sse(t), ...lockOf(head, new Date()) }),
  );
  return (res.CopyObjectResult?.ETag ?? '').replace(/"/g, '');
}

/** The part size for an object: at least 5 MiB, and few enough parts (at most 10,000). */
export function partSizeFor(size: number, wanted?: number): number {
  const least = Math.ceil(size / MAX_PARTS);
  return Math.max(wanted ?? 64 * 1024 ** 2, least, MIN_PART);
}

/** S3's ETag of a multipart object: MD5 of the parts' MD5s, then `-<parts>`. */
export function multipartEtag(partEtags: readonly string[]): string {
  const md5 = createHash('md5');
  for (const e of partEtags) md5.update(Buffer.from(e.replace(/"/g, ''), 'hex'));
  return `${md5.digest('hex')}-${partEtags.length}`;
}

async function multipartCopy(t: CopyTarget, v: VersionEntry, head: HeadObjectCommandOutput): Promise<string> {
  const tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: t.sourceBucket, Key: v.key, VersionId: v.versionId }));
  const tagging = (tags.TagSet ?? []).map((x) => `${encodeURIComponent(x.Key!)}=${encodeURIComponent(x.Value ?? '')}`).join('&');
  const { UploadId } = await t.s3.send(
    new CreateMultipartUploadCommand({
      Bucket: t.bucket,
      Key: v.key,
      ContentType: head.ContentType,
      CacheControl: head.CacheControl,
      ContentDisposition: head.ContentDisposition,
      ContentEncoding: head.ContentEncoding,
      ContentLanguage: head.ContentLanguage,
      Metadata: head.Metadata,
      Tagging: tagging || undefined,
      ...sse(t),
      ...(t.objectLock ? lockOf(head, new Date()) : {}),
    }),
  );
  try {
    const size = partSizeFor(v.size, t.partSize);
    const parts: { PartNumber: number; ETag: string }[] = [];
    for (let start = 0, n = 1; start < v.size; start += size, n++) {
      const end = Math.min(start + size, v.size) - 1;
      const r = await t.s3.send(
        new UploadPartCopyCommand({
          Bucket: t.bucket,
          Key: v.key,
          UploadId,
          PartNumber: n,
          CopySource: copySource(t.sourceBucket, v),
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts.push({ PartNumber: n, ETag: r.CopyPartResult!.ETag! });
    }
    const etag = multipartEtag(parts.map((p) => p.ETag));
    await t.beforeComplete?.(v.key, etag);
    await t.s3.send(new CompleteMultipartUploadCommand({ Bucket: t.bucket, Key: v.key, UploadId, MultipartUpload: { Parts: parts } }));
    return etag;
  } catch (e) {
    await t.s3.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: v.key, UploadId })).catch(() => undefined);
    throw e;
  }
}

/** Hides a key that did not exist at the time: a delete marker over its versions (they stay). */
export async function addDeleteMarker(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}
