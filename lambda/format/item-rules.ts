/**
 * DynamoDB's rules for one item, checked before any write (restore) and by `dr validate`, so a
 * forged or damaged set is named item by item instead of failing at DynamoDB with raw text.
 *
 * The rules, from the Amazon DynamoDB Developer Guide:
 * - "Supported data types and naming rules": a Number has up to 38 digits of precision, positive
 *   range 1E-130 to 9.9999999999999999999999999999999999999E+125, negative the same mirrored
 *   (leading and trailing zeroes trimmed); "DynamoDB does not support empty sets", and "each value
 *   within a set must be unique" (empty strings and binaries are allowed inside a set).
 * - "Constraints" (ServiceQuotas): a partition key value is 1 to 2048 bytes, a sort key value 1 to
 *   1024 bytes; nested attributes up to 32 levels deep; an item at most 400 KB (item-size.ts).
 * - Key attributes: every item holds the table's partition key (and sort key) with the type the
 *   attribute definitions give; an index key attribute may be absent (a sparse index) but when
 *   present must have its defined type and must not be empty.
 *
 * Depth is counted as DynamoDB's "levels": a Map or List that is a top-level attribute is level 1,
 * a Map or List inside it level 2, and so on.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableSchema } from './backup-set';
import { describeKey, oversizeItemProblem } from './item-size';

/** DynamoDB's nesting limit for Maps and Lists. */
export const MAX_NESTING_LEVELS = 32;
/** Significant digits a Number may have. */
export const MAX_NUMBER_DIGITS = 38;
/** Byte limits of key values: partition key, sort key. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

/** One key attribute an item is checked against. */
export interface KeyRule {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
  /** `partition` (HASH) or `sort` (RANGE). */
  readonly role: 'partition' | 'sort';
  /** The index whose key it is; absent for the table's own key (which every item must hold). */
  readonly index?: string;
}

