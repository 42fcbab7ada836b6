/**
 * `dr doctor`'s restore window check of a data bucket (cli/doctor/bucket-window.ts), mocked AWS:
 * PASS with the configured window, WARN when versions are kept shorter or forever, FAIL without
 * versioning.
 */
import { GetBucketLifecycleConfigurationCommand, GetBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { bucketWindowCheck } from '../../cli/doctor/bucket-window';
import type { RegionClients } from '../../cli/doctor/target';

const s3 = mockClient(S3Client);
const clients = { region: 'eu-west-1', s3: new S3Client({ region: 'eu-west-1' }) } as unknown as RegionClients;
const window = (days: number) => ({
  Rules: [{ ID: 'noncurrent-versions', Status: 'Enabled' as const, Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: days } }],
});
const lifecycleMissing = Object.assign(new Error('The lifecycle configuration does not exist'), { name: 'NoSuchLifecycleConfiguration' });

beforeEach(() => {
  s3.reset();
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
});

test('PASS: versioned, versions kept the configured days (mocked)', async () => {
  s3.on(GetBucketLifecycleConfigurationCommand).resolves(window(35));
  expect(await bucketWindowCheck(clients, 'media', 35)).toMatchObject({ status: 'PASS', detail: expect.stringMatching(/reaches back 35 days/) });
});

test('WARN: a shorter window than versionsDays says how far back restore-bucket reaches (mocked)', async () => {
  s3.on(GetBucketLifecycleConfigurationCommand).resolves(window(7));
  expect(await bucketWindowCheck(clients, 'media', 35)).toMatchObject({ status: 'WARN', detail: expect.stringMatching(/kept 7 days.*not the 35/) });
});

test('WARN: no lifecycle rule keeps versions forever (mocked)', async () => {
  s3.on(GetBucketLifecycleConfigurationCommand).rejects(lifecycleMissing);
  expect(await bucketWindowCheck(clients, 'media', 35)).toMatchObject({ status: 'WARN', detail: expect.stringMatching(/kept forever/) });
});

test('FAIL: a bucket without versioning, with the fix (mocked)', async () => {
  s3.on(GetBucketVersioningCommand).resolves({});
  expect(await bucketWindowCheck(clients, 'media', 35)).toMatchObject({ status: 'FAIL', fix: expect.stringMatching(/put-bucket-versioning --bucket media/) });
});
