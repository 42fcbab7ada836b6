/** The chain's rules over committed windows: the windows a point needs, gaps refused, shape problems. */
import { ChainGapError, chainShapeProblems, restorableUntil, windowsForPoint } from '../../../lambda/incremental/chain';
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
