/** Scenario 5's pure parts: the simulated clock's labels, the replay of a table's state at a minute, and --scenario. */
import { clockLabel, MIDDAY, stateAt } from '../../cli/drill/midday-scenario';
import { parseScenarios } from '../../cli/drill';

test('the simulated day starts at 02:00 and the region is lost at 14:37', () => {
  expect(clockLabel(MIDDAY.fullSetAtMinutes)).toBe('02:00');
  expect(clockLabel(MIDDAY.fullSetAtMinutes + MIDDAY.lostAfterMinutes)).toBe('14:37');
  expect(clockLabel(1440 + 5)).toBe('00:05');
});

test('a table at a minute is its seed and every write before that minute, deletes included', () => {
  const seed = new Map([
    ['a', 'a0'],
    ['b', 'b0'],
  ]);
  const log = [
    { minute: 7, key: 'a', hash: 'a1' },
    { minute: 7, key: 'c', hash: 'c1' },
    { minute: 22, key: 'b' },
    { minute: 37, key: 'a', hash: 'a2' },
  ];
  expect([...stateAt(seed, log, 30)]).toEqual([
    ['a', 'a1'],
    ['c', 'c1'],
  ]);
  expect(stateAt(seed, log, 0)).toEqual(seed);
  expect(stateAt(seed, log, 60).get('a')).toBe('a2');
});

test('--scenario takes known ids, repeated or comma-separated, in drill order', () => {
  expect(parseScenarios(['region-lost-midday,table-deleted'])).toEqual(['table-deleted', 'region-lost-midday']);
  expect(parseScenarios(undefined)).toBeUndefined();
  expect(() => parseScenarios(['region-lost', 'midday'])).toThrow(/--scenario midday is not a drill scenario: give one of table-deleted, .*region-lost-midday/);
});
