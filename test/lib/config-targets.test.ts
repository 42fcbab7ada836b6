/**
 * RPO/RTO targets in dr.config.json: each top-level field has its own default, and a table's own
 * RPO is held to the same floor (what a chain of incremental exports can meet) as the top-level one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseConfig, targetsFor } from '../../lib/config';
import { ROOT } from './app-fixture';

const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8')) as Record<string, unknown> & { tables: Record<string, unknown>[] };

function rejected(raw: unknown): ConfigError {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

test('targets with only rpoMinutes keeps the default RTO (240), and only rtoMinutes the default RPO (1440)', () => {
  expect(parseConfig({ ...example, targets: { rpoMinutes: 720 } }).targets).toEqual({ rpoMinutes: 720, rtoMinutes: 240 });
  expect(parseConfig({ ...example, targets: { rtoMinutes: 60 } }).targets).toEqual({ rpoMinutes: 1440, rtoMinutes: 60 });
  expect(parseConfig({ ...example, targets: undefined }).targets).toEqual({ rpoMinutes: 1440, rtoMinutes: 240 });
});

test('a table with its own RPO below what a chain can meet across regions is refused, naming the table and the fix', () => {
  const tables = example.tables.map((t, i) => (i === 1 ? { ...t, targets: { rpoMinutes: 15 } } : t));
  const e = rejected({ ...example, tables });
  expect(e.problems.join('\n')).toContain(`tables[1] ("${String(example.tables[1].name)}") targets.rpoMinutes (15) is below what can be met`);
  expect(e.problems.join('\n')).toContain('use at least 45');
});

test("a table's own targets override the top-level ones field by field", () => {
  const tables = example.tables.map((t, i) => (i === 0 ? { ...t, targets: { rtoMinutes: 30 } } : t));
  const c = parseConfig({ ...example, targets: { rpoMinutes: 360 }, tables });
  expect(targetsFor(c, c.tables[0].name)).toEqual({ rpoMinutes: 360, rtoMinutes: 30 });
  expect(targetsFor(c, c.tables[1].name)).toEqual({ rpoMinutes: 360, rtoMinutes: 240 });
});
