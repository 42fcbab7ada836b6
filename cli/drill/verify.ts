/**
 * Item-by-item verification: every item's canonical DynamoDB JSON is hashed (sha256, sets
 * sorted, map keys sorted), so an expected snapshot is one short hash per key and a table is
 * compared with it in one parallel scan.
 */
import { createHash } from 'node:crypto';
import { AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** DynamoDB item in the SDK's AttributeValue form. */
export type Item = Record<string, AttributeValue>;
/** Expected content of one table: canonical key -> item hash. */
export type TableSnapshot = Map<string, string>;

/** Canonical JSON of an AttributeValue: map keys sorted, set members sorted. */
export function canonicalValue(v: AttributeValue): unknown {
  if (v.M) return { M: canonicalItem(v.M) };
  if (v.L) return { L: v.L.map(canonicalValue) };
  if (v.SS) return { SS: [...v.SS].sort() };
  if (v.NS) return { NS: [...v.NS].sort() };
  if (v.BS) return { BS: v.BS.map((b) => Buffer.from(b).toString('base64')).sort() };
  if (v.B) return { B: Buffer.from(v.B).toString('base64') };
  return v;
}

function canonicalItem(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(item).sort()) out[k] = canonicalValue(item[k]);
  return out;
}

/** sha256 (base64, 16 bytes kept: memory is per item) of an item's canonical JSON. */
export function hashItem(item: Item): string {
  return createHash('sha256')
    .update(JSON.stringify(canonicalItem(item)))
    .digest('base64')
    .slice(0, 22);
}

/** Canonical key of an item from its key attribute names. */
export function itemKey(item: Item, keyNames: readonly string[]): string {
  return JSON.stringify(keyNames.map((k) => (item[k] ? canonicalValue(item[k]) : null)));
}

/** Every item of a table, parallel scan (DynamoDB Local slows down with page count: 8 segments). */
export async function forEachItem(dynamodb: DynamoDBClient, table: string, fn: (item: Item) => void, segments = 8): Promise<void> {
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let start: Item | undefined;
      do {
        const res = await dynamodb.send(new ScanCommand({ TableName: table, Segment: segment, TotalSegments: segments, ExclusiveStartKey: start }));
        for (const item of res.Items ?? []) fn(item);
        start = res.LastEvaluatedKey;
      } while (start);
    }),
  );
}

/** A table's current content as a snapshot. */
export async function snapshotTable(dynamodb: DynamoDBClient, table: string, keyNames: readonly string[]): Promise<TableSnapshot> {
  const snap: TableSnapshot = new Map();
  await forEachItem(dynamodb, table, (item) => snap.set(itemKey(item, keyNames), hashItem(item)));
  return snap;
}

/** The outcome of comparing a table with its expected snapshot. */
export interface TableVerification {
  readonly table: string;
  readonly expected: number;
  readonly actual: number;
  readonly matched: number;
  readonly missing: number;
  readonly unexpected: number;
  readonly different: number;
  /** Up to five keys that did not match, for the report. */
  readonly examples: string[];
  readonly ok: boolean;
}

/** Compares one table, item by item, with the expected snapshot. */
export async function verifyTable(dynamodb: DynamoDBClient, table: string, keyNames: readonly string[], expected: TableSnapshot): Promise<TableVerification> {
  const seen = new Set<string>();
  let actual = 0;
  let matched = 0;
  let unexpected = 0;
  let different = 0;
  const examples: string[] = [];
  const note = (s: string) => examples.length < 5 && examples.push(s);
  await forEachItem(dynamodb, table, (item) => {
    actual++;
    const key = itemKey(item, keyNames);
    seen.add(key);
    const want = expected.get(key);
    if (want === undefined) {
      unexpected++;
      note(`unexpected ${key}`);
    } else if (want !== hashItem(item)) {
      different++;
      note(`different ${key}`);
    } else matched++;
  });
  let missing = 0;
  for (const key of expected.keys()) {
    if (!seen.has(key)) {
      missing++;
      note(`missing ${key}`);
    }
  }
  return {
    table,
    expected: expected.size,
    actual,
    matched,
    missing,
    unexpected,
    different,
    examples,
    ok: missing === 0 && unexpected === 0 && different === 0 && matched === expected.size,
  };
}
