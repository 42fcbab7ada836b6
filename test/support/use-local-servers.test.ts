/**
 * The worker's shared pair is emptied before each suite (test/support/use-local-servers.ts): what
 * one suite left (a table, a bucket with objects) is gone for the next, and s3rver, whose folder
 * was emptied under it, serves the same names again from nothing.
 */
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestTable } from './ddb-compare';
import { attachLocalServers, localServerEnv } from '../../cli/support/local-servers';
import { workerPair } from './shared-servers';
import { useLocalServers } from './use-local-servers';

describe('a suite leaves a table and a bucket with objects behind', () => {
  const local = useLocalServers({ buckets: ['left-behind'] });
  it('writes them', async () => {
    await createTestTable(local.dynamodb, 'left-table');
    for (const key of ['a.json', 'deep/b/c.json']) await local.s3.send(new PutObjectCommand({ Bucket: 'left-behind', Key: key, Body: '{}' }));
    expect((await local.s3.send(new ListObjectsV2Command({ Bucket: 'left-behind' }))).KeyCount).toBe(2);
  });
});

describe('the next suite on the worker', () => {
  const local = useLocalServers();
  it('runs on the shared pair, emptied through its s3rver folder (RGW, under DR_LOCAL_S3=rgw, has none)', () => {
    expect(workerPair()?.s3Directory).toEqual(process.env.DR_LOCAL_S3 === 'rgw' ? undefined : expect.any(String));
    expect(local.servers.pids).toEqual(workerPair()!.pids);
  });
  it('sees no table and no bucket of the suite before', async () => {
    expect((await local.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    await expect(local.dynamodb.send(new DescribeTableCommand({ TableName: 'left-table' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await local.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });
  it('can create the same bucket again, and it is empty', async () => {
    await local.s3.send(new CreateBucketCommand({ Bucket: 'left-behind' }));
    expect((await local.s3.send(new ListObjectsV2Command({ Bucket: 'left-behind' }))).KeyCount).toBe(0);
    // 404 on either engine (RGW's answer has no error code the SDK can read after the bucket came back).
    await expect(local.s3.send(new GetObjectCommand({ Bucket: 'left-behind', Key: 'a.json' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});

describe("the S3 engine's own variables (localServerEnv)", () => {
  const pair = {
    dynamodbEndpoint: 'http://127.0.0.1:1',
    s3Endpoint: 'http://127.0.0.1:2',
    s3Credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    pids: { dynamodb: 1, s3: 2 },
  };
  it("RGW's pair (DR_LOCAL_S3=rgw) turns conditional writes off for every client, in and out of the process", () => {
    const rgwPair = { ...pair, s3Env: { DR_S3_CONDITIONAL_WRITES: 'off' } };
    expect(localServerEnv(rgwPair)).toMatchObject({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2', DR_S3_CONDITIONAL_WRITES: 'off' });
    const attached = attachLocalServers(rgwPair);
    expect(attached.env.DR_S3_CONDITIONAL_WRITES).toBe('off');
    expect(attached.s3Env).toEqual({ DR_S3_CONDITIONAL_WRITES: 'off' });
  });
  it("s3rver's pair adds nothing: the code under test sends its preconditions", () => {
    expect(localServerEnv({ ...pair, s3Directory: '/tmp/x' })).not.toHaveProperty('DR_S3_CONDITIONAL_WRITES');
  });
});
