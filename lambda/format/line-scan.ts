/**
 * A fast check of export lines on their bytes: validation reads every line of every data file,
 * and `JSON.parse` of each line (building an object only to throw it away) was 3 to 5 times the
 * cost of reading and gunzipping the file (BENCHMARKS.md, figure 5). This scanner walks the
 * UTF-8 bytes once, allocates nothing, and checks the same things as `checkExportLine` in
 * store/export-reader.ts: JSON syntax, an `Item` map, every attribute value one DynamoDB type with
 * the right payload (S/N strings, B/BS valid padded base64, BOOL a boolean, NULL true, SS/NS
 * string lists, M maps, L lists of values).
 *
 * It is conservative: it says `true` only for a line that `checkExportLine` accepts, and `false`
 * for anything unusual it does not model (escaped keys, duplicate type tags, extra top-level
 * keys). Callers run `checkExportLine` on a line it refuses: that decides, and gives the message.
 *
 * Given the table's key rules it also says `true` only for an item DynamoDB would store by the
 * rules of item-rules.ts that it can see on the bytes: key attributes present, of their type, not
 * empty, within their byte limits; plain numbers of at most 38 characters (always within
 * DynamoDB's precision and range); sets that are not empty and whose members are plainly distinct;
 * at most 32 levels of nesting. Anything else (exponents, long numbers, sets of more than 16
 * members, escapes in string set members) goes to the slow path, where `itemRuleProblem` decides.
 */
import { MAX_NESTING_LEVELS, MAX_SCAN_KEYS, SCAN_TAGS, type ScanKey } from './item-rules';

