/**
 * How big DynamoDB counts an item, and the request limits of BatchWriteItem.
 *
 * Item size, per "DynamoDB item sizes and formats" (Amazon DynamoDB Developer Guide,
 * CapacityUnitCalculations.html): the sum of the UTF-8 lengths of the attribute names and the
 * sizes of the values; a string is its UTF-8 bytes; a number about 1 byte per two significant
 * digits plus 1 byte (leading and trailing zeroes trimmed); a binary its raw bytes (not the
 * base64 sent); null and Boolean 1 byte; a List or Map 3 bytes plus 1 byte per element plus the
 * elements (a Map's elements with their names). Sets are counted as the sum of their elements.
 * The item limit is 400 KB, attribute names included ("Service, account, and table quotas in
 * Amazon DynamoDB").
 *
 * BatchWriteItem (API reference): "up to 16MB of data over the network, consisting of up to 25
 * item put or delete operations. While individual items can be up to 400 KB once stored, ... an
 * item's representation might be greater than 400KB while being sent in DynamoDB's JSON format";
 * a request whose keys repeat is refused ("Provided list of item keys contains duplicates").
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's maximum item size: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** BatchWriteItem's maximum number of put or delete requests. */
export const MAX_BATCH_ITEMS = 25;
/**
 * What one BatchWriteItem request may carry over the network: 16 MB, taken as 16,000,000 bytes
 * (the smaller reading) less room for the request envelope (table name, brackets).
 */
export const MAX_BATCH_REQUEST_BYTES = 16_000_000 - 64 * 1024;

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Bytes of a number: 1 per two significant digits, plus 1 (plus 1 for the sign, to err high). */
function numberSize(n: string): number {
  const digits = n
    .replace(/[eE].*$/, '')
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1 + (n.startsWith('-') ? 1 : 0);
}

function rawBytes(b: Uint8Array | string): number {
  // Items from our reader hold Uint8Array; a base64 string (DynamoDB JSON) counts as its decoded bytes.
  return typeof b === 'string' ? Math.floor((b.replace(/=+$/, '').length * 3) / 4) : b.byteLength;
}

/** Stored size of one value (without its name), per the documented rules. */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return rawBytes(v.B);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + utf8(x), 0);
  if (v.NS !== undefined) return v.NS.reduce((s, x) => s + numberSize(x), 0);
  if (v.BS !== undefined) return v.BS.reduce((s, x) => s + rawBytes(x), 0);
  if (v.L !== undefined) return v.L.reduce((s, x) => s + 1 + valueSize(x), 3);
  if (v.M !== undefined) {
    let s = 3;
    for (const k in v.M) s += 1 + utf8(k) + valueSize(v.M[k]);
    return s;
  }
  return 0;
}

/** Stored size of an item as DynamoDB counts it against the 400 KB limit. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let s = 0;
  for (const k in item) s += utf8(k) + valueSize(item[k]);
  return s;
}

/**
 * An upper bound of the bytes a value takes in the request's DynamoDB JSON: binaries as base64,
 * numbers as their text, the type tags, quotes and separators (string escapes are not counted:
 * a request still refused as too large is split, see write-items.ts).
 */
function wireValueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S) + 8;
  if (v.N !== undefined) return v.N.length + 8;
  if (v.B !== undefined) return Math.ceil(rawBytes(v.B) / 3) * 4 + 8;
  if (v.BOOL !== undefined) return 13;
  if (v.NULL !== undefined) return 13;
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + utf8(x) + 3, 9);
  if (v.NS !== undefined) return v.NS.reduce((s, x) => s + x.length + 3, 9);
  if (v.BS !== undefined) return v.BS.reduce((s, x) => s + Math.ceil(rawBytes(x) / 3) * 4 + 3, 9);
  if (v.L !== undefined) return v.L.reduce((s, x) => s + 1 + wireValueSize(x), 8);
  if (v.M !== undefined) return wireItemSize(v.M) + 8;
  return 16;
}

/** An upper bound of an item's bytes in a BatchWriteItem request (its PutRequest included). */
export function wireItemSize(item: Record<string, AttributeValue>): number {
  let s = 32;
  for (const k in item) s += utf8(k) + 4 + wireValueSize(item[k]);
  return s;
}

/** The key of an item for messages: `{"pk":"a","sk":"1"}` from the key attributes, or the first attributes. */
export function describeKey(item: Record<string, AttributeValue>, keyNames?: readonly string[]): string {
  const names = keyNames?.length ? keyNames : Object.keys(item).slice(0, 2);
  const shown = names.map((n) => {
    const v = item[n];
    const raw = v?.S ?? v?.N ?? (v?.B !== undefined ? `<binary ${rawBytes(v.B)} bytes>` : '?');
    return `${JSON.stringify(n)}:${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw)}`;
  });
  return `{${shown.join(',')}}`;
}

/** The message for an item DynamoDB cannot store; `undefined` when it fits. */
export function oversizeItemProblem(item: Record<string, AttributeValue>, keyNames?: readonly string[]): string | undefined {
  const size = itemSize(item);
  if (size <= MAX_ITEM_BYTES) return undefined;
  return (
    `item ${describeKey(item, keyNames)} is ${size} bytes, over DynamoDB's 400 KB item limit (${MAX_ITEM_BYTES} bytes, attribute names included): ` +
    'DynamoDB cannot store it, so the set was edited or comes from elsewhere; remove or shrink that item, or restore the other tables with --tables'
  );
}
