/**
 * S3 as an in-memory map behind aws-sdk-client-mock, for tests of APIs no emulator has (the
 * native export paths): PutObject, GetObject, DeleteObject and ListObjectsV2 over the map.
 */
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/** A body as the SDK hands it out: a stream with the transform helpers. */
export function sdkBody(buf: Buffer) {
  return Object.assign(Readable.from([buf]), { transformToString: async () => buf.toString('utf8'), transformToByteArray: async () => new Uint8Array(buf) });
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const c of body as Readable) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * Serves the four calls from a new map (call after `s3Mock.reset()`) and returns the map.
 * `get` may answer a GetObject itself (a body that never ends, a counter); `undefined` falls
 * through to the map.
 */
export function fakeS3(s3Mock: AwsClientStub<S3Client>, get?: (key: string) => { Body: Readable } | undefined): Map<string, Buffer> {
  const store = new Map<string, Buffer>();
  s3Mock.on(PutObjectCommand).callsFake(async (input) => {
    store.set(input.Key, await bodyBytes(input.Body));
    return { ETag: '"etag"' };
  });
  s3Mock.on(DeleteObjectCommand).callsFake(async (input) => {
    store.delete(input.Key);
    return {};
  });
  s3Mock.on(GetObjectCommand).callsFake(async (input) => {
    const own = get?.(input.Key);
    if (own) return own;
    const buf = store.get(input.Key);
    if (!buf) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return { Body: sdkBody(buf) };
  });
  s3Mock.on(ListObjectsV2Command).callsFake(async (input) => ({
    Contents: [...store.keys()]
      .filter((k) => k.startsWith(input.Prefix ?? ''))
      .sort()
      .map((Key) => ({ Key })),
    IsTruncated: false,
  }));
  return store;
}
