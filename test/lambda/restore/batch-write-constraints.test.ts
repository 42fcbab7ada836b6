/**
 * The constraints of every BatchWriteItem request the restore sends (mocked DynamoDB with
 * aws-sdk-client-mock: the requests are inspected, not executed). DynamoDB's documented limits:
 * at most 25 put requests, at most 16 MB over the network, no key twice in one request, items
 * at most 400 KB (see lambda/format/item-size.ts for the AWS pages).
 */
import { mockClient } from 'aws-sdk-client-mock';
import { AttributeValue, BatchWriteItemCommand, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { writeItemBatches } from '../../../lambda/restore/write-items';
import { itemSize, MAX_ITEM_BYTES, wireItemSize } from '../../../lambda/format/item-size';

const ddb = mockClient(DynamoDBClient);
const client = () => new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

type Item = Record<string, AttributeValue>;
async function* chunks(...arrays: Item[][]): AsyncGenerator<Item[]> {
  for (const a of arrays) yield a;
}
const big = (pk: string, bytes: number): Item => ({ pk: { S: pk }, payload: { S: 'x'.repeat(bytes) } });

/** The request body as the SDK sends it (DynamoDB JSON; binaries as base64). */
const requestBytes = (input: { RequestItems: Record<string, WriteRequest[]> }, binary = false) =>
  Buffer.byteLength(JSON.stringify(input, binary ? (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v) : undefined));

let requests: { RequestItems: Record<string, WriteRequest[]> }[];
beforeEach(() => {
  ddb.reset();
  requests = [];
  ddb.on(BatchWriteItemCommand).callsFake((input) => {
    requests.push(input);
    return {};
  });
});

test('(mocked BatchWriteItem) items far bigger on the wire than stored: every request holds at most 25 items and 16 MB, all items sent once', async () => {
  // A list of 60,000 NULLs is 120 KB stored (1 + 1 byte each) but 840 KB of DynamoDB JSON
  // ({"NULL":true}, 14 bytes each): 25 of them would be a 21 MB request, which DynamoDB refuses.
  const nulls: AttributeValue[] = Array.from({ length: 60_000 }, () => ({ NULL: true }));
  const items = Array.from({ length: 30 }, (_, i): Item => ({ pk: { S: `k${i}` }, l: { L: nulls } }));
  expect(itemSize(items[0])).toBeLessThan(MAX_ITEM_BYTES);
  const n = await writeItemBatches(client(), 't', chunks(items.slice(0, 7), items.slice(7)), { concurrency: 4, keyAttributes: ['pk'] });
  expect(n).toBe(30);
  for (const r of requests) {
    expect(r.RequestItems.t.length).toBeLessThanOrEqual(25);
    expect(requestBytes(r)).toBeLessThanOrEqual(16_000_000);
  }
  expect(requests.flatMap((r) => r.RequestItems.t.map((w) => w.PutRequest!.Item!.pk.S)).sort()).toEqual(items.map((i) => i.pk.S).sort());
});

test('(mocked BatchWriteItem) 100 small items go in full requests of 25', async () => {
  await writeItemBatches(client(), 't', chunks(Array.from({ length: 100 }, (_, i) => big(`s${i}`, 100))), { keyAttributes: ['pk'] });
  expect(requests.map((r) => r.RequestItems.t.length)).toEqual([25, 25, 25, 25]);
});

test('(mocked BatchWriteItem) 390 KB binaries (520 KB as base64 on the wire) never make a request over 16 MB', async () => {
  const items = Array.from({ length: 50 }, (_, i): Item => ({ pk: { S: `b${i}` }, blob: { B: new Uint8Array(390 * 1024).fill(i) } }));
  await writeItemBatches(client(), 't', chunks(items), { keyAttributes: ['pk'] });
  for (const r of requests) expect(requestBytes(r, true)).toBeLessThanOrEqual(16_000_000);
  expect(requests.reduce((s, r) => s + r.RequestItems.t.length, 0)).toBe(50);
});

test('(mocked BatchWriteItem) no request holds the same key twice; the later item wins, as two puts would', async () => {
  const items: Item[] = [
    { pk: { S: 'a' }, v: { N: '1' } },
    { pk: { S: 'b' }, v: { N: '1' } },
    { pk: { S: 'a' }, v: { N: '2' } },
  ];
  await writeItemBatches(client(), 't', chunks(items), { keyAttributes: ['pk'] });
  for (const r of requests) {
    const keys = r.RequestItems.t.map((w) => w.PutRequest!.Item!.pk.S);
    expect(new Set(keys).size).toBe(keys.length);
  }
  const sent = requests.flatMap((r) => r.RequestItems.t.map((w) => w.PutRequest!.Item!));
  expect(sent.find((i) => i.pk.S === 'a')?.v.N).toBe('2');
});

test('(mocked BatchWriteItem) an item over 400 KB is refused before any request, naming its key', async () => {
  const items = [big('ok-1', 1000), big('huge-7', 401 * 1024)];
  await expect(writeItemBatches(client(), 't', chunks(items), { keyAttributes: ['pk'] })).rejects.toThrow(
    /item \{"pk":"huge-7"\} is \d+ bytes, over DynamoDB's 400 KB item limit \(409600 bytes, attribute names included\)/,
  );
  expect(requests).toHaveLength(0);
});

test('(mocked BatchWriteItem) HTTP 413 (the SDK says UnknownError) splits the request; one item refused so is named', async () => {
  ddb.reset();
  const seen: number[] = [];
  ddb.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
    seen.push(input.RequestItems.t.length);
    if (input.RequestItems.t.length > 5 || input.RequestItems.t.some((w) => w.PutRequest!.Item!.pk.S === 'bad'))
      throw Object.assign(new Error('UnknownError'), { name: 'UnknownError', $metadata: { httpStatusCode: 413 } });
    return {};
  });
  const ok = Array.from({ length: 20 }, (_, i) => big(`k${i}`, 10));
  expect(await writeItemBatches(client(), 't', chunks(ok), { keyAttributes: ['pk'] })).toBe(20);
  expect(seen[0]).toBe(20);
  await expect(writeItemBatches(client(), 't', chunks([big('bad', 10)]), { keyAttributes: ['pk'] })).rejects.toThrow(
    /the request for item \{"pk":"bad"\} was refused as too large \(HTTP 413\)/,
  );
});

test('item size follows the documented rules: names, UTF-8 strings, numbers by digits, raw binary, list/map overhead', () => {
  expect(itemSize({ ab: { S: 'héllo' } })).toBe(2 + 6);
  expect(itemSize({ n: { N: '12345' } })).toBe(1 + 3 + 1);
  expect(itemSize({ n: { N: '-0.00120' } })).toBe(1 + 1 + 1 + 1);
  expect(itemSize({ b: { B: new Uint8Array(10) } })).toBe(1 + 10);
  expect(itemSize({ f: { BOOL: true }, z: { NULL: true } })).toBe(2 + 2);
  expect(itemSize({ m: { M: { a: { S: 'xy' } } }, l: { L: [{ S: 'q' }] } })).toBe(1 + 3 + 1 + 1 + 2 + (1 + 3 + 1 + 1));
  // The request form is never smaller than the stored size (the oversize check relies on it).
  const item: Item = { pk: { S: 'a' }, n: { N: '123' }, b: { B: new Uint8Array(9) }, l: { L: [{ NULL: true }, { M: {} }] }, ss: { SS: ['x', 'y'] } };
  expect(wireItemSize(item)).toBeGreaterThanOrEqual(itemSize(item));
  expect(MAX_ITEM_BYTES).toBe(409600);
});
