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
 */

let b: Buffer = Buffer.alloc(0);
let p = 0;
let e = 0;

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
const T_S = 1;
const T_N = 2;
const T_B = 3;
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
  switch (t) {
    case T_S:
    case T_N:
      ok = str();
      break;
    case T_M:
      ok = map();
      break;
    case T_L:
      ok = list(value);
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
    case T_NS:
      ok = list(str);
      break;
    case T_BS:
      ok = list(base64);
      break;
    default:
      return false;
  }
  if (!ok) return false;
  ws();
  if (b[p] !== 0x7d) return false;
  p++;
  return true;
}

/** `{` "name": value, ... `}` (attribute names: any JSON string). */
function map(): boolean {
  if (b[p] !== 0x7b) return false;
  p++;
  ws();
  if (b[p] === 0x7d) {
    p++;
    return true;
  }
  for (;;) {
    if (!str()) return false;
    ws();
    if (b[p] !== 0x3a) return false;
    p++;
    ws();
    if (!value()) return false;
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
export function scanExportLine(bytes: Buffer, start: number, end: number): boolean {
  b = bytes;
  p = start;
  e = end;
  try {
    ws();
    if (!lit('{')) return false;
    ws();
    if (!lit('"Item"')) return false;
    ws();
    if (!lit(':')) return false;
    ws();
    if (!map()) return false;
    ws();
    if (!lit('}')) return false;
    ws();
    return p === e;
  } finally {
    b = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
