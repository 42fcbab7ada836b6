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

/** True when a binary (B or BS) is anywhere in the item, maps and lists included. */
export function hasBinary(item: Record<string, AttributeValue>): boolean {
  for (const k in item) if (valueHasBinary(item[k])) return true;
  return false;
}

function valueHasBinary(v: AttributeValue): boolean {
  if (v.S !== undefined || v.N !== undefined) return false;
  if (v.B !== undefined || v.BS !== undefined) return true;
  if (v.M !== undefined) return hasBinary(v.M);
  if (v.L !== undefined) return v.L.some(valueHasBinary);
  return false;
}

/**
 * The export line for an item: `{"Item":{...}}` and a newline.
 *
 * The SDK's AttributeValues are already DynamoDB JSON except for binaries (Uint8Array), so an
 * item without one is stringified as it is; only items holding binaries are copied first. (The
 * copy of every item cost about a sixth of the scan engine's CPU in the benchmark profile.)
 */
export function exportLine(item: Record<string, AttributeValue>): string {
  return hasBinary(item) ? `{"Item":${JSON.stringify(toJsonItem(item))}}\n` : `{"Item":${JSON.stringify(item)}}\n`;
}
