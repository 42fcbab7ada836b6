/**
 * The restore's BatchWriteItem loop (writeItems). DynamoDB Local never returns UnprocessedItems,
 * so throttling is simulated with aws-sdk-client-mock.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { writeItems } from '../../../lambda/restore/restore';

const ddb = mockClient(DynamoDBClient);

async function* items(n: number): AsyncGenerator<Record<string, AttributeValue>> {
  for (let i = 0; i < n; i++) yield { pk: { S: `k${i}` } };
}

beforeEach(() => ddb.reset());

test('(aws-sdk-client-mock) 25 items per batch, unprocessed items retried until written', async () => {
  const written = new Set<string>();
  let calls = 0;
  ddb.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
    calls++;
    const reqs = input.RequestItems.t;
    expect(reqs.length).toBeLessThanOrEqual(25);
    // Every call leaves its last two items unprocessed (throttling), until only two are left.
    const done = reqs.length > 2 ? reqs.slice(0, -2) : reqs;
    done.forEach((r) => written.add(r.PutRequest!.Item!.pk.S!));
    return { UnprocessedItems: reqs.length > 2 ? { t: reqs.slice(-2) } : {} };
  });
  const progress: number[] = [];
  const n = await writeItems(new DynamoDBClient({ region: 'eu-west-1' }), 't', items(260), {
    baseDelayMs: 1,
    concurrency: 4,
    onItems: (w) => progress.push(w),
  });
  expect(n).toBe(260);
  expect(written.size).toBe(260);
  expect(calls).toBe(22); // 11 batches (10 x 25 + 10), each once more for its 2 unprocessed items
  expect(progress.at(-1)).toBe(260);
});

test('(aws-sdk-client-mock) gives up after maxRetries with a message that names the table and the fix', async () => {
  ddb.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => ({ UnprocessedItems: input.RequestItems }));
  await expect(writeItems(new DynamoDBClient({ region: 'eu-west-1' }), 't', items(30), { baseDelayMs: 1, maxRetries: 3 })).rejects.toThrow(
    /BatchWriteItem into "t": \d+ items still unprocessed after 3 retries .*lower --concurrency/,
  );
});

test('(aws-sdk-client-mock) never more than `concurrency` batches in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  ddb.on(BatchWriteItemCommand).callsFake(async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    // One turn of the event loop: every batch the writer sends at once is in flight by then.
    await new Promise((r) => setImmediate(r));
    inFlight--;
    return {};
  });
  await writeItems(new DynamoDBClient({ region: 'eu-west-1' }), 't', items(25 * 40), { concurrency: 3 });
  expect(peak).toBe(3);
});
