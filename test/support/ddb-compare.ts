/**
 * Test helpers: scan a table with the plain SDK and turn its items into DynamoDB JSON (B as
 * base64) the way the export format documents it, for item-by-item comparison. Written
 * separately from the engine on purpose.
 */
import { AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** AttributeValue -> plain JSON with base64 binaries. */
export function plainJson(v: AttributeValue): unknown {
  const [type, value] = Object.entries(v).find(([, x]) => x !== undefined)!;
  switch (type) {
    case 'B':
      return { B: Buffer.from(value as Uint8Array).toString('base64') };
    case 'BS':
      return { BS: (value as Uint8Array[]).map((b) => Buffer.from(b).toString('base64')) };
    case 'M':
      return { M: Object.fromEntries(Object.entries(value as Record<string, AttributeValue>).map(([k, x]) => [k, plainJson(x)])) };
    case 'L':
      return { L: (value as AttributeValue[]).map(plainJson) };
    default:
      return { [type]: value };
  }
}

/** Every item of a table as DynamoDB JSON, keyed by `keyOf`. */
export async function scanAsJson(
  dynamodb: DynamoDBClient,
  table: string,
  keyOf: (item: Record<string, unknown>) => string,
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const json = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plainJson(v)]));
      out.set(keyOf(json), json);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Sorts set members so two equal sets compare equal whatever the order DynamoDB returns. */
export function normalizeSets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizeSets);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o))
      out[k] = (k === 'SS' || k === 'NS' || k === 'BS') && Array.isArray(x) ? [...(x as string[])].sort() : normalizeSets(x);
    return out;
  }
  return v;
}

/** Creates an on-demand table with a string hash key (and optional numeric range key) and waits until ACTIVE. */
export async function createTestTable(dynamodb: DynamoDBClient, table: string, opts: { rangeKey?: string } = {}): Promise<void> {
  const { CreateTableCommand, waitUntilTableExists } = await import('@aws-sdk/client-dynamodb');
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(opts.rangeKey ? [{ AttributeName: opts.rangeKey, AttributeType: 'N' as const }] : []),
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, ...(opts.rangeKey ? [{ AttributeName: opts.rangeKey, KeyType: 'RANGE' as const }] : [])],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: table });
}

/** Writes items with BatchWriteItem, 25 per call, `concurrency` calls at a time, retrying unprocessed items. */
export async function batchWriteAll(
  dynamodb: DynamoDBClient,
  table: string,
  items: Iterable<Record<string, AttributeValue>>,
  concurrency = 16,
): Promise<number> {
  const { BatchWriteItemCommand } = await import('@aws-sdk/client-dynamodb');
  const it = items[Symbol.iterator]();
  let written = 0;
  const worker = async () => {
    for (;;) {
      const batch: Record<string, AttributeValue>[] = [];
      while (batch.length < 25) {
        const r = it.next();
        if (r.done) break;
        batch.push(r.value);
      }
      if (batch.length === 0) return;
      let requests = batch.map((Item) => ({ PutRequest: { Item } }));
      while (requests.length > 0) {
        const res = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = (res.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
      written += batch.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return written;
}
