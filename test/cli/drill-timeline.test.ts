/** The drill report's SVG timeline: well-formed XML, and each mark at the x of its time. */
import { parse, validate } from 'fast-xml-parser';
import { renderTimelineSvg, SVG_LAYOUT, timelineLabel, timelineX } from '../../cli/drill/svg-timeline';
import type { ScenarioTimeline } from '../../cli/drill/timeline';
import { renderDrillMarkdown, type ScenarioResult } from '../../cli/drill/report';
import { drillReport } from '../support/drill-report';

/** Scenario 5's day: full set 02:00 (T0), two 30-minute windows of orders applied, the third committed but not replicated, lost at 03:37. */
const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const timeline: ScenarioTimeline = {
  simulated: true,
  clockOrigin: { at: at(0), minuteOfDay: 120 },
  start: at(-30),
  end: at(127),
  fullSets: [at(0)],
  windows: [
    { table: 'orders', from: at(0), to: at(30), replicatedAt: at(38), used: true },
    { table: 'orders', from: at(30), to: at(60), replicatedAt: at(68), used: true },
    { table: 'orders', from: at(60), to: at(90), used: false },
  ],
  disaster: at(97),
  restoredPoint: at(60),
  worstCaseMinutes: 60,
  rpoTargetMinutes: 60,
};

type Node = Record<string, unknown>;
const svg = renderTimelineSvg(timeline, 'Primary region lost mid-day (03:37)');
const doc = parse(svg, { ignoreAttributes: false, attributeNamePrefix: '' }) as { svg: { rect: Node[]; line: Node[]; text: Node[]; path: Node } };
const rects = (cls: string) =>
  doc.svg.rect.filter((r) =>
    String(r.class ?? '')
      .split(' ')
      .includes(cls),
  );
const line = (cls: string) => doc.svg.line.find((l) => l.class === cls)!;
const x = (iso: string) => timelineX(timeline, iso);
const texts = () => doc.svg.text.map((t) => (typeof t === 'object' ? String(t['#text']) : String(t)));

test('is well-formed XML with an svg root of the layout width', () => {
  expect(validate(svg)).toBe(true);
  expect(svg).toMatch(new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_LAYOUT.width}"`));
});

test('places the full set, the windows, the disaster and the restored point at the x of their times', () => {
  expect(x(at(-30))).toBe(SVG_LAYOUT.left);
  expect(x(at(127))).toBe(SVG_LAYOUT.width - SVG_LAYOUT.right);
  expect(Number(rects('full-set')[0].x) + 3).toBeCloseTo(x(at(0)), 1);
  expect(rects('window').map((r) => Number(r.x))).toEqual([x(at(0)), x(at(30)), x(at(60))]);
  expect(rects('applied')).toHaveLength(2);
  expect(rects('not-replicated').map((r) => r['data-from'])).toEqual([at(60)]);
  expect(Number(line('disaster').x1)).toBe(x(at(97)));
  expect(Number(line('restored').x1)).toBe(x(at(60)));
});

test('brackets the RPO from the restored point to the disaster, with the worst case under it', () => {
  const [, from, to] = /^M([\d.]+) [\d.]+ V[\d.]+ H([\d.]+) V[\d.]+$/.exec(String(doc.svg.path.d))!;
  expect([Number(from), Number(to)]).toEqual([x(at(60)), x(at(97))]);
  expect(Number(line('worst-case').x1)).toBe(x(at(37)));
  expect(Number(line('worst-case').x2)).toBe(x(at(97)));
  expect(texts()).toEqual(expect.arrayContaining(['RPO 37 min, worst case the schedule allows 60 min, target 60 min', 'disaster 03:37', 'restored to 03:00']));
});

test('reads times on the simulated clock, ticks on its round hours', () => {
  expect(timelineLabel(timeline, at(0))).toBe('02:00');
  expect(timelineLabel(timeline, at(97))).toBe('03:37');
  const ticks = doc.svg.line.filter((l) => l.class === 'tick').map((l) => Number(l.x1));
  expect(ticks).toContain(x(at(60))); // 03:00
  expect(texts()).toContain('03:00');
});

test('leaves out the worst-case bar when it does not fit the axis (a day against seconds)', () => {
  const seconds = renderTimelineSvg(
    { ...timeline, clockOrigin: undefined, windows: [], start: at(0), end: at(0.2), disaster: at(0.1), restoredPoint: at(0.02), worstCaseMinutes: 1440 },
    'Table deleted',
  );
  expect(validate(seconds)).toBe(true);
  expect(seconds).not.toContain('class="worst-case"');
  expect(seconds).toContain('RPO 4.8 s, worst case the schedule allows 1440 min');
});

test('drill-report.md links each scenario with a timeline to its SVG', () => {
  const s: ScenarioResult = {
    id: 'region-lost-midday',
    title: 'Mid-day',
    passed: true,
    rtoMs: 1,
    rpoMs: 1,
    items: 1,
    itemsPerSecond: 1,
    tables: [],
    verification: [],
    notes: [],
    timeline,
  };
  const md = renderDrillMarkdown(
    drillReport({
      passed: true,
      dataset: { seed: 1, requestedItems: 1, totalItems: 1, perTable: {} },
      backup: { backupId: 'x', durationMs: 1, items: 1, metrics: [] },
      targets: {},
      scenarios: [s, { ...s, id: 'table-deleted', timeline: undefined }],
    }),
  );
  expect(md).toContain('![timeline: Mid-day](drill-timeline-region-lost-midday.svg)');
  expect(md).not.toContain('drill-timeline-table-deleted.svg');
});
