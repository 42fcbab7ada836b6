/**
 * Reading one S3 object to the end across network cuts (issue #23 defect 7): a download broken
 * mid-body (connection reset, socket timeout, a body that ends before its Content-Length) is
 * continued from the byte it reached with a ranged GetObject (`Range: bytes=<n>-`), conditional
 * on the ETag of the first answer (`If-Match`), a bounded number of times.
 *
 * Why resume by range rather than re-read the whole object: the reader hashes the stored bytes
 * (md5, sha256) and gunzips them as they pass, and the restore writes items as they come; a
 * re-read from byte 0 would have to reset the digests and the gunzip state and would hand the
 * restore lines it already wrote. Continuing the same byte stream keeps one pass, one digest, and
 * If-Match makes sure the bytes spliced on are the same object version (GetObject documents
 * Range and If-Match; a different version answers 412 PreconditionFailed).
 *
 * What remains after the retries is a network failure, named as one (S3 and its endpoint), never
 * as a damaged backup: the set was not judged.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { describeError } from '../shared/errors';

/** Ranged re-reads of one object after a cut before giving up. */
export const READ_RETRIES = 3;

/** An object could not be read to the end because the network kept failing: not a verdict on its content. */
export class S3ReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'S3ReadError';
  }
}

/** Where S3 requests go, for messages: the endpoint variable when one is set, else AWS's regional endpoint. */
export async function s3EndpointText(s3: S3Client): Promise<string> {
  const configured = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  if (configured) return configured;
  const region = await s3.config.region().catch(() => undefined);
  return region ? `https://s3.${region}.amazonaws.com` : "the region's S3 endpoint";
}

/** True for an answer that says the object is not the version first read (If-Match failed). */
function isChanged(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'PreconditionFailed' || err?.$metadata?.httpStatusCode === 412;
}

/** True for a failure of the request itself (no answer: refused, reset, timed out), which a later attempt may not meet. */
function isNetwork(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'TimeoutError' || describeError(e) !== (e as Error)?.message || (err?.$metadata?.httpStatusCode ?? 0) >= 500;
}

/**
 * The bytes of `s3://bucket/key` as one stream that survives up to `retries` cuts. The first
 * GetObject is sent before this returns (a missing object throws here, as GetObject does).
 */
export async function openObjectStream(s3: S3Client, bucket: string, key: string, retries = READ_RETRIES): Promise<Readable> {
  const first = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const total = first.ContentLength;
  const etag = first.ETag;
  async function* bytes(): AsyncGenerator<Buffer> {
    let body = first.Body as Readable | undefined;
    let offset = 0;
    let cuts = 0;
    let cause: unknown;
    for (;;) {
      if (body) {
        try {
          for await (const chunk of body) {
            offset += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
          if (total === undefined || offset >= total) return;
          cause = new Error(`the body ended at byte ${offset} of ${total}`);
        } catch (e) {
          cause = e;
        }
      }
      if (++cuts > retries) {
        const where = await s3EndpointText(s3);
        throw new S3ReadError(
          `S3 network failure: s3://${bucket}/${key} could not be read to the end from ${where} (${cuts} attempts, cut at byte ${offset}${total !== undefined ? ` of ${total}` : ''}: ${describeError(cause)}). ` +
            'This is the connection to S3 failing, not a damaged backup: check the network path to that endpoint, then run the command again',
        );
      }
      body = undefined;
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-`, ...(etag ? { IfMatch: etag } : {}) }));
        body = res.Body as Readable;
      } catch (e) {
        if (isChanged(e))
          throw new Error(
            `s3://${bucket}/${key} was replaced while it was read (its ETag is no longer ${etag}): run the command again to read the new version`,
          );
        if (!isNetwork(e)) throw e;
        cause = e;
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
