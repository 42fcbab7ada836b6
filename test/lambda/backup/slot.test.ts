/**
 * The slot contract (lambda/backup/slot.ts), against DynamoDB Local's conditional writes: one
 * owner per slot, what a second run gets in each state, takeover of an abandoned or failed slot,
 * the fence, settling by the export finalizer, and the slot time (trusted-time.ts): an identity,
 * accepted only inside a sane window unless backfill, never the recovery point (that is when the
 * data was read). Other tests use slots; this file states them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { checkSlotTime, createSlotTable, parseEventTime, Slot, SlotLostError, SlotStore, slotKey, truncateTime } from '../../../lambda/backup/slot';
import { useLocalServers } from '../../support/use-local-servers';
import { runBackup } from '../../../lambda/backup/backup';
import { backupIdFor } from '../../../lambda/format/backup-set';
import { recoveryPoint } from '../../../lambda/format/trusted-time';
import { batchWriteAll, createTestTable } from '../../support/ddb-compare';
import { createDynamoDbClient } from '../../../lambda/shared/clients';

const local = useLocalServers({ buckets: ['slot-contract'] });
const tableName = 'contract-dr-state';
let dynamodb: DynamoDBClient;
let n = 0;
/** A fresh slot per test. */
/** The clock of a run that claimed its slot a minute ago: its 1 ms lease has run out by the real clock. */
const aMinuteAgo = () => Date.now() - 60_000;
const freshSlot = (): Slot => ({ kind: 'backup', scope: 'daily', time: new Date(Date.UTC(2026, 10, 1, 2, n++)) });

/**
 * A client that sends through the suite's client and tells when a request of the named command,
 * sent after `next()` was called, has been answered: tests wait for what the code under test did
 * instead of for time.
 */
function observed(command: string): { client: DynamoDBClient; next(): Promise<void> } {
  let waiters: (() => void)[] = [];
  const client = {
    send: async (cmd: { constructor: { name: string } }) => {
      const due = cmd.constructor.name === command ? waiters.splice(0) : [];
      const out = await dynamodb.send(cmd as Parameters<DynamoDBClient['send']>[0]);
      due.forEach((w) => w());
      return out;
    },
  } as unknown as DynamoDBClient;
  return { client, next: () => new Promise((r) => (waiters = [...waiters, r])) };
}

beforeAll(async () => {
  dynamodb = local.dynamodb;
  await createSlotTable(dynamodb, tableName);
});

