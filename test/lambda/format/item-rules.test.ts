/**
 * DynamoDB's item rules (format/item-rules.ts, issue #23 defect 10): each rule refuses the item
 * that breaks it with a message naming the item and the attribute; the byte scanner of validate's
 * fast path never accepts such an item (it hands it to the slow path, which decides); and
 * LineCheck reports it as a data error with its line number, escaped type tags included.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { itemRuleProblem, keyRules, numberProblem, scanKeys } from '../../../lambda/format/item-rules';
import { scanExportLine } from '../../../lambda/format/line-scan';
import { exportLine } from '../../../lambda/format/dynamodb-json';
import { LineCheck } from '../../../lambda/validate/line-check';
import { FIXTURE_SCHEMA, makeItems } from '../../support/native-export-fixture';

const rules = keyRules(FIXTURE_SCHEMA);
const keys = scanKeys(rules);
const scan = (line: string) => {
  const buf = Buffer.from(line);
  return scanExportLine(buf, 0, buf.length, keys);
};
const good = (extra: Record<string, AttributeValue> = {}): Record<string, AttributeValue> => ({ pk: { S: 'a' }, sk: { N: '1' }, ...extra });
const nested = (levels: number): AttributeValue => (levels === 1 ? { M: { leaf: { S: 'x' } } } : { M: { in: nested(levels - 1) } });

test('the fixture schema gives the table keys (required) and the index key (optional)', () => {
  expect(rules).toEqual([
    { name: 'pk', type: 'S', role: 'partition' },
    { name: 'sk', type: 'N', role: 'sort' },
    { name: 'name', type: 'S', role: 'partition', index: 'byName' },
  ]);
});

test('items that exports really hold pass both the rules and the scanner', () => {
  for (const item of makeItems(50)) {
    expect(itemRuleProblem(item, rules)).toBeUndefined();
    expect(scan(exportLine(item))).toBe(true);
  }
  expect(itemRuleProblem(good({ deep: nested(32) }), rules)).toBeUndefined();
  expect(itemRuleProblem(good({ n: { N: '9.9999999999999999999999999999999999999E+125' }, m: { N: '-1E-130' } }), rules)).toBeUndefined();
  expect(itemRuleProblem(good({ ss: { SS: ['', 'x'] } }), rules)).toBeUndefined();
});

test.each<[string, Record<string, AttributeValue>, RegExp]>([
  ['a missing sort key', { pk: { S: 'a' } }, /item \{"pk":"a","sk":"\?"\}: the table's sort key "sk" is missing/],
  ['a missing partition key', { sk: { N: '1' } }, /the table's partition key "pk" is missing/],
  ['a key of the wrong type', { pk: { N: '7' }, sk: { N: '1' } }, /the table's partition key "pk" is of type N, the table defines it as S/],
  ['an empty string key', good({ pk: { S: '' } }), /the table's partition key "pk" is empty \(a key value is at least 1 byte\)/],
  ['a partition key over 2048 bytes', good({ pk: { S: 'k'.repeat(2049) } }), /partition key "pk" is 2049 bytes, over DynamoDB's 2048/],
  ['an index key of the wrong type', good({ name: { N: '3' } }), /index "byName"'s partition key "name" is of type N, the table defines it as S/],
  ['an empty index key', good({ name: { S: '' } }), /index "byName"'s partition key "name" is empty/],
  [
    'a number of 39 significant digits',
    good({ n: { N: '123456789012345678901234567890123456789' } }),
    /attribute n: number .* has 39 significant digits, over DynamoDB's 38/,
  ],
  ['a number over 9.99E+125', good({ n: { N: '1E+126' } }), /attribute n: number "1E\+126" is outside DynamoDB's range/],
  ['a number under 1E-130', good({ n: { N: '-1E-131' } }), /attribute n: number "-1E-131" is outside DynamoDB's range/],
  ['text as a number', good({ n: { N: '12abc' } }), /attribute n: "12abc" is not a number/],
  ['an empty string set', good({ s: { SS: [] } }), /attribute s: empty SS set \(DynamoDB does not support empty sets\)/],
  ['a duplicate in a string set', good({ s: { SS: ['x', 'y', 'x'] } }), /attribute s: SS set holds "x" twice/],
  ['equal numbers in a number set', good({ s: { NS: ['1', '1.0'] } }), /attribute s: NS set holds "1e0" twice/],
  ['a duplicate in a binary set', good({ s: { BS: [Buffer.from('ab'), Buffer.from('ab')] } }), /attribute s: BS set holds "YWI=" twice/],
  ['33 levels of maps', good({ deep: nested(33) }), /attribute deep(\.in){32} is nested 33 levels deep, over DynamoDB's 32/],
  ['a bad number deep in a list', good({ l: { L: [{ S: 'x' }, { M: { n: { N: '1e999' } } }] } }), /attribute l\[1\]\.n: number "1e999" is outside/],
  ['an item over 400 KB', good({ body: { S: 'x'.repeat(410 * 1024) } }), /item \{"pk":"a","sk":"1"\} is \d+ bytes, over DynamoDB's 400 KB item limit/],
])('refuses %s, naming the item and the attribute; the scanner never accepts it', (_name, item, message) => {
  expect(itemRuleProblem(item, rules)).toMatch(message);
  // The scanner may not see size (checked apart for long lines); for every other rule it must refuse.
  if (!/400 KB/.test(message.source)) expect(scan(exportLine(item))).toBe(false);
});

test('numbers: precision counts significant digits only; zero in any spelling is valid', () => {
  expect(numberProblem('0.000')).toBeUndefined();
  expect(numberProblem('-0')).toBeUndefined();
  expect(numberProblem(`1${'0'.repeat(100)}`)).toBeUndefined();
  expect(numberProblem(`0.${'0'.repeat(100)}1`)).toBeUndefined();
  expect(numberProblem('.')).toMatch(/not a number/);
  expect(numberProblem('')).toMatch(/not a number/);
});

describe('LineCheck (what dr validate runs on every line)', () => {
  const check = (lines: string[]) => {
    const c = new LineCheck(rules);
    c.push(Buffer.from(`${lines.join('\n')}\n`));
    c.end();
    return c;
  };

  test('a data error is named with its line number and item, and is not counted as a bad line', () => {
    const c = check([exportLine(good()), exportLine({ pk: { S: 'b' } })]);
    expect(c.badLines).toBe(0);
    expect(c.dataErrors).toEqual([`line 2: item {"pk":"b","sk":"?"}: the table's sort key "sk" is missing`]);
  });

  test('an item over 400 KB behind an escaped type tag ("\\u0053" for "S") is found by the slow path', () => {
    const line = `{"Item":{"pk":{"S":"big"},"sk":{"N":"1"},"body":{"\\u0053":"${'x'.repeat(410 * 1024)}"}}}`;
    const c = check([line]);
    expect(c.badLines).toBe(0);
    expect(c.dataErrors[0]).toMatch(/^line 1: item \{"pk":"big","sk":"1"\} is \d+ bytes, over DynamoDB's 400 KB item limit/);
  });

  test('a set whose members are equal only once unescaped ("x" and "\\u0078") is a duplicate', () => {
    const c = check([`{"Item":{"pk":{"S":"a"},"sk":{"N":"1"},"s":{"SS":["x","\\u0078"]}}}`]);
    expect(c.dataErrors[0]).toMatch(/SS set holds "x" twice/);
  });

  test('more than ten data errors in a file: the first ten kept, all counted', () => {
    const c = check(Array.from({ length: 14 }, (_, i) => exportLine({ pk: { S: `p${i}` } })));
    expect(c.dataErrors).toHaveLength(10);
    expect(c.dataErrorCount).toBe(14);
  });
});
