/**
 * writeItemBatches: the restore's write loop fed a data file's chunk of items at a time.
 * BatchWriteItem is mocked with aws-sdk-client-mock.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { writeItemBatches } from '../../../lambda/restore/restore';

const ddb = mockClient(DynamoDBClient);

/** Chunks of the given sizes, items numbered across them. */
async function* chunks(sizes: number[]): AsyncGenerator<Record<string, AttributeValue>[]> {
  let i = 0;
  for (const n of sizes) yield Array.from({ length: n }, () => ({ pk: { S: `k${i++}` } }));
}

beforeEach(() => ddb.reset());

test('(aws-sdk-client-mock) chunks of any size become full batches of 25 across chunk boundaries', async () => {
  const sizes: number[] = [];
  const seen: string[] = [];
  ddb.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
    sizes.push(input.RequestItems.t.length);
    seen.push(...input.RequestItems.t.map((r) => r.PutRequest!.Item!.pk.S!));
    return {};
  });
  const n = await writeItemBatches(new DynamoDBClient({ region: 'eu-west-1' }), 't', chunks([7, 0, 40, 13, 1]), { concurrency: 2 });
  expect(n).toBe(61);
  expect(sizes).toEqual([25, 25, 11]);
  expect(new Set(seen).size).toBe(61);
});

test('(aws-sdk-client-mock) a failed batch stops the reading and is thrown', async () => {
  let calls = 0;
  ddb.on(BatchWriteItemCommand).callsFake(() => {
    calls++;
    throw Object.assign(new Error('boom'), { name: 'ValidationException' });
  });
  await expect(writeItemBatches(new DynamoDBClient({ region: 'eu-west-1' }), 't', chunks([25, 25, 25, 25, 25]), { concurrency: 1 })).rejects.toThrow(/boom/);
  expect(calls).toBe(1);
});
