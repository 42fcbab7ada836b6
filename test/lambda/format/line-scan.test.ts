/**
 * The byte scanner of export lines (validate's fast path) never accepts a line that
 * checkExportLine (the JSON.parse path) refuses, and accepts the lines exports really hold.
 */
import { scanExportLine } from '../../../lambda/format/line-scan';
import { exportLine } from '../../../lambda/format/dynamodb-json';
import { checkExportLine } from '../../../lambda/store/export-reader';
import { makeItems } from '../../support/native-export-fixture';

const scan = (line: string) => {
  const buf = Buffer.from(`${line}\n`);
  return scanExportLine(buf, 0, buf.length - 1);
};
const slowOk = (line: string) => {
  try {
    checkExportLine(line);
    return true;
  } catch {
    return false;
  }
};

test('accepts every attribute type an export holds', () => {
  for (const item of makeItems(50)) expect(scan(exportLine(item))).toBe(true);
});

test.each([
  ['not JSON', '{"Item":{"pk":{"S":"a"}}'],
  ['no Item', '{"Item":[]}'],
  ['a binary that is not base64', '{"Item":{"b":{"B":"not base64!"}}}'],
  ['base64 without padding', '{"Item":{"b":{"B":"AAE"}}}'],
  ['a number as N', '{"Item":{"n":{"N":5}}}'],
  ['two types', '{"Item":{"x":{"S":"a","N":"1"}}}'],
  ['no type', '{"Item":{"x":{}}}'],
  ['an unknown type', '{"Item":{"x":{"Q":"a"}}}'],
  ['NULL false', '{"Item":{"x":{"NULL":false}}}'],
  ['BOOL as a string', '{"Item":{"x":{"BOOL":"true"}}}'],
  ['SS of numbers', '{"Item":{"x":{"SS":[1,2]}}}'],
  ['a raw control character in a string', '{"Item":{"x":{"S":"a\u0001b"}}}'],
  ['a bad escape', '{"Item":{"x":{"S":"a\\qb"}}}'],
  ['trailing garbage', '{"Item":{"x":{"S":"a"}}}x'],
  ['a trailing comma', '{"Item":{"x":{"S":"a"},}}'],
  ['a bad value deep in a list', '{"Item":{"m":{"M":{"l":{"L":[{"S":"x"},{"BS":["AAEC","AAE"]}]}}}}}'],
])('refuses %s (as checkExportLine does)', (_name, line) => {
  expect(slowOk(line)).toBe(false);
  expect(scan(line)).toBe(false);
});

test('leaves to checkExportLine what it does not model (escaped keys, extra top-level keys), never accepting more', () => {
  for (const line of ['{"Item":{"x":{"S":"a"}},"extra":1}', '{"\\u0049tem":{"x":{"S":"a"}}}', ' {"Item" : { "x" : { "S" : "a" } } } ']) {
    expect(slowOk(line)).toBe(true);
    expect(scan(line) ? slowOk(line) : true).toBe(true);
  }
});

test('a flipped byte anywhere in real lines: whenever the scanner accepts, checkExportLine accepts too', () => {
  const lines = makeItems(20).map(exportLine);
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  let refused = 0;
  for (let k = 0; k < 4000; k++) {
    const buf = Buffer.from(lines[rand(lines.length)]);
    buf[rand(buf.length)] = rand(128);
    const line = buf.toString('utf8');
    const fast = scanExportLine(Buffer.from(`${line}\n`), 0, Buffer.byteLength(line));
    if (fast) expect(slowOk(line)).toBe(true);
    else refused++;
  }
  expect(refused).toBeGreaterThan(100);
});
