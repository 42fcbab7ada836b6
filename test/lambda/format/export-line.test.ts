/**
 * Export lines: the shape check validate runs on every line (no item built), the in-place
 * conversion restore runs (only binaries change), and the chunked line splitter.
 */
import { Readable } from 'node:stream';
import { checkExportLine, parseExportLine, splitLines } from '../../../lambda/store/export-reader';
import { exportLine } from '../../../lambda/format/dynamodb-json';
import { makeItems } from '../../support/native-export-fixture';

const line = (item: unknown) => JSON.stringify({ Item: item });

async function collect(chunks: string[]): Promise<string[][]> {
  const out: string[][] = [];
  for await (const lines of splitLines(Readable.from(chunks))) out.push(lines);
  return out;
}

test('checkExportLine accepts every attribute type an export holds', () => {
  for (const item of makeItems(12)) expect(() => checkExportLine(exportLine(item))).not.toThrow();
});

test('checkExportLine refuses a line that is not JSON', () => {
  expect(() => checkExportLine('{"Item":{"pk":{"S":"a"}}')).toThrow(/line is not JSON/);
});

test('checkExportLine refuses a line without an Item object', () => {
  expect(() => checkExportLine('{"Item":[]}')).toThrow(/no "Item" object/);
});

test('checkExportLine refuses a binary that is not base64, naming the attribute', () => {
  expect(() => checkExportLine(line({ pk: { S: 'a' }, blob: { B: 'not base64!' } }))).toThrow(/at blob \(B must be a base64 string\)/);
});

test('checkExportLine refuses a bad base64 binary deep in a map and a list', () => {
  const item = { pk: { S: 'a' }, m: { M: { l: { L: [{ S: 'x' }, { BS: ['AAEC', 'AAE'] }] } } } };
  expect(() => checkExportLine(line(item))).toThrow(/at m\.l\[1\] \(BS must be an array of base64 strings\)/);
});

test('checkExportLine refuses a value with the wrong JavaScript type', () => {
  expect(() => checkExportLine(line({ n: { N: 5 } }))).toThrow(/at n \(bad N\)/);
  expect(() => checkExportLine(line({ s: { SS: ['a', 1] } }))).toThrow(/at s \(bad SS\)/);
  expect(() => checkExportLine(line({ z: { NULL: false } }))).toThrow(/at z \(bad NULL\)/);
});

test('checkExportLine refuses a value with two types or none', () => {
  expect(() => checkExportLine(line({ a: { S: 'x', N: '1' } }))).toThrow(/at a \(more than one type\)/);
  expect(() => checkExportLine(line({ a: {} }))).toThrow(/at a \(no type\)/);
  expect(() => checkExportLine(line({ a: { X: '1' } }))).toThrow(/at a \(bad X\)/);
});

test('parseExportLine turns binaries nested in M and L into the right bytes', () => {
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  const item = { pk: { S: 'a' }, m: { M: { l: { L: [{ B: bytes.toString('base64') }, { BS: ['', 'AQ=='] }] } } } };
  const got = parseExportLine(line(item));
  const l = got.m.M!.l.L!;
  expect(Buffer.from(l[0].B!)).toEqual(bytes);
  expect(l[1].BS!.map((b) => Buffer.from(b))).toEqual([Buffer.alloc(0), Buffer.from([1])]);
  expect(got.pk).toEqual({ S: 'a' });
});

test('parseExportLine gives back the item the export line was written from', () => {
  for (const item of makeItems(8)) expect(parseExportLine(exportLine(item))).toEqual(item);
});

test('splitLines joins lines cut across chunks and hands out whole lines per chunk', async () => {
  expect(await collect(['{"a":1}\n{"b"', ':2}\n{"c":3}\n'])).toEqual([['{"a":1}'], ['{"b":2}', '{"c":3}']]);
});

test('splitLines drops blank lines and the \\r of CRLF, and keeps a last line without newline', async () => {
  expect(await collect(['{"a":1}\r\n\n  \n', '{"b":2}'])).toEqual([['{"a":1}'], ['{"b":2}']]);
});

test('parseExportLine names the bad attribute even after converting a good binary before it', () => {
  expect(() => parseExportLine(line({ a: { B: 'AQ==' }, b: { N: 1 } }))).toThrow(/at b \(bad N\)/);
});