describe('slot claim (conditional PutItem on DynamoDB Local)', () => {
  it('gives a slot to exactly one of five runs claiming it at once; the others are told it is busy', async () => {
    const store = new SlotStore({ dynamodb, tableName });
    const slot = freshSlot();
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => store.claim(slot, owner)));
    expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'busy')).toHaveLength(4);
    const winner = results.find((r) => r.outcome === 'claimed');
    expect(await store.get(slot)).toMatchObject({
      key: slotKey(slot),
      state: 'running',
      attempt: 1,
      owner: winner?.outcome === 'claimed' && winner.lease.owner,
    });
  });

  it('tells a later run that the slot is committed (or handed to the finalizer), and gives it nothing to do', async () => {
    const store = new SlotStore({ dynamodb, tableName });
    const [done, exported] = [freshSlot(), freshSlot()];
    for (const [slot, to] of [
      [done, 'committed'],
      [exported, 'exporting'],
    ] as const) {
      const first = await store.claim(slot, 'first');
      expect(first.outcome).toBe('claimed');
      if (first.outcome === 'claimed') expect(await first.lease.finish(to)).toBe(true);
      expect((await store.claim(slot, 'second')).outcome).toBe(to);
    }
  });

  it('lets a waiting run wait for the live owner and then exit when the owner commits', async () => {
    const store = new SlotStore({ dynamodb, tableName });
    const slot = freshSlot();
    const first = await store.claim(slot, 'owner');
    if (first.outcome !== 'claimed') throw new Error('first claim failed');
    const reads = observed('GetItemCommand');
    const waiting = new SlotStore({ dynamodb: reads.client, tableName }).claim(slot, 'duplicate', { waitUntil: Date.now() + 30_000, pollMs: 50 });
    // The duplicate has read the slot as running (and now waits) before the owner commits.
    await reads.next();
    await first.lease.finish('committed');
    expect((await waiting).outcome).toBe('committed');
  });

  it('takes over a slot whose lease expired (the owner died) as attempt 2; of two runs taking it over at once exactly one wins', async () => {
    const slot = freshSlot();
    // The dead run claimed it a minute ago (its clock), with a 1 ms lease: expired by now, no waiting.
    const dead = await new SlotStore({ dynamodb, tableName, leaseMs: 1, clock: aMinuteAgo }).claim(slot, 'dead-run');
    expect(dead.outcome).toBe('claimed');
    const store = new SlotStore({ dynamodb, tableName });
    const results = await Promise.all([store.claim(slot, 'retry-1'), store.claim(slot, 'retry-2')]);
    const winners = results.filter((r) => r.outcome === 'claimed');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'busy')).toHaveLength(1);
    const lease = winners[0].outcome === 'claimed' ? winners[0].lease : undefined;
    expect(lease).toMatchObject({ attempt: 2, takenOverFrom: 'dead-run' });
    expect(await store.get(slot)).toMatchObject({ state: 'running', attempt: 2, owner: lease?.owner });
  });

  it('takes over a failed slot (a retry after a failure tries again)', async () => {
    const store = new SlotStore({ dynamodb, tableName });
    const slot = freshSlot();
    const first = await store.claim(slot, 'first');
    if (first.outcome !== 'claimed') throw new Error('first claim failed');
    await first.lease.finish('failed', 'table missing');
    const retry = await store.claim(slot, 'retry');
    expect(retry.outcome === 'claimed' && retry.lease.attempt).toBe(2);
    expect((await store.get(slot))?.reason).toBeUndefined();
  });

  it('fences a run that lost its slot: fence() throws SlotLostError and its finish() changes nothing', async () => {
    const slot = freshSlot();
    const slow = await new SlotStore({ dynamodb, tableName, leaseMs: 1, clock: aMinuteAgo }).claim(slot, 'paused-run');
    if (slow.outcome !== 'claimed') throw new Error('first claim failed');
    const store = new SlotStore({ dynamodb, tableName });
    const next = await store.claim(slot, 'successor');
    expect(next.outcome).toBe('claimed');
    await expect(slow.lease.fence()).rejects.toThrow(SlotLostError);
    expect(await slow.lease.finish('committed')).toBe(false);
    expect(await store.get(slot)).toMatchObject({ state: 'running', owner: 'successor' });
  });

  it('renews the lease by heartbeat while the owner works, so a duplicate cannot take the slot over', async () => {
    // The stores' clock is the test's: it jumps past twice the lease, then the next heartbeat renews.
    let now = Date.now();
    const clock = () => now;
    const renewals = observed('UpdateItemCommand');
    const owner = new SlotStore({ dynamodb: renewals.client, tableName, leaseMs: 1_500, clock });
    const slot = freshSlot();
    const first = await owner.claim(slot, 'owner');
    if (first.outcome !== 'claimed') throw new Error('first claim failed');
    first.lease.startHeartbeat();
    try {
      now += 3_000; // without a renewal from here on the lease would have expired
      await renewals.next();
      expect((await new SlotStore({ dynamodb, tableName, leaseMs: 1_500, clock }).claim(slot, 'duplicate')).outcome).toBe('busy');
    } finally {
      first.lease.stop();
    }
  });
});

describe('a lost response to the commit write', () => {
  it('is settled by re-reading the slot: the run whose commit landed knows it did (one success metric), although the SDK retry failed its condition', async () => {
    // A client whose first UpdateItem after `lose` is set succeeds on the server, then loses its response (a reset), so the SDK retries it.
    const lossy = createDynamoDbClient();
    let lose = false;
    lossy.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        if (lose) {
          lose = false;
          throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: {} });
        }
        return out;
      },
      { step: 'deserialize', name: 'loseOneResponse' },
    );
    try {
      const store = new SlotStore({ dynamodb: lossy, tableName });
      const slot = freshSlot();
      const run = await store.claim(slot, 'committer');
      if (run.outcome !== 'claimed') throw new Error('claim failed');
      lose = true;
      expect(await run.lease.finish('committed')).toBe(true);
      expect(lose).toBe(false);
      expect(run.lease.lost).toBe(false);
      expect(await store.get(slot)).toMatchObject({ state: 'committed', owner: 'committer' });
    } finally {
      lossy.destroy();
    }
  });
});

