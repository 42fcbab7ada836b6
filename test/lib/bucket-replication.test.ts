/**
 * Issue 13 #1: `Custom::ExistingBucketReplication` reads the bucket's replication configuration
 * and merges our rule (or refuses), never replacing someone else's rules. The S3 calls are
 * mocked (aws-sdk-client-mock): no emulator implements bucket replication.
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
import { apply, handler } from '../../lib/custom-resources/bucket-replication/handler';
import { ForeignReplicationError, mergeRule, removeRule } from '../../lib/custom-resources/bucket-replication/rules';
import { client, event, ourRule, properties, putConfigs, ROLE, s3, s3Error } from './bucket-replication-fixture';

const OURS = ourRule();
const FOREIGN: ReplicationRule = {
  ID: 'analytics-copy',
  Priority: 3,
  Status: 'Enabled',
  Filter: { Prefix: 'reports/' },
  DeleteMarkerReplication: { Status: 'Disabled' },
  Destination: { Bucket: 'arn:aws:s3:::analytics' },
};

beforeEach(() => s3.reset());

describe('mergeRule (pure)', () => {
  it('puts our rule alone on a bucket without replication', () => {
    expect(mergeRule('uploads', undefined, ROLE, OURS)).toEqual({ Role: ROLE, Rules: [OURS] });
  });
  it('keeps the other rules of the same role and gives ours a priority no other rule has', () => {
    const merged = mergeRule('uploads', { Role: ROLE, Rules: [FOREIGN] }, ROLE, OURS);
    expect(merged.Rules).toEqual([FOREIGN, { ...OURS, Priority: 4 }]);
  });
  it('replaces an older version of our own rule (same ID) and nothing else', () => {
    const old = { ...OURS, Destination: { Bucket: 'arn:aws:s3:::old' } };
    expect(mergeRule('uploads', { Role: ROLE, Rules: [old] }, ROLE, OURS)).toEqual({ Role: ROLE, Rules: [OURS] });
  });
  it('refuses a bucket that replicates with another role, naming the rules and the fix', () => {
    expect(() => mergeRule('uploads', { Role: 'arn:aws:iam::123456789012:role/theirs', Rules: [FOREIGN] }, ROLE, OURS)).toThrow(
      /bucket "uploads" already replicates \(rules: analytics-copy\) with role arn:aws:iam::123456789012:role\/theirs.*delete-bucket-replication --bucket uploads/,
    );
  });
  it('refuses V1 rules (no Filter), which cannot be mixed with our V2 rule', () => {
    const v1: ReplicationRule = { ID: 'legacy', Prefix: '', Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::x' } };
    expect(() => mergeRule('uploads', { Role: ROLE, Rules: [v1] }, ROLE, OURS)).toThrow(ForeignReplicationError);
  });
  it('removeRule drops only ours, and leaves nothing when ours was the last', () => {
    expect(removeRule({ Role: ROLE, Rules: [FOREIGN, OURS] }, OURS.ID!)).toEqual({ Role: ROLE, Rules: [FOREIGN] });
    expect(removeRule({ Role: ROLE, Rules: [OURS] }, OURS.ID!)).toBeUndefined();
  });
});

describe('Custom::ExistingBucketReplication handler (mocked S3)', () => {
  // The handler warns (console.warn, into the custom resource's log) when it turns versioning on:
  // each test holds the line, and the first reads it.
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'eu-west-1' });
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(GetObjectLockConfigurationCommand).rejects(s3Error('ObjectLockConfigurationNotFoundError'));
  });
  afterEach(() => warn.mockRestore());
  it('create on a bucket without replication (ReplicationConfigurationNotFoundError): versioning, then our rule', async () => {
    s3.on(GetBucketReplicationCommand).rejects(s3Error('ReplicationConfigurationNotFoundError'));
    expect(await apply(client, event('Create'))).toBe('uploads-replication');
    expect(s3.commandCalls(PutBucketVersioningCommand)[0].args[0].input).toEqual({ Bucket: 'uploads', VersioningConfiguration: { Status: 'Enabled' } });
    expect(putConfigs()).toEqual([{ Role: ROLE, Rules: [OURS] }]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/versioning was never enabled and is now Enabled.*billed as storage.*NoncurrentVersionExpiration/);
  });
  it('create on a bucket with other rules of the same role: merges, keeping them', async () => {
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: ROLE, Rules: [FOREIGN] } });
    await apply(client, event('Create'));
    expect(putConfigs()[0]?.Rules?.map((r) => r.ID)).toEqual(['analytics-copy', OURS.ID]);
  });
  it('create on a bucket replicating with another role: fails and puts nothing', async () => {
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: 'arn:aws:iam::1:role/theirs', Rules: [FOREIGN] } });
    await expect(apply(client, event('Create'))).rejects.toThrow(/already replicates/);
    expect(putConfigs()).toEqual([]);
  });
  it('refuses a source with Object Lock that the config calls unlocked (locked objects need a locked replica)', async () => {
    s3.on(GetObjectLockConfigurationCommand).resolves({ ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } });
    await expect(apply(client, event('Create'))).rejects.toThrow(/has S3 Object Lock.*"objectLock": true/);
    expect(putConfigs()).toEqual([]);
  });
  it('accepts a locked source declared with objectLock: true', async () => {
    s3.on(GetObjectLockConfigurationCommand).resolves({ ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } });
    s3.on(GetBucketReplicationCommand).rejects(s3Error('ReplicationConfigurationNotFoundError'));
    await apply(client, event('Create', { ResourceProperties: properties('eu-central-1', true) }));
    expect(putConfigs()).toHaveLength(1);
  });
  it('delete removes only our rule and puts the others back', async () => {
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: ROLE, Rules: [FOREIGN, OURS] } });
    await apply(client, event('Delete'));
    expect(putConfigs()).toEqual([{ Role: ROLE, Rules: [FOREIGN] }]);
    expect(s3.commandCalls(DeleteBucketReplicationCommand)).toHaveLength(0);
  });
  it('delete with our rule alone deletes the configuration', async () => {
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: ROLE, Rules: [OURS] } });
    await apply(client, event('Delete'));
    expect(s3.commandCalls(DeleteBucketReplicationCommand)).toHaveLength(1);
    expect(putConfigs()).toEqual([]);
  });
  it('delete leaves a configuration without our rule untouched', async () => {
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: 'arn:aws:iam::1:role/theirs', Rules: [FOREIGN] } });
    await apply(client, event('Delete'));
    expect(putConfigs()).toEqual([]);
    expect(s3.commandCalls(DeleteBucketReplicationCommand)).toHaveLength(0);
  });
});

describe('Custom::ExistingBucketReplication response to CloudFormation (mocked S3, fetch stubbed)', () => {
  it('answers FAILED with the reason when the bucket replicates with another role, so the stack rolls back with that message', async () => {
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'eu-west-1' });
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(GetObjectLockConfigurationCommand).rejects(s3Error('ObjectLockConfigurationNotFoundError'));
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: 'arn:aws:iam::1:role/theirs', Rules: [FOREIGN] } });
    const fetchMock = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 200 }));
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const region = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1'; // the Lambda's region, read by the handler's client
    try {
      await handler(event('Create'));
      expect(fetchMock).toHaveBeenCalledTimes(1);
      const [url, init] = fetchMock.mock.calls[0];
      expect(url).toBe('https://example.invalid/response');
      expect(init?.method).toBe('PUT');
      const body = JSON.parse(String(init?.body));
      expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'FAILED-CREATE:uploads', RequestId: 'req', LogicalResourceId: 'UploadsReplication' });
      expect(body.Reason).toMatch(/already replicates \(rules: analytics-copy\)/);
    } finally {
      if (region === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = region;
      fetchMock.mockRestore();
      errors.mockRestore();
    }
  });
});
