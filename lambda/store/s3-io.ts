/**
 * Small S3 helpers shared by the engines and the catalog: JSON objects, prefix listings and
 * hashing while streaming.
 *
 * Listings go by Prefix without Delimiter: some local S3 servers (s3rver) drop common prefixes
 * that hold only sub-folders, and a half-written backup set holds nothing but sub-folders.
 */
import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, _Object } from '@aws-sdk/client-s3';

/** Writes `value` as pretty JSON. */
export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await putText(s3, bucket, key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

/**
 * Writes a small text object. The length is sent explicitly: the SDK measures only a non-empty
 * body, so an empty marker object would otherwise go out without Content-Length, and the S3
 * client warns about "a Stream of unknown length".
 */
export async function putText(s3: S3Client, bucket: string, key: string, body: string, contentType = 'text/plain'): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: Buffer.byteLength(body) }));
}

/** Reads a whole object as UTF-8 text. */
export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return res.Body.transformToString('utf-8');
}

/** Reads and parses a JSON object; the error names the object when it is not JSON. */
export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  const text = await getText(s3, bucket, key);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`s3://${bucket}/${key} is not valid JSON (${(e as Error).message})`);
  }
}

/** True when an error is S3's "no such key" (404). */
export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/** Like {@link getJson}, but `undefined` when the object does not exist. */
export async function getJsonIfExists<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    return await getJson<T>(s3, bucket, key);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Like {@link getJsonIfExists}, with the object's ETag: the version a conditional write ({@link putJsonIf}) replaces. */
export async function getJsonWithEtag<T>(s3: S3Client, bucket: string, key: string): Promise<{ value: T; etag: string } | undefined> {
  let res;
  try {
    res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  const text = (await res.Body?.transformToString('utf-8')) ?? '';
  try {
    return { value: JSON.parse(text) as T, etag: res.ETag ?? '' };
  } catch (e) {
    throw new Error(`s3://${bucket}/${key} is not valid JSON (${(e as Error).message})`);
  }
}

/** A conditional write's precondition: create only (If-None-Match: *), or replace only the version read (If-Match: its ETag). */
export type WriteCondition = { readonly ifNoneMatch: '*' } | { readonly ifMatch: string };

/** Thrown when a conditional write's precondition failed: another writer created or changed the object first. */
export class PreconditionFailedError extends Error {
  constructor(
    readonly key: string,
    readonly cause: unknown,
  ) {
    super(`s3 object ${key} was created or changed by another writer first (${(cause as Error)?.name ?? 'PreconditionFailed'})`);
    this.name = 'PreconditionFailedError';
  }
}

/**
 * `DR_S3_CONDITIONAL_WRITES=off` drops the preconditions of {@link putJsonIf}: set ONLY by the local
 * servers for an S3 emulator that cannot honour them (Ceph RGW 16 from Debian refuses If-Match with
 * a quoted ETag and ignores If-None-Match on versioned buckets; s3rver ignores both). One restore
 * per target is then not enforced there; the rule itself is proven against the SDK's mocked S3 in
 * test/lambda/restore/journal.test.ts. Amazon S3 honours both headers (conditional writes).
 */
export const CONDITIONAL_WRITES_VARIABLE = 'DR_S3_CONDITIONAL_WRITES';

/**
 * Writes `value` as pretty JSON only if the precondition holds (S3 conditional writes: 412
 * PreconditionFailed when it does not; 409 ConditionalRequestConflict when another conditional
 * write of the key raced this one). Both mean another writer won: {@link PreconditionFailedError}.
 * Returns the new ETag, the condition of the writer's next write.
 */
export async function putJsonIf(s3: S3Client, bucket: string, key: string, value: unknown, cond: WriteCondition): Promise<string> {
  const conditional = process.env[CONDITIONAL_WRITES_VARIABLE] !== 'off';
  try {
    const res = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: `${JSON.stringify(value, null, 2)}\n`,
        ContentType: 'application/json',
        ...(!conditional ? {} : 'ifNoneMatch' in cond ? { IfNoneMatch: cond.ifNoneMatch } : { IfMatch: cond.ifMatch }),
      }),
    );
    return res.ETag ?? '';
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = err?.$metadata?.httpStatusCode;
    if (err?.name === 'PreconditionFailed' || err?.name === 'ConditionalRequestConflict' || status === 412 || status === 409)
      throw new PreconditionFailedError(key, e);
    throw e;
  }
}

/** Every object under a prefix (all pages), in key order; with `startAfter`, only keys after it. */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string, startAfter?: string): AsyncGenerator<_Object> {
  let token: string | undefined;
  do {
    // Later pages go by the token, which carries the position (StartAfter only places the first page).
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, StartAfter: startAfter }));
    for (const o of page.Contents ?? []) yield o;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Keys under a prefix, collected (for small prefixes only: a set's metadata files, not data). */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of listObjects(s3, bucket, prefix)) if (o.Key) keys.push(o.Key);
  return keys;
}

/** Digests and byte count of what passed through a {@link HashingStream}. */
export interface StreamDigest {
  readonly sha256Hex: string;
  readonly md5Base64: string;
  readonly bytes: number;
}

/** A pass-through stream that computes sha256 and md5 of the bytes flowing through it. */
export class HashingStream extends Transform {
  private readonly sha = createHash('sha256');
  private readonly md5: Hash = createHash('md5');
  private count = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sha.update(chunk);
    this.md5.update(chunk);
    this.count += chunk.length;
    cb(null, chunk);
  }

  /** Valid once the stream has ended. */
  digest(): StreamDigest {
    return { sha256Hex: this.sha.copy().digest('hex'), md5Base64: this.md5.copy().digest('base64'), bytes: this.count };
  }
}

/** md5 (base64) of a string, as S3 manifests record it. */
export function md5Base64(text: string | Buffer): string {
  return createHash('md5').update(text).digest('base64');
}

/** hex md5 of a string (the `.checksum` files of an export). */
export function md5Hex(text: string | Buffer): string {
  return createHash('md5').update(text).digest('hex');
}
