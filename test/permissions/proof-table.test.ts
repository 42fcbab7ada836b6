/**
 * The proof table of docs/security.md (proof-table.ts): every row is owned by a proof test file
 * that checks it against what it measured, nothing is denied, and a row that drifts is caught.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { measuredRow, proofRows, renderRow, tableLines, TABLE_HEADER } from './proof-table';

const rows = () => tableLines().slice(TABLE_HEADER.length);
const ownerOf = (line: string) => /\| `([\w.-]+\.test\.ts)`: /.exec(line)?.[1];

test('the table has its header and rows, each owned by a proof test file that checks its own rows', () => {
  expect(tableLines().slice(0, TABLE_HEADER.length)).toEqual(TABLE_HEADER);
  expect(rows().length).toBeGreaterThanOrEqual(9);
  for (const line of rows()) {
    const owner = ownerOf(line);
    expect({ line, owner }).toEqual({ line, owner: expect.stringMatching(/\.test\.ts$/) });
    const source = fs.readFileSync(path.join(__dirname, owner!), 'utf8');
    expect({ owner, checks: source.includes(`proofRows('${owner}'`) }).toEqual({ owner, checks: true });
  }
});

test('every proof file (a test file under test/permissions that evaluates requests) owns rows of the table', () => {
  const proofFiles = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.ts'))
    // evaluate.test.ts is the evaluator's own contract test (synthetic policies), not a proof of the stacks.
    .filter((f) => f !== 'evaluate.test.ts')
    .filter((f) => /\bevaluate(All)?\(/.test(fs.readFileSync(path.join(__dirname, f), 'utf8')));
  expect(proofFiles.length).toBeGreaterThanOrEqual(10);
  const owners = new Set(rows().map(ownerOf));
  expect(proofFiles.filter((f) => !owners.has(f))).toEqual([]);
});

test('every row: 0 denied, and at least one request proven', () => {
  for (const line of rows()) {
    const [proven, denied] = line
      .split('|')
      .slice(3, 5)
      .map((c) => Number(c.trim()));
    expect({ line, proven: proven > 0, denied }).toEqual({ line, proven: true, denied: 0 });
  }
});

test('drift is caught: rows measured for a file the table does not hold differ from the documented ones', () => {
  // A file with no rows yet measures one: the documented side is empty, so the owning test fails.
  const fresh = measuredRow({ principal: 'p', ran: 'r', verdicts: [], negative: 'n' });
  expect(proofRows('no-such.test.ts', [fresh])).toEqual({ documented: [], measured: [renderRow('no-such.test.ts', fresh)] });
});
