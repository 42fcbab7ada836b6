/**
 * `prefetched` (lambda/buckets/page-pool.ts): the bucket restore lists its next page while the
 * current one copies. The source here is a generator that records when each item is asked for.
 */
import { prefetched } from '../../../lambda/buckets/page-pool';

function recordedSource(n: number, failAt?: number) {
  const asked: number[] = [];
  async function* source(): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) {
      asked.push(i);
      if (i === failAt) throw new Error(`listing ${i} failed`);
      yield i;
    }
  }
  return { asked, source: source() };
}

test('the next item is requested before the caller has finished with the current one', async () => {
  const { asked, source } = recordedSource(3);
  const seen: number[][] = [];
  for await (const x of prefetched(source)) {
    await Promise.resolve();
    seen.push([x, asked.length]);
  }
  // while item 0 is worked on, item 1 has been asked for already (a plain loop would show 1)
  expect(seen).toEqual([
    [0, 2],
    [1, 3],
    [2, 3],
  ]);
});

test('the first request goes out before the first item is asked for', () => {
  const { asked, source } = recordedSource(2);
  const it = prefetched(source);
  expect(asked).toEqual([0]);
  void it.return(undefined);
});

test('a request that fails while the caller is busy surfaces at the caller, not as an unhandled rejection', async () => {
  const { source } = recordedSource(3, 1);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const x of prefetched(source)) {
          // the prefetch of item 1 fails while this item is still being worked on
          await new Promise((r) => setImmediate(r));
          got.push(x);
        }
      })(),
    ).rejects.toThrow('listing 1 failed');
    expect(got).toEqual([0]);
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a caller that stops early closes the source', async () => {
  const { asked, source } = recordedSource(10);
  for await (const x of prefetched(source)) if (x === 1) break;
  expect(asked).toEqual([0, 1, 2]);
  expect(await source.next()).toEqual({ done: true, value: undefined });
});
