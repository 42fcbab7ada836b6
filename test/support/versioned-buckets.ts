/**
 * Small helpers for tests on the local versioned S3 (RGW): make a versioned bucket, fill it, take
 * "the time" between two rounds of writes, and count versions per key.
 */
import {
  CreateBucketCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Creates `name` with versioning on. */
export async function versionedBucket(s3: S3Client, name: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
}

/** Puts every key (body from `body(key)`) with 16 in flight. */
export async function putMany(s3: S3Client, bucket: string, keys: readonly string[], body: (k: string) => string): Promise<void> {
  const queue = [...keys];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let k = queue.shift(); k !== undefined; k = queue.shift()) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: body(k) }));
    }),
  );
}

/** Object versions per key (delete markers not counted), over at most 20 listing pages. */
export async function versionCounts(s3: S3Client, bucket: string): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  let marker: { KeyMarker?: string; VersionIdMarker?: string } | undefined = {};
  for (let pages = 0; marker && pages < 20; pages++) {
    const l: ListObjectVersionsCommandOutput = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...marker }));
    for (const v of l.Versions ?? []) versions.set(v.Key!, (versions.get(v.Key!) ?? 0) + 1);
    marker = l.IsTruncated ? { KeyMarker: l.NextKeyMarker, VersionIdMarker: l.NextVersionIdMarker } : undefined;
  }
  return versions;
}

/**
 * The bucket's newest LastModified (over at most 20 listing pages); returns once the clock is in a
 * later second, because listed times have whole seconds and writes "after the time" must list
 * after it. The wait is bounded (at most 40 x 50 ms).
 */
export async function markTime(s3: S3Client, bucket: string): Promise<Date> {
  let newest = 0;
  let marker: { KeyMarker?: string; VersionIdMarker?: string } | undefined = {};
  for (let pages = 0; marker && pages < 20; pages++) {
    const l: ListObjectVersionsCommandOutput = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...marker }));
    for (const v of [...(l.Versions ?? []), ...(l.DeleteMarkers ?? [])]) newest = Math.max(newest, v.LastModified!.getTime());
    marker = l.IsTruncated ? { KeyMarker: l.NextKeyMarker, VersionIdMarker: l.NextVersionIdMarker } : undefined;
  }
  const next = Math.floor(Date.now() / 1000) * 1000 + 1000;
  for (let i = 0; i < 40 && Date.now() < next; i++) await new Promise((r) => setTimeout(r, 50));
  return new Date(newest);
}
