/**
 * Issue 18 items 5, 9 and 10: `Custom::ExistingBucketReplication` on a first deploy that fails
 * and rolls back, on an Update that changes the recovery region, and on a bucket whose versioning
 * it switches on. S3 is mocked (aws-sdk-client-mock): no emulator implements bucket replication.
 */
import {
  DeleteBucketReplicationCommand,
  GetBucketLocationCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  PutBucketVersioningCommand,
  type ReplicationRule,
} from '@aws-sdk/client-s3';
import { apply, bucketRegion, FAILED_CREATE_MARKER, handler, type CustomResourceEvent } from '../../lib/custom-resources/bucket-replication/handler';
import { client, event, ourRule, properties, putConfigs, ROLE, s3, s3Error } from './bucket-replication-fixture';

beforeEach(() => {
  s3.reset();
  s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'eu-west-1' });
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetObjectLockConfigurationCommand).rejects(s3Error('ObjectLockConfigurationNotFoundError'));
  s3.on(GetBucketReplicationCommand).rejects(s3Error('ReplicationConfigurationNotFoundError'));
});

/** Runs the Lambda entry point in eu-west-1 and returns the body it PUT to CloudFormation. */
async function respond(e: CustomResourceEvent): Promise<{ Status: string; PhysicalResourceId: string; Reason: string }> {
  const fetchMock = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 200 }));
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const region = process.env.AWS_REGION;
  process.env.AWS_REGION = 'eu-west-1';
  try {
    await handler(e);
    return JSON.parse(String(fetchMock.mock.calls[0][1]?.body));
  } finally {
    if (region === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = region;
    fetchMock.mockRestore();
    errors.mockRestore();
  }
}

describe('item 5: a failed Create rolls back cleanly', () => {
  test('a failed Create answers FAILED with the marker physical id', async () => {
    s3.on(GetBucketLocationCommand).rejects(s3Error('NoSuchBucket'));
    const body = await respond(event('Create'));
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${FAILED_CREATE_MARKER}uploads` });
  });
  test("the rollback's Delete of the marker id succeeds and sends S3 nothing (the bucket may be missing, elsewhere or denied)", async () => {
    s3.on(GetBucketReplicationCommand).rejects(s3Error('AccessDenied', 403));
    const body = await respond(event('Delete', { PhysicalResourceId: `${FAILED_CREATE_MARKER}uploads` }));
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${FAILED_CREATE_MARKER}uploads` });
    expect(s3.calls()).toHaveLength(0);
  });
  test('a Delete of a bucket that no longer exists (NoSuchBucket) is done', async () => {
    s3.on(GetBucketReplicationCommand).rejects(s3Error('NoSuchBucket'));
    expect((await respond(event('Delete'))).Status).toBe('SUCCESS');
  });
  test('a bucket in another region is refused before any change, naming both regions and the fix', async () => {
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'us-west-2' });
    await expect(apply(client, event('Create'))).rejects.toThrow(
      /bucket "uploads" is in us-west-2, not in the primary region eu-west-1.*Remove it from dataBuckets, or deploy a dr-stack app whose primary.region is us-west-2/,
    );
    expect(s3.commandCalls(PutBucketVersioningCommand)).toHaveLength(0);
    expect(putConfigs()).toEqual([]);
  });
  test("GetBucketLocation's legacy answers: empty is us-east-1, EU is eu-west-1", () => {
    expect([bucketRegion(undefined), bucketRegion(''), bucketRegion('EU'), bucketRegion('eu-central-1')]).toEqual([
      'us-east-1',
      'us-east-1',
      'eu-west-1',
      'eu-central-1',
    ]);
  });
});

describe('item 9: versioning is read first, after the Object Lock check', () => {
  test('a locked source declared unlocked is refused before versioning is touched', async () => {
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(GetObjectLockConfigurationCommand).resolves({ ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } });
    await expect(apply(client, event('Create'))).rejects.toThrow(/has S3 Object Lock/);
    expect(s3.commandCalls(PutBucketVersioningCommand)).toHaveLength(0);
  });
  test('versioning already on is left alone (no PutBucketVersioning)', async () => {
    await apply(client, event('Create'));
    expect(s3.commandCalls(PutBucketVersioningCommand)).toHaveLength(0);
  });
  test('versioning off is switched on, and the log names the cost and the NoncurrentVersionExpiration rule to add', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await apply(client, event('Create'));
      expect(s3.commandCalls(PutBucketVersioningCommand)).toHaveLength(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/versioning was Suspended and is now Enabled.*billed as storage.*NoncurrentVersionExpiration/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('item 10: an Update that changes the recovery region removes the old rule', () => {
  test('the old rule ID (dr-stack-to-<old region>) is dropped, other rules kept, the new one added', async () => {
    const old = ourRule('eu-central-1');
    const foreign: ReplicationRule = {
      ID: 'analytics',
      Priority: 3,
      Status: 'Enabled',
      Filter: { Prefix: 'r/' },
      DeleteMarkerReplication: { Status: 'Disabled' },
      Destination: { Bucket: 'arn:aws:s3:::a' },
    };
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: ROLE, Rules: [foreign, { ...old, Priority: 4 }] } });
    const e = event('Update', {
      ResourceProperties: properties('eu-north-1'),
      OldResourceProperties: properties('eu-central-1'),
    });
    await apply(client, e);
    expect(putConfigs()[0]?.Rules?.map((r) => r.ID)).toEqual(['analytics', 'dr-stack-to-eu-north-1']);
    expect(s3.commandCalls(DeleteBucketReplicationCommand)).toHaveLength(0);
  });
});