describe('slot settling by the export finalizer', () => {
  it('settles a handed-off slot once: the first settle reports the change, a second (an overlapping finalizer) does not', async () => {
    const store = new SlotStore({ dynamodb, tableName });
    const slot = freshSlot();
    const run = await store.claim(slot, 'backup-run');
    if (run.outcome !== 'claimed') throw new Error('claim failed');
    await run.lease.finish('exporting');
    const both = await Promise.all([store.settle(slot, 'committed'), store.settle(slot, 'committed')]);
    expect(both.sort()).toEqual([false, true]);
    expect((await store.get(slot))?.state).toBe('committed');
  });

  it('records a set that never claimed a slot (ad-hoc dr backup) as settled', async () => {
    const store = new SlotStore({ dynamodb, tableName });
    const slot = freshSlot();
    expect(await store.settle(slot, 'failed', 'export FAILED')).toBe(true);
    expect(await store.get(slot)).toMatchObject({ state: 'failed', reason: 'export FAILED' });
    expect(await store.settle(slot, 'committed')).toBe(false);
  });
});

describe('slot time', () => {
  it('takes EventBridge times and truncates them to the minute', () => {
    expect(truncateTime(parseEventTime('2026-11-23T02:00:41Z')).toISOString()).toBe('2026-11-23T02:00:00.000Z');
    expect(truncateTime(parseEventTime('2026-11-23T02:00:00.999Z')).toISOString()).toBe('2026-11-23T02:00:00.000Z');
  });
  it.each([['yesterday'], ['2026-11-23 02:00:00'], ['2026-11-23T02:00:00+01:00'], [12345], [null]])(
    'refuses %p, naming the field, the value and the expected form',
    (value) => {
      expect(() => parseEventTime(value, 'event.time')).toThrow(
        new RegExp(`^event\\.time must be an ISO 8601 UTC time like 2026-11-23T02:00:00Z .*; got ${JSON.stringify(value).replace(/[.+]/g, '\\$&')}$`),
      );
    },
  );
  it.each([
    ['2026-13-45T99:00:00Z', /month 13/],
    ['2026-02-30T02:00:00Z', /day 30: 2026-02 has 28 days/],
    ['2026-11-23T24:00:00Z', /hour 24/],
    ['0000-11-23T02:00:00Z', /year 0000/],
  ])('refuses the impossible date %p instead of rolling it over', (value, why) => {
    expect(() => parseEventTime(value, 'event.time')).toThrow(why);
  });
  it('names the set, and the recovery point is when the data was read: a slot run an hour late holds data as of its run, not its slot', async () => {
    await createTestTable(dynamodb, 'slot_time_src');
    await batchWriteAll(dynamodb, 'slot_time_src', [{ pk: { S: 'a' } }]);
    const slot = truncateTime(new Date(Date.now() - 3_600_000));
    const before = Date.now();
    const md = await runBackup({
      dynamodb,
      s3: local.s3,
      bucket: 'slot-contract',
      tables: ['slot_time_src'],
      tier: 'daily',
      engine: 'scan',
      now: slot,
      segments: 1,
    });
    const after = Date.now();
    expect(md.backupId).toBe(backupIdFor(slot));
    const point = recoveryPoint(md).getTime();
    expect(point).toBeGreaterThanOrEqual(before);
    expect(point).toBeLessThanOrEqual(after);
  });
  it('is an identity inside a sane window: 5 min early at most, 8 h late at most unless backfill (never the recovery point)', () => {
    const now = new Date('2026-11-23T10:00:00Z');
    expect(() => checkSlotTime('event.time', new Date('2026-11-23T10:05:00Z'), { now })).not.toThrow();
    expect(() => checkSlotTime('event.time', new Date('2026-11-23T10:06:00Z'), { now })).toThrow(/ahead of this run's clock/);
    expect(() => checkSlotTime('event.time', new Date('2026-11-23T10:06:00Z'), { now, backfill: true })).toThrow(/ahead of this run's clock/);
    expect(() => checkSlotTime('event.time', new Date('2026-11-23T02:00:00Z'), { now })).not.toThrow();
    expect(() => checkSlotTime('event.time', new Date('2026-11-23T01:59:00Z'), { now })).toThrow(/"backfill": true/);
    expect(() => checkSlotTime('event.time', new Date('2026-11-01T02:00:00Z'), { now, backfill: true })).not.toThrow();
  });
});
