/** The drill report's two RPO figures per scenario: measured in the run, and the worst case the configured schedule allows. */
import { renderDrillMarkdown, type ScenarioResult } from '../../cli/drill/report';
import { drillReport } from '../support/drill-report';

const scenario = (tables: string[]): ScenarioResult => ({
  id: 'region-lost',
  title: 'Primary region lost',
  passed: true,
  rtoMs: 13_100,
  rpoMs: 39_900,
  items: 100,
  itemsPerSecond: 50,
  tables,
  verification: [],
  notes: [],
});
const base = {
  passed: true,
  dataset: { seed: 1, requestedItems: 100, totalItems: 100, perTable: { orders: 50, products: 50 } },
  backup: { backupId: '2026-11-23T17-00-00-000Z', durationMs: 1000, items: 100, metrics: [] },
  targets: { orders: { rpoMinutes: 60, rtoMinutes: 60 }, products: { rpoMinutes: 1440, rtoMinutes: 240 } },
};

test('each scenario shows the measured RPO and the worst case of its tables (a day for a full-only table)', () => {
  const md = renderDrillMarkdown(
    drillReport({
      ...base,
      worstCaseRpoMinutes: { orders: 60, products: 1440 },
      scenarios: [scenario(['orders']), { ...scenario(['orders', 'products']), title: 'Both' }],
    }),
  );
  expect(md).toContain('| RPO measured (age of restored data) | RPO worst case the schedule allows |');
  expect(md).toContain('| Primary region lost | pass | 13.1 s | 39.9 s | 60 min |');
  expect(md).toContain('| Both | pass | 13.1 s | 39.9 s | 1440 min |');
  expect(md).toContain('orders 60 min, products 1440 min');
});

test('a report written before the worst case existed shows "-" there', () => {
  const md = renderDrillMarkdown(drillReport({ ...base, scenarios: [scenario(['orders'])] }));
  expect(md).toContain('| Primary region lost | pass | 13.1 s | 39.9 s | - |');
});
