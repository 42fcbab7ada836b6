/**
 * Items as DynamoDB JSON, the way DynamoDB's export writes them: the low-level AttributeValue
 * shapes, numbers as strings (all 38 digits kept), binaries as base64.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** JSON-safe AttributeValue: B and BS as base64 strings. */
export type JsonAttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { M: Record<string, JsonAttributeValue> }
  | { L: JsonAttributeValue[] }
  | { NULL: true }
  | { BOOL: boolean };

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

/** One AttributeValue from the SDK as DynamoDB JSON. */
export function toJsonValue(v: AttributeValue): JsonAttributeValue {
  if (v.S !== undefined) return { S: v.S };
  if (v.N !== undefined) return { N: v.N };
  if (v.B !== undefined) return { B: b64(v.B) };
  if (v.SS !== undefined) return { SS: v.SS };
  if (v.NS !== undefined) return { NS: v.NS };
  if (v.BS !== undefined) return { BS: v.BS.map(b64) };
  if (v.M !== undefined) return { M: toJsonItem(v.M) };
  if (v.L !== undefined) return { L: v.L.map(toJsonValue) };
  if (v.NULL !== undefined) return { NULL: true };
  if (v.BOOL !== undefined) return { BOOL: v.BOOL };
  throw new Error(`unsupported attribute value ${JSON.stringify(Object.keys(v))}`);
}

/** An item from Scan as DynamoDB JSON. */
export function toJsonItem(item: Record<string, AttributeValue>): Record<string, JsonAttributeValue> {
  const out: Record<string, JsonAttributeValue> = {};
  for (const [k, v] of Object.entries(item)) out[k] = toJsonValue(v);
  return out;
}

/** The export line for an item: `{"Item":{...}}` and a newline. */
export function exportLine(item: Record<string, AttributeValue>): string {
  return `${JSON.stringify({ Item: toJsonItem(item) })}\n`;
}