let b: Buffer = Buffer.alloc(0);
let p = 0;
let e = 0;
/** Maps and lists open around p. */
let level = 0;
/** The type tag and payload length (inside the quotes, for S/N/B) of the value parsed last. */
let lastTag = 0;
let lastLen = 0;
/** Key rules of this line's table, and which of them were seen. */
let keys: readonly ScanKey[] = [];
const keySeen = new Uint8Array(MAX_SCAN_KEYS);
/** Set members seen in one set (start, end pairs), compared pairwise. */
const members: number[] = [];
/** Sets of more members than this go to the slow path (pairwise comparison grows as n^2). */
const MAX_FAST_SET = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function ws(): void {
  // Export lines hold no whitespace between tokens: one comparison in the common case.
  if (p >= e || b[p] > 0x20) return;
  while (p < e) {
    const c = b[p];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
    p++;
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** A JSON string at p (any content). Locals in the loop: module variables are slower to reach. */
function str(): boolean {
  const buf = b;
  const end = e;
  let i = p;
  if (buf[i] !== QUOTE) return false;
  i++;
  while (i < end) {
    const c = buf[i];
    if (c > QUOTE && c !== BACKSLASH) {
      i++;
      continue;
    }
    if (c === QUOTE) {
      p = i + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c === BACKSLASH) {
      const n = buf[i + 1];
      if (n === 0x75) {
        if (i + 5 >= end || !isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) return false;
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (n !== QUOTE && n !== BACKSLASH && n !== 0x2f && n !== 0x62 && n !== 0x66 && n !== 0x6e && n !== 0x72 && n !== 0x74) return false;
      i += 2;
      continue;
    }
    i++;
  }
  return false;
}

/** A JSON string holding a plain decimal of at most 38 characters (`-`, digits, one `.` between digits): always a valid DynamoDB Number. */
function plainNumber(): boolean {
  if (b[p] !== QUOTE) return false;
  let i = p + 1;
  if (b[i] === 0x2d) i++;
  const digitsFrom = i;
  while (i < e && b[i] >= 0x30 && b[i] <= 0x39) i++;
  if (i === digitsFrom) return false;
  if (b[i] === 0x2e) {
    const frac = ++i;
    while (i < e && b[i] >= 0x30 && b[i] <= 0x39) i++;
    if (i === frac) return false;
  }
  if (b[i] !== QUOTE || i - p - 1 > 38) return false;
  p = i + 1;
  return true;
}

/** True when `other` from `at` holds the bytes of b[from, to): a loop, cheaper than Buffer.compare's native call for a few bytes. */
function equalBytes(other: Buffer, at: number, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== other[at + i - from]) return false;
  return true;
}

/** The member parser of the set being read (a module variable: no closure per set). */
let memberItem: () => boolean = () => false;

function member(): boolean {
  const from = p;
  if (!memberItem()) return false;
  members.push(from, p);
  return true;
}

/** The trimmed range of the number {@link trimNumber} read last, and its sign. */
let numFrom = 0;
let numTo = 0;
let numNegative = false;

/** A plain decimal's bytes in [from, to) (quotes included) trimmed to its value: sign, then digits without leading zeroes or trailing fraction zeroes. */
function trimNumber(from: number, to: number): void {
  let i = from + 1;
  let j = to - 1;
  const negative = b[i] === 0x2d;
  if (negative) i++;
  while (i < j - 1 && b[i] === 0x30 && b[i + 1] !== 0x2e) i++;
  let dot = false;
  for (let c = i; c < j && !dot; c++) dot = b[c] === 0x2e;
  if (dot) {
    while (b[j - 1] === 0x30) j--;
    if (b[j - 1] === 0x2e) j--;
  }
  numFrom = i;
  numTo = j;
  numNegative = negative && !(j - i === 1 && b[i] === 0x30);
}

/**
 * A list of set members, not empty, no two members equal: strings by their JSON bytes (an escape
 * goes to the slow path), numbers by value. Binary sets of two or more members go to the slow path
 * (two base64 texts can decode to the same bytes).
 */
function set(item: () => boolean, numbers: boolean): boolean {
  members.length = 0;
  memberItem = item;
  const ok = list(member);
  const n = members.length / 2;
  if (!ok || n === 0) return false;
  if (n === 1) return true;
  if (n > MAX_FAST_SET) return false;
  for (let i = 0; i < members.length; i += 2) {
    let a0 = members[i];
    let a1 = members[i + 1];
    let aNeg = false;
    if (numbers) {
      trimNumber(a0, a1);
      a0 = numFrom;
      a1 = numTo;
      aNeg = numNegative;
    } else {
      // An escape may spell one string two ways: the slow path compares decoded strings.
      for (let c = a0; c < a1; c++) if (b[c] === BACKSLASH) return false;
    }
    for (let j = i + 2; j < members.length; j += 2) {
      let b0 = members[j];
      let b1 = members[j + 1];
      let bNeg = false;
      if (numbers) {
        trimNumber(b0, b1);
        b0 = numFrom;
        b1 = numTo;
        bNeg = numNegative;
      }
      if (aNeg === bNeg && a1 - a0 === b1 - b0 && equalBytes(b, b0, a0, a1)) return false;
    }
  }
  return true;
}

function isB64(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

/** A JSON string holding standard padded base64 (no escapes), as DynamoDB exports write binaries. */
function base64(): boolean {
  if (b[p] !== QUOTE) return false;
  const start = ++p;
  while (p < e && isB64(b[p])) p++;
  let pad = 0;
  while (p < e && b[p] === 0x3d && pad < 2) {
    p++;
    pad++;
  }
  if (b[p] !== QUOTE) return false;
  const len = p - start;
  p++;
  // Same rule as the base64 regex of export-reader.ts: whole quads, `=` only to fill the last one.
  return len % 4 === 0 && (pad === 0 || len >= 4);
}

/** `[` item (`,` item)* `]`, or `[]`. */
function list(item: () => boolean): boolean {
  if (b[p] !== 0x5b) return false;
  p++;
  ws();
  if (b[p] === 0x5d) {
    p++;
    return true;
  }
  for (;;) {
    if (!item()) return false;
    ws();
    const c = b[p++];
    if (c === 0x5d) return true;
    if (c !== 0x2c) return false;
    ws();
  }
}

/** A literal of ASCII bytes at p. */
function lit(text: string): boolean {
  if (p + text.length > e) return false;
  for (let i = 0; i < text.length; i++) if (b[p + i] !== text.charCodeAt(i)) return false;
  p += text.length;
  return true;
}

// Type tags as numbers: no string is built per value.
const T_S = SCAN_TAGS.S;
const T_N = SCAN_TAGS.N;
const T_B = SCAN_TAGS.B;
const T_M = 4;
const T_L = 5;
const T_SS = 6;
const T_NS = 7;
const T_BS = 8;
const T_BOOL = 9;
const T_NULL = 10;

/** The type tag of a value (`"S"`, `"BOOL"`, ...), or 0. */
function tag(): number {
  const buf = b;
  if (buf[p] !== QUOTE) return 0;
  const c1 = buf[p + 1];
  const c2 = buf[p + 2];
  if (c2 === QUOTE) {
    p += 3;
    return c1 === 0x53 ? T_S : c1 === 0x4e ? T_N : c1 === 0x4d ? T_M : c1 === 0x4c ? T_L : c1 === 0x42 ? T_B : 0;
  }
  if (buf[p + 3] === QUOTE && c2 === 0x53) {
    p += 4;
    return c1 === 0x53 ? T_SS : c1 === 0x4e ? T_NS : c1 === 0x42 ? T_BS : 0;
  }
  if (buf[p + 5] === QUOTE) {
    if (lit('"BOOL"')) return T_BOOL;
    if (lit('"NULL"')) return T_NULL;
  }
  return 0;
}

/** One attribute value: `{"<TYPE>": payload}` with exactly one type. */
function value(): boolean {
  if (b[p] !== 0x7b) return false;
  p++;
  ws();
  const t = tag();
  ws();
  if (b[p] !== 0x3a) return false;
  p++;
  ws();
  let ok: boolean;
  const from = p;
  switch (t) {
    case T_S:
      ok = str();
      break;
    case T_N:
      ok = plainNumber();
      break;
    case T_M:
    case T_L:
      if (++level > MAX_NESTING_LEVELS) return false;
      ok = t === T_M ? map(false) : list(value);
      level--;
      break;
    case T_B:
      ok = base64();
      break;
    case T_BOOL:
      ok = lit('true') || lit('false');
      break;
    case T_NULL:
      ok = lit('true');
      break;
    case T_SS:
      ok = set(str, false);
      break;
    case T_NS:
      ok = set(plainNumber, true);
      break;
    case T_BS:
      ok = set(base64, false) && members.length === 2;
      break;
    default:
      return false;
  }
  if (!ok) return false;
  lastTag = t;
  lastLen = p - from - 2;
  ws();
  if (b[p] !== 0x7d) return false;
  p++;
  return true;
}

/** Records a top-level attribute named by bytes [from, to) when it is a key: false when its value breaks the key's rules. */
function key(from: number, to: number): boolean {
  for (let k = 0; k < keys.length; k++) {
    const r = keys[k];
    if (r.name.length !== to - from || !equalBytes(r.name, 0, from, to)) continue;
    if (lastTag !== r.tag || (r.tag !== T_N && (lastLen === 0 || lastLen > r.maxBytes))) return false;
    keySeen[k] = 1;
  }
  return true;
}

/** `{` "name": value, ... `}` (attribute names: any JSON string); `top`: the item's own attributes (keys checked). */
function map(top: boolean): boolean {
  if (b[p] !== 0x7b) return false;
  p++;
  ws();
  if (b[p] === 0x7d) {
    p++;
    return true;
  }
  for (;;) {
    const name = p;
    if (!str()) return false;
    const nameEnd = p;
    ws();
    if (b[p] !== 0x3a) return false;
    p++;
    ws();
    if (!value()) return false;
    if (top && keys.length && !key(name + 1, nameEnd - 1)) return false;
    ws();
    const c = b[p++];
    if (c === 0x7d) return true;
    if (c !== 0x2c) return false;
    ws();
  }
}

/**
 * True when `bytes[start, end)` is one export line `{"Item":{...}}` that `checkExportLine`
 * accepts; false means "check it the slow way", not necessarily "bad".
 */
export function scanExportLine(bytes: Buffer, start: number, end: number, keyRules: readonly ScanKey[] = []): boolean {
  b = bytes;
  p = start;
  e = end;
  level = 0;
  keys = keyRules;
  keySeen.fill(0, 0, keys.length);
  try {
    ws();
    if (!lit('{')) return false;
    ws();
    if (!lit('"Item"')) return false;
    ws();
    if (!lit(':')) return false;
    ws();
    if (!map(true)) return false;
    ws();
    if (!lit('}')) return false;
    ws();
    if (p !== e) return false;
    // Every table key seen (index keys may be absent: sparse indexes).
    for (let k = 0; k < keys.length; k++) if (keys[k].required && !keySeen[k]) return false;
    return true;
  } finally {
    b = EMPTY;
    keys = [];
  }
}

const EMPTY = Buffer.alloc(0);
