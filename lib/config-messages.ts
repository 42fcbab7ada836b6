/**
 * The strictness of config loading and its messages: strict objects whose unknown keys name the
 * closest known key, regions checked against the list of aws-cdk-lib's region-info (regions.ts,
 * kept equal by a test, so the CLI never loads aws-cdk-lib), and the line and column of a JSON
 * syntax error.
 */
import { z } from 'zod';
import { KNOWN_REGIONS } from './regions';

/**
 * `z.strictObject` whose unknown keys are reported with their JSON path and the closest known
 * key of the same object.
 */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeysMessage(iss.keys, known, iss.path ?? []) : undefined),
  });
}

/** A region of the config (`label` is `primary` or `recovery`): one aws-cdk-lib knows, or a suggestion. */
export function regionSchema(label: string) {
  return z.string().superRefine((r, ctx) => {
    if (KNOWN_REGIONS.includes(r)) return;
    const near = closest(r, KNOWN_REGIONS);
    ctx.addIssue({
      code: 'custom',
      message: `${label}.region is not an AWS region${near ? `; did you mean "${near}"?` : ''} (the ${KNOWN_REGIONS.length} regions aws-cdk-lib's region-info knows, such as "eu-west-1"; a region newer than it needs a newer aws-cdk-lib)`,
    });
  });
}

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The candidate closest to `word`: a match ignoring case first, else the smallest edit distance
 * if it is at most a third of the word (at least 2); `undefined` when nothing is close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const same = candidates.find((c) => c.toLowerCase() === lower);
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** A JSON path as written in messages: `tables[3].sortkey`. */
export function jsonPath(p: readonly PropertyKey[]): string {
  return p
    .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
    .join('')
    .replace(/^\./, '');
}

/** The message of keys a strict object does not know: each with its path and the closest known key. */
export function unknownKeysMessage(keys: readonly string[], known: readonly string[], at: readonly PropertyKey[]): string {
  return keys
    .map((k) => {
      const near = closest(k, known);
      const where = jsonPath([...at, k]);
      return near
        ? `${where}: unknown setting; did you mean "${near}"? (rename it)`
        : `${where}: unknown setting; the settings here are ${known.join(', ')} (remove it or fix its name)`;
    })
    .join('\n  - ');
}

/** Line and column (1-based) of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Where JSON text first goes wrong, as a character offset and what was expected there: Node 20's
 * JSON.parse messages name the offending token but not always its position.
 */
export function jsonErrorOffset(text: string): { offset: number; expected: string } | undefined {
  let i = 0;
  const fail = (expected: string): never => {
    throw { offset: i, expected };
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('a closing quote (strings cannot span lines)');
      i++;
    }
    if (i >= text.length) fail('a closing quote');
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(text[i] === '}' ? 'another key (no comma after the last entry)' : 'a key in double quotes');
        str();
        ws();
        if (text[i] !== ':') fail('":" after the key');
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        ws();
        if (text[i] === ']' || text[i] === ',') fail('a value (no comma after the last element, none doubled)');
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail('"," or "]"');
      }
    }
    if (c === '"') return str();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail('a value (a string in double quotes, a number, true, false, null, an object or an array)');
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail('the end of the file (one JSON value only)');
    return undefined;
  } catch (e) {
    if (e && typeof e === 'object' && 'offset' in e) return e as { offset: number; expected: string };
    throw e;
  }
}

/**
 * A JSON.parse error as "not valid JSON at line L, column C: <what>". Node's messages give a
 * character position ("... in JSON at position 123 (line 5 column 3)" on newer versions only).
 */
export function jsonSyntaxProblem(text: string, e: Error): string {
  if (text.trim() === '') return 'the file is empty: it must hold a JSON object (start from dr.config.json in the repository root)';
  const found = jsonErrorOffset(text);
  if (!found) return `not valid JSON: ${e.message}`;
  const { line, column } = lineColumn(text, found.offset);
  const got = found.offset < text.length ? `found ${JSON.stringify(text[found.offset])}` : 'found the end of the file';
  return `not valid JSON at line ${line}, column ${column}: expected ${found.expected}, ${got}`;
}
