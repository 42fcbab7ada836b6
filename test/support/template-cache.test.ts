/** The run's template cache (test/support/template-cache.ts): made once per key, a fresh copy for every caller. */
import { cachedJson } from './template-cache';

const kind = `contract-${process.pid}-${Date.now()}`;

it('makes a value once per key in a run and reads it back after that', () => {
  const make = jest.fn(() => ({ resources: ['a'] }));
  expect(cachedJson(kind, { config: 1 }, make)).toEqual({ resources: ['a'] });
  expect(cachedJson(kind, { config: 1 }, make)).toEqual({ resources: ['a'] });
  expect(make).toHaveBeenCalledTimes(1);
});

it('keeps different keys apart', () => {
  expect(cachedJson(kind, { config: 2 }, () => 'two')).toBe('two');
  expect(cachedJson(kind, { config: 3 }, () => 'three')).toBe('three');
  expect(cachedJson(kind, { config: 2 }, () => 'not made again')).toBe('two');
});

it('gives every caller its own copy: an edit does not reach the next caller', () => {
  const first = cachedJson(kind, { config: 4 }, () => ({ list: [1] }));
  first.list.push(2);
  expect(cachedJson(kind, { config: 4 }, () => ({ list: [0] }))).toEqual({ list: [1] });
});
