/**
 * The per-table `incremental` setting: its default from the table's RPO, its bounds, and synth's
 * refusal when the schedule's worst case (interval + export + replication) cannot meet the RPO.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { incrementalIntervalOf, parseConfig, windowRetentionDays, worstCaseRpoMinutes, type DrConfig } from '../../lib/config';
import { ROOT } from './app-fixture';
import { problemsOf } from '../support/config-problems';

type RawTable = Record<string, unknown>;
const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8')) as Record<string, unknown> & { tables: RawTable[] };

/** The example config with table `orders` changed by `edit`. */
function withOrders(edit: (t: RawTable) => RawTable): unknown {
  return { ...example, tables: example.tables.map((t) => (t.name === 'orders' ? edit({ ...t }) : t)) };
}

function table(c: DrConfig, name: string) {
  const t = c.tables.find((x) => x.name === name);
  if (!t) throw new Error(`no table ${name}`);
  return t;
}

test('the example shop holds orders, order_items, users and inventory at RPO 60 with a 30-minute chain (worst case 60)', () => {
  const c = parseConfig(example);
  for (const name of ['orders', 'order_items', 'users', 'inventory']) {
    expect(incrementalIntervalOf(c, table(c, name))).toBe(30);
    expect(worstCaseRpoMinutes(c, table(c, name))).toBe(60);
  }
});

test('a table at RPO of a day or more has no chain by default; its worst case is the daily full set', () => {
  const c = parseConfig(example);
  expect(incrementalIntervalOf(c, table(c, 'products'))).toBeUndefined();
  expect(worstCaseRpoMinutes(c, table(c, 'products'))).toBe(1440);
});

test('the default interval is the longest that fits the RPO, up to 60 minutes', () => {
  const c = parseConfig(withOrders((t) => ({ ...t, targets: { rpoMinutes: 720 } })));
  expect(incrementalIntervalOf(c, table(c, 'orders'))).toBe(60);
});

test('an interval under 15 minutes is refused with the bounds', () => {
  expect(problemsOf(withOrders((t) => ({ ...t, incremental: { intervalMinutes: 10 } })))).toMatch(
    /tables\[3\]\.incremental\.intervalMinutes: incremental\.intervalMinutes must be a whole number of minutes from 15 .* to 60.*\(got 10\)/,
  );
});

test('an interval whose worst case exceeds the RPO is refused naming the interval that would fit', () => {
  expect(problemsOf(withOrders((t) => ({ ...t, incremental: { intervalMinutes: 45 } })))).toContain(
    'tables[3] ("orders") incremental.intervalMinutes (45) gives a worst-case RPO of 75 minutes (45 interval + 15 export + 15 replication), above its RPO of 60: use "incremental": { "intervalMinutes": 30 }',
  );
});

test('incremental on a table without PITR is refused', () => {
  expect(problemsOf(withOrders((t) => ({ ...t, pointInTimeRecovery: false })))).toMatch(
    /tables\[3\] \("orders"\) has incremental exports but "pointInTimeRecovery": false; DynamoDB exports read from PITR/,
  );
});

test('an RPO under a day with incremental turned off is refused: the daily full set cannot meet it', () => {
  expect(problemsOf(withOrders((t) => ({ ...t, incremental: false })))).toContain(
    'tables[3] ("orders") RPO is 60 minutes but "incremental": false leaves only the daily full set across regions (worst case 1440 minutes): remove "incremental": false (an interval of 30 minutes fits)',
  );
});

test('a table without PITR and without a chain at an RPO of a day is accepted', () => {
  const c = parseConfig(withOrders((t) => ({ ...t, targets: { rpoMinutes: 1440 }, pointInTimeRecovery: false })));
  expect(table(c, 'orders').pointInTimeRecovery).toBe(false);
});

describe('retention.windowDays: how long the windows are kept', () => {
  const withWindowDays = (windowDays: number) => ({ ...example, retention: { ...(example.retention as object), windowDays } });

  test('left out, it is a day past the daily tier; up to a day past the monthly tier is accepted', () => {
    expect(windowRetentionDays(parseConfig(example).retention)).toBe(31);
    expect(windowRetentionDays(parseConfig(withWindowDays(366)).retention)).toBe(366);
  });

  test('under a day past the daily tier is refused at synth, naming the setting and the least that fits', () => {
    expect(problemsOf(withWindowDays(14))).toContain(
      'retention.windowDays: retention.windowDays (14) is under retention.dailyDays + 1 (31): windows would expire before the daily full sets they follow',
    );
  });

  test('over a day past the longest tier is refused at synth, naming the setting and the most that is useful', () => {
    expect(problemsOf(withWindowDays(400))).toMatch(/retention.windowDays \(400\) is over the longest tier's retention \+ 1 \(366\): .*use at most 366/);
  });
});
