/**
 * How the proof maps S3 deletes to IAM requests (recorder.ts `deleteRequests`), as the DeleteObject
 * and DeleteObjects API references state it (Permissions, general purpose buckets): s3:DeleteObject
 * is always required; a key sent with a VersionId (a version deleted for good) also needs
 * s3:DeleteObjectVersion. DeleteObjects is evaluated per key, each key as DeleteObject would be.
 */
import { toIamRequests, type SdkCall } from './recorder';

const ctx = { account: '123456789012', bucketKey: () => undefined };
const call = (operation: string, input: Record<string, unknown>): SdkCall => ({ who: 'test', service: 's3', operation, region: 'eu-west-1', input });
const actionsOn = (c: SdkCall) => toIamRequests(c, ctx).map((r) => `${r.action} ${r.resource}`);

test('DeleteObject without a VersionId (a delete marker) is s3:DeleteObject only', () => {
  expect(actionsOn(call('DeleteObject', { Bucket: 'b', Key: 'k' }))).toEqual(['s3:DeleteObject arn:aws:s3:::b/k']);
});

test('DeleteObject with a VersionId needs s3:DeleteObject ("always") and s3:DeleteObjectVersion', () => {
  expect(actionsOn(call('DeleteObject', { Bucket: 'b', Key: 'k', VersionId: 'v1' }))).toEqual([
    's3:DeleteObject arn:aws:s3:::b/k',
    's3:DeleteObjectVersion arn:aws:s3:::b/k',
  ]);
});

test('DeleteObjects is evaluated per key as DeleteObject: a key with a VersionId needs both actions, a key without only s3:DeleteObject', () => {
  const input = { Bucket: 'b', Delete: { Objects: [{ Key: 'a', VersionId: 'v1' }, { Key: 'b' }, { Key: 'c', VersionId: 'null' }] } };
  expect(actionsOn(call('DeleteObjects', input))).toEqual([
    's3:DeleteObject arn:aws:s3:::b/a',
    's3:DeleteObjectVersion arn:aws:s3:::b/a',
    's3:DeleteObject arn:aws:s3:::b/b',
    's3:DeleteObject arn:aws:s3:::b/c',
    's3:DeleteObjectVersion arn:aws:s3:::b/c',
  ]);
});
