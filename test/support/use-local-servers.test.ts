/**
 * The worker's shared pair is emptied before each suite (test/support/use-local-servers.ts): what
 * one suite left (a table, a bucket with objects) is gone for the next, and s3rver, whose folder
 * was emptied under it, serves the same names again from nothing.
 */
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestTable } from './ddb-compare';
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
  it('runs on the shared pair, emptied through its s3rver folder', () => {
    expect(workerPair()?.s3Directory).toEqual(expect.any(String));
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
    await expect(local.s3.send(new GetObjectCommand({ Bucket: 'left-behind', Key: 'a.json' }))).rejects.toThrow(/NoSuchKey|does not exist/);
  });
});