/** The key rules of a saved schema: the table's keys first, then each index key not already a table key. */
export function keyRules(schema: Pick<TableSchema, 'keySchema' | 'attributeDefinitions'> & Partial<TableSchema>): KeyRule[] {
  const types = new Map((schema.attributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
  const rules: KeyRule[] = [];
  const add = (k: { AttributeName: string; KeyType: string }, index?: string) => {
    const type = types.get(k.AttributeName);
    if (!type || rules.some((r) => r.name === k.AttributeName)) return;
    rules.push({ name: k.AttributeName, type, role: k.KeyType === 'HASH' ? 'partition' : 'sort', ...(index ? { index } : {}) });
  };
  for (const k of schema.keySchema ?? []) add(k);
  for (const i of [...(schema.globalSecondaryIndexes ?? []), ...(schema.localSecondaryIndexes ?? [])]) for (const k of i.KeySchema) add(k, i.IndexName);
  return rules;
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** What DynamoDB would refuse in a Number's text; undefined when it is a valid Number. */
export function numberProblem(n: string): string | undefined {
  const m = NUMBER.exec(n);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return `"${n}" is not a number`;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const first = digits.search(/[1-9]/);
  if (first === -1) return undefined; // zero
  const significant = digits.slice(first).replace(/0+$/, '');
  if (significant.length > MAX_NUMBER_DIGITS) return `number ${short(n)} has ${significant.length} significant digits, over DynamoDB's ${MAX_NUMBER_DIGITS}`;
  // The decimal exponent of the first significant digit: d.ddd x 10^adjusted.
  const adjusted = m[2].length - 1 - first + Number(m[4] ?? 0);
  if (adjusted > 125 || adjusted < -130) return `number ${short(n)} is outside DynamoDB's range (magnitude 1E-130 to 9.99...E+125)`;
  return undefined;
}

/** A number's value as a comparable string (sign, significant digits, exponent), for set duplicates. */
export function numberIdentity(n: string): string {
  const m = NUMBER.exec(n);
  if (!m) return n;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const first = digits.search(/[1-9]/);
  if (first === -1) return '0';
  return `${m[1] === '-' ? '-' : ''}${digits.slice(first).replace(/0+$/, '')}e${m[2].length - 1 - first + Number(m[4] ?? 0)}`;
}

const short = (s: string): string => (s.length > 60 ? `"${s.slice(0, 57)}..."` : `"${s}"`);
const bytesOf = (b: Uint8Array | string): Buffer => (typeof b === 'string' ? Buffer.from(b, 'base64') : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The type tag of a value (`S`, `N`, `M`, ...). */
function typeOf(v: AttributeValue): string {
  for (const t of ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'] as const) if (v[t] !== undefined) return t;
  return '?';
}

function duplicateIn(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}

/** What is wrong with a value at `path` (nested `level` deep), or undefined. */
function valueProblem(v: AttributeValue, path: string, level: number): string | undefined {
  if (v.N !== undefined) {
    const p = numberProblem(v.N);
    return p && `attribute ${path}: ${p}`;
  }
  const set = v.SS ?? v.NS ?? v.BS;
  if (set !== undefined) {
    const tag = typeOf(v);
    if (set.length === 0) return `attribute ${path}: empty ${tag} set (DynamoDB does not support empty sets)`;
    if (v.NS) for (const n of v.NS) if (numberProblem(n)) return `attribute ${path}: ${numberProblem(n)}`;
    const ids = v.SS ?? v.NS?.map(numberIdentity) ?? v.BS!.map((b) => bytesOf(b).toString('base64'));
    const dup = duplicateIn(ids);
    if (dup !== undefined) return `attribute ${path}: ${tag} set holds ${short(dup)} twice (each value in a set must be unique)`;
    return undefined;
  }
  if (v.M !== undefined || v.L !== undefined) {
    if (level > MAX_NESTING_LEVELS) return `attribute ${path} is nested ${level} levels deep, over DynamoDB's ${MAX_NESTING_LEVELS}`;
    if (v.M) {
      for (const k in v.M) {
        const p = valueProblem(v.M[k], `${path}.${k}`, level + 1);
        if (p) return p;
      }
    } else {
      for (let i = 0; i < v.L!.length; i++) {
        const p = valueProblem(v.L![i], `${path}[${i}]`, level + 1);
        if (p) return p;
      }
    }
  }
  return undefined;
}

/** What is wrong with a key attribute's value, or undefined (a missing index key is allowed). */
function keyProblem(item: Record<string, AttributeValue>, r: KeyRule): string | undefined {
  const owner = r.index ? `index "${r.index}"'s ${r.role} key` : `the table's ${r.role} key`;
  const v = item[r.name];
  if (v === undefined) return r.index ? undefined : `${owner} "${r.name}" is missing`;
  const tag = typeOf(v);
  if (tag !== r.type) return `${owner} "${r.name}" is of type ${tag}, the table defines it as ${r.type}`;
  const size = r.type === 'S' ? Buffer.byteLength(v.S!, 'utf8') : r.type === 'B' ? bytesOf(v.B!).length : 1;
  if (size === 0) return `${owner} "${r.name}" is empty (a key value is at least 1 byte)`;
  const max = r.role === 'partition' ? MAX_PARTITION_KEY_BYTES : MAX_SORT_KEY_BYTES;
  if (size > max) return `${owner} "${r.name}" is ${size} bytes, over DynamoDB's ${max}`;
  return undefined;
}

/**
 * What DynamoDB would refuse in this item (the first thing found), naming the item by its key;
 * undefined when DynamoDB would store it.
 */
export function itemRuleProblem(item: Record<string, AttributeValue>, rules: readonly KeyRule[]): string | undefined {
  const names = rules.filter((r) => !r.index).map((r) => r.name);
  for (const r of rules) {
    const p = keyProblem(item, r);
    if (p) return `item ${describeKey(item, names)}: ${p}`;
  }
  for (const k in item) {
    const p = valueProblem(item[k], k, 1);
    if (p) return `item ${describeKey(item, names)}: ${p}`;
  }
  return oversizeItemProblem(item, names);
}

/** The scanner's numbers for the key types (format/line-scan.ts tags values with them). */
export const SCAN_TAGS = { S: 1, N: 2, B: 3 } as const;
/** Key attributes the scanner tracks per line (a table has far fewer). */
export const MAX_SCAN_KEYS = 64;

/** A key rule as format/line-scan.ts compares it on the bytes: the name as it appears between quotes, the tag, the byte limit. */
export interface ScanKey {
  readonly name: Buffer;
  readonly tag: number;
  readonly maxBytes: number;
  readonly required: boolean;
}

/** The scanner's form of a table's key rules. */
export function scanKeys(rules: readonly KeyRule[]): ScanKey[] {
  if (rules.length > MAX_SCAN_KEYS) throw new Error(`${rules.length} key attributes: the line scanner handles ${MAX_SCAN_KEYS}`);
  return rules.map((r) => ({
    name: Buffer.from(JSON.stringify(r.name).slice(1, -1), 'utf8'),
    tag: SCAN_TAGS[r.type],
    // JSON text is at least as long as the UTF-8 string it spells, base64 4/3 of its bytes: longer goes to the slow path.
    maxBytes: r.role === 'partition' ? MAX_PARTITION_KEY_BYTES : MAX_SORT_KEY_BYTES,
    required: !r.index,
  }));
}

/** The fix said after a data error: the set holds an item no DynamoDB table can store. */
export const DATA_ERROR_FIX =
  'DynamoDB cannot store that item, so the set was edited or comes from elsewhere and no rerun or --resume can write it: restore another set that "dr validate" passes, or restore the other tables with --tables';
