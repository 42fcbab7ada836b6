/** The chain's rules over committed windows: the windows a point needs, gaps refused, shape problems. */
import { ChainGapError, chainShapeProblems, restorableRange, restorableUntil, windowsForPoint } from '../../../lambda/incremental/chain';
import { renderRanges } from '../../../cli/list-ranges';
import { renderTable } from '../../../cli/list';
import type { WindowEntry } from '../../../lambda/format/window';

const t = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00.000Z`);
const entry = (from: string, to: string): WindowEntry => ({
  formatVersion: 1,
  kind: 'incremental',
  table: 'orders',
  from: t(from).toISOString(),
  to: t(to).toISOString(),
  baseSet: 'daily/2026-11-23T02-00-00-000Z',
  counts: { puts: 1, deletes: 0 },
  metadataSha256: 'x',
  metadataBytes: 1,
});
const base = t('02:00');
// Windows straddle the base (01:45-02:15): a chain started by an earlier full set.
const chain = [entry('01:45', '02:15'), entry('02:15', '02:45'), entry('02:45', '03:15'), entry('03:45', '04:15')];

test('a point takes the windows from the one holding the base up to the one holding the point, in order', () => {
  expect(windowsForPoint('orders', chain, base, t('02:50')).map((w) => w.from)).toEqual([t('01:45'), t('02:15'), t('02:45')]);
});

test('a point at the base needs no window', () => {
  expect(windowsForPoint('orders', chain, base, base)).toEqual([]);
});

test('a point past a gap is refused, naming the missing window and the last restorable time', () => {
  let err: unknown;
  try {
    windowsForPoint('orders', chain, base, t('04:00'));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ChainGapError);
  expect((err as Error).message).toContain(`no window from ${t('03:15').toISOString()} to ${t('03:45').toISOString()}`);
  expect((err as Error).message).toContain(`the last restorable time is ${t('03:15').toISOString()}`);
});

test('the restorable range ends at the first gap', () => {
  expect(restorableUntil(chain, base)).toEqual(t('03:15'));
});

test('validate names a gap and an overlap', () => {
  expect(chainShapeProblems([...chain, entry('04:00', '04:30')])).toEqual([
    expect.stringMatching(/^gap: no window from .*03:15.* to .*03:45/),
    expect.stringMatching(/^overlap: orders .*04:00.* starts before .*04:15/),
  ]);
});

describe('restorable range (dr list)', () => {
  it('runs from the oldest full set to the end of the contiguous chain, naming the gap up to windows beyond it', () => {
    expect(restorableRange('orders', [base], chain)).toEqual({
      table: 'orders',
      from: base,
      to: t('03:15'),
      windows: 4,
      gaps: [{ from: t('03:15'), to: t('03:45') }],
    });
  });

  it('a newer full set after a gap bridges it: the chain from it reaches on, the gap stays named', () => {
    const later = t('03:50');
    const range = restorableRange('orders', [later, base], [...chain, entry('04:15', '04:45')]);
    expect(range).toMatchObject({ from: base, to: t('04:45'), gaps: [{ from: t('03:15'), to: later }] });
  });

  it('a table with full sets only restores to them, no gap named; no full set, no range', () => {
    expect(restorableRange('products', [t('02:00'), t('01:00')], [])).toEqual({ table: 'products', from: t('01:00'), to: t('02:00'), windows: 0, gaps: [] });
    expect(restorableRange('orders', [], chain)).toBeUndefined();
  });

  it('dr list renders one row per table and names each gap with the time to restore to', () => {
    const text = renderRanges([restorableRange('orders', [base], chain)!, restorableRange('products', [base], [])!], renderTable);
    expect(text).toMatch(/orders\s+2026-11-23T02:00:00.000Z\s+2026-11-23T03:15:00.000Z\s+4\s+1/);
    expect(text).toMatch(/products\s+2026-11-23T02:00:00.000Z\s+2026-11-23T02:00:00.000Z\s+full sets only\s+-/);
    expect(text).toContain('GAP orders: no window from 2026-11-23T03:15:00.000Z to 2026-11-23T03:45:00.000Z');
  });
});

describe('restorable range once the oldest windows have expired (retention.windowDays)', () => {
  // Full sets at 00:00 and 01:00 whose windows are gone; the chain's windows now start at 01:45.
  const older = [t('00:00'), t('01:00')];

  it('starts at the oldest full set still with its windows; the older sets are counted apart, no gap named between them', () => {
    expect(restorableRange('orders', [...older, base], chain.slice(0, 3))).toEqual({
      table: 'orders',
      from: base,
      to: t('03:15'),
      windows: 3,
      gaps: [],
      olderFullSets: { count: 2, oldest: t('00:00') },
    });
  });

  it('a real gap after the start is still named', () => {
    expect(restorableRange('orders', [...older, base], chain)).toMatchObject({ from: base, gaps: [{ from: t('03:15'), to: t('03:45') }] });
  });

  it('dr list names the older sets with what they restore to', () => {
    const text = renderRanges([restorableRange('orders', [...older, base], chain.slice(0, 3))!], renderTable);
    expect(text).toMatch(/orders\s+2026-11-23T02:00:00.000Z\s+2026-11-23T03:15:00.000Z\s+3\s+-/);
    expect(text).toContain(
      'OLDER orders: 2 full set(s) from 2026-11-23T00:00:00.000Z to before 2026-11-23T02:00:00.000Z restore to their own DATA AS OF only ("dr restore <set>"): the windows after them expired (retention.windowDays)',
    );
    expect(text).not.toMatch(/^GAP /m);
  });
});
