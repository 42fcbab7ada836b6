/**
 * Slots: one unit of scheduled work (a tier's backup at its scheduled time; later, each window of
 * an incremental export), claimed by a conditional write in the state table BEFORE any work, so
 * that duplicate deliveries, Lambda retries and overlapping runs never write twice.
 *
 * The contract (test/lambda/backup/slot.test.ts states it):
 * - The first run to PutItem the slot's key (`attribute_not_exists`) owns it: state `running`,
 *   a lease it renews by heartbeat. Nobody else writes into the slot's output while it does.
 * - A second run for the slot: `committed` -> exits; `exporting` (work handed to the export
 *   finalizer) -> exits; `running` with a live lease -> waits (polling) until the slot settles
 *   or its own time runs out, then exits; `running` with an expired lease (the owner died:
 *   crash, timeout, out of memory) or `failed` -> takes it over with a conditional update on the
 *   attempt it saw, attempt + 1, and resumes the same slot.
 * - Every write that marks the output (commit markers, failure markers) is fenced: the owner
 *   renews its lease conditionally first; a run that lost its slot gets SlotLostError and
 *   writes nothing more. Runs after the first write their bulk output under their attempt
 *   number, so a run that lost its slot mid-write never overwrites its successor's files.
 * - Exactly one run flips the slot to `committed` (conditional on owner and state); whoever
 *   flips it reports the success (one success metric per slot). A lost response to that write
 *   is settled by re-reading the slot: `committed` by this owner is this run's commit.
 * - A slot's time is its identity only: checked against the run's clock before the claim
 *   (checkSlotTime: refused outside the sane window unless backfill) and never the set's
 *   recovery point, which is when the data was read (lambda/format/trusted-time.ts).
 *
 * Waiting instead of exiting matters: Lambda retries an invocation only when it fails, so a
 * retry that exited "busy" behind a dead owner's lease would leave the slot undone.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  waitUntilTableExists,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { MetricNameValue } from '../shared/metrics';
import { SlotClaimError } from './slot-errors';

/** States of a slot. */
export type SlotState = 'running' | 'exporting' | 'committed' | 'failed';

/** One unit of scheduled work. */
export interface Slot {
  /** What kind of work: `backup` (a tier's set); `window` (an incremental export window, lambda/incremental). */
  readonly kind: string;
  /** Within the kind: the tier (or, for windows, the table whose chain it extends). */
  readonly scope: string;
  /** The scheduled time (or window start), already truncated to the schedule's granularity: the slot's IDENTITY, never the recovery point (trusted-time.ts). */
  readonly time: Date;
}

/** The state table's key of a slot: `<kind>#<scope>#<ISO time>`. */
export function slotKey(s: Slot): string {
  return `${s.kind}#${s.scope}#${s.time.toISOString()}`;
}

/** `d` truncated to a multiple of `granularityMs` since the epoch (60 000: the minute, EventBridge's finest schedule). */
export function truncateTime(d: Date, granularityMs = 60_000): Date {
  return new Date(Math.floor(d.getTime() / granularityMs) * granularityMs);
}

/** Slot times are parsed by trusted time (lambda/format/trusted-time.ts): strictly, and only inside the sane window. */
export { parseEventTime, checkSlotTime } from '../format/trusted-time';

/** A slot's item in the state table. */
export interface SlotRecord {
  readonly key: string;
  readonly state: SlotState;
  readonly owner: string;
  readonly attempt: number;
  /** Epoch ms after which a `running` slot counts as abandoned. */
  readonly leaseExpiresAt: number;
  readonly updatedAt: string;
  readonly reason?: string;
  /** What the kind records (for backups: backupId). */
  readonly detail: Record<string, string>;
}

/** Thrown when a run no longer holds its slot (another run took it over): write nothing more. */
export class SlotLostError extends Error {
  constructor(key: string, owner: string) {
    super(`slot ${key} is no longer held by ${owner}: another run took it over after this run's lease expired; this run writes nothing more`);
    this.name = 'SlotLostError';
  }
}

/** Options of {@link SlotStore}. */
export interface SlotStoreOptions {
  readonly dynamodb: DynamoDBClient;
  /** The state table (partition key `pk`, string; TTL attribute `expiresAt`). */
  readonly tableName: string;
  /** A run's lease; renewed every quarter of it. @default 120 000 ms */
  readonly leaseMs?: number;
  /** Items expire (table TTL) this long after their last update. @default 35 days */
  readonly retentionDays?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** Outcome of {@link SlotStore.claim}. */
export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly lease: SlotLease }
  /** Someone else finished, handed off, or still holds the slot; this run does nothing. */
  | { readonly outcome: 'committed' | 'exporting' | 'busy'; readonly record: SlotRecord };

/** Options of {@link SlotStore.claim}. */
export interface ClaimOptions {
  /** Epoch ms until which a run waits behind a live owner. @default - no waiting */
  readonly waitUntil?: number;
  /** First poll interval while waiting (doubles up to 5 s). @default 250 */
  readonly pollMs?: number;
  /** Recorded on the item, e.g. `{ backupId }`. */
  readonly detail?: Record<string, string>;
  /** The metric the caller reports a failed claim as; named in the {@link SlotClaimError}. @default - none named */
  readonly failureMetric?: MetricNameValue;
}

// Every attribute through a name: STATE, OWNER and others are DynamoDB reserved words.
const names = {
  '#s': 'state',
  '#o': 'owner',
  '#a': 'attempt',
  '#l': 'leaseExpiresAt',
  '#u': 'updatedAt',
  '#e': 'expiresAt',
  '#r': 'reason',
  '#p': 'previousOwner',
};
const isConditionFailed = (e: unknown) => e instanceof ConditionalCheckFailedException || (e as Error)?.name === 'ConditionalCheckFailedException';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The state table's slots. */
export class SlotStore {
  readonly leaseMs: number;
  readonly clock: () => number;

  constructor(private readonly o: SlotStoreOptions) {
    if (!o.tableName) throw new Error('SlotStore needs the state table name (env STATE_TABLE: the stack sets it on the backup and finalizer functions)');
    this.leaseMs = o.leaseMs ?? 120_000;
    this.clock = o.clock ?? Date.now;
  }

  /** The slot's record, read consistently; undefined when never claimed (or expired by TTL). */
  async get(slot: Slot): Promise<SlotRecord | undefined> {
    const res = await this.o.dynamodb.send(new GetItemCommand({ TableName: this.o.tableName, Key: { pk: { S: slotKey(slot) } }, ConsistentRead: true }));
    return res.Item ? toRecord(res.Item) : undefined;
  }

  /**
   * Claims the slot for `owner` (see the module comment for what a second run does). A claim that
   * fails itself (table missing, access denied, throttled beyond retries) throws SlotClaimError.
   */
  async claim(slot: Slot, owner: string, opts: ClaimOptions = {}): Promise<ClaimResult> {
    try {
      return await this.tryClaim(slot, owner, opts);
    } catch (e) {
      throw new SlotClaimError(slotKey(slot), this.o.tableName, e, opts.failureMetric);
    }
  }

  private async tryClaim(slot: Slot, owner: string, opts: ClaimOptions): Promise<ClaimResult> {
    const key = slotKey(slot);
    const now = this.clock();
    try {
      await this.o.dynamodb.send(
        new PutItemCommand({
          TableName: this.o.tableName,
          Item: {
            pk: { S: key },
            state: { S: 'running' },
            owner: { S: owner },
            attempt: { N: '1' },
            leaseExpiresAt: { N: String(now + this.leaseMs) },
            updatedAt: { S: new Date(now).toISOString() },
            expiresAt: { N: String(this.expiresAt(now)) },
            detail: { M: toMap(opts.detail) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { outcome: 'claimed', lease: new SlotLease(this, slot, owner, 1) };
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    let poll = opts.pollMs ?? 250;
    for (;;) {
      const rec = await this.get(slot);
      if (!rec) return this.tryClaim(slot, owner, opts);
      if (rec.state === 'committed' || rec.state === 'exporting') return { outcome: rec.state, record: rec };
      if (rec.state === 'failed' || rec.leaseExpiresAt <= this.clock()) {
        const lease = await this.takeOver(slot, rec, owner);
        if (lease) return { outcome: 'claimed', lease };
        continue;
      }
      if (this.clock() + poll > (opts.waitUntil ?? 0)) return { outcome: 'busy', record: rec };
      await sleep(poll);
      poll = Math.min(poll * 2, 5_000);
    }
  }

  /** Takes over an abandoned or failed slot, conditional on the attempt and state seen; undefined when another run was faster. */
  private async takeOver(slot: Slot, seen: SlotRecord, owner: string): Promise<SlotLease | undefined> {
    const now = this.clock();
    const attempt = seen.attempt + 1;
    try {
      await this.update(
        slot,
        'SET #s = :running, #o = :me, #a = :next, #l = :lease, #u = :now, #e = :exp, #p = :prev REMOVE #r',
        '#a = :seen AND #s = :seenState',
        {
          ':running': { S: 'running' },
          ':me': { S: owner },
          ':next': { N: String(attempt) },
          ':lease': { N: String(now + this.leaseMs) },
          ':now': { S: new Date(now).toISOString() },
          ':exp': { N: String(this.expiresAt(now)) },
          ':prev': { S: seen.owner },
          ':seen': { N: String(seen.attempt) },
          ':seenState': { S: seen.state },
        },
      );
      return new SlotLease(this, slot, owner, attempt, seen.owner);
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  /**
   * Settles a slot whose work was handed off (the export finalizer): `committed` or `failed`,
   * from `exporting` or `running`, or creating the item for work that never claimed a slot
   * (ad-hoc `dr backup`). True when this call made the change: its caller reports it, once.
   */
  async settle(slot: Slot, to: 'committed' | 'failed', reason?: string): Promise<boolean> {
    const now = this.clock();
    try {
      await this.update(
        slot,
        `SET #s = :to, #u = :now, #e = :exp, #l = :zero, #a = if_not_exists(#a, :one), #o = if_not_exists(#o, :settler)${reason ? ', #r = :why' : ''}`,
        'attribute_not_exists(pk) OR #s IN (:exporting, :running)',
        {
          ':to': { S: to },
          ':now': { S: new Date(now).toISOString() },
          ':exp': { N: String(this.expiresAt(now)) },
          ':zero': { N: '0' },
          ':one': { N: '1' },
          ':settler': { S: 'settled-without-claim' },
          ':exporting': { S: 'exporting' },
          ':running': { S: 'running' },
          ...(reason ? { ':why': { S: reason.slice(0, 1000) } } : {}),
        },
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /** UpdateItem on a slot with the shared attribute names. @internal */
  async update(slot: Slot, set: string, condition: string, values: Record<string, AttributeValue>): Promise<void> {
    const used = (k: string) => set.includes(k) || condition.includes(k);
    await this.o.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.o.tableName,
        Key: { pk: { S: slotKey(slot) } },
        UpdateExpression: set,
        ConditionExpression: condition,
        ExpressionAttributeNames: Object.fromEntries(Object.entries(names).filter(([k]) => used(k))),
        ExpressionAttributeValues: values,
      }),
    );
  }

  private expiresAt(now: number): number {
    return Math.floor(now / 1000) + (this.o.retentionDays ?? 35) * 86_400;
  }
}

/** A held slot: heartbeat, fence, and the one transition out of `running`. */
export class SlotLease {
  private timer?: NodeJS.Timeout;
  private lostFlag = false;

  constructor(
    private readonly store: SlotStore,
    readonly slot: Slot,
    readonly owner: string,
    /** 1 for the first run of the slot, n for the (n-1)th takeover. */
    readonly attempt: number,
    /** The run this one took the slot over from. */
    readonly takenOverFrom?: string,
  ) {}

  /** True once a renewal found the slot held by another run. */
  get lost(): boolean {
    return this.lostFlag;
  }

  /** Renews the lease every quarter of it until {@link stop} or a transition; a renewal that finds the slot taken marks the lease lost. */
  startHeartbeat(): void {
    this.timer ??= setInterval(() => void this.renew().catch(() => undefined), Math.max(1, this.store.leaseMs / 4));
    this.timer.unref();
  }

  /** Stops the heartbeat. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Renews the lease (conditional on still owning the slot); throws SlotLostError when another run holds it. */
  async fence(): Promise<void> {
    if (this.lostFlag) throw new SlotLostError(slotKey(this.slot), this.owner);
    await this.renew();
    if (this.lostFlag) throw new SlotLostError(slotKey(this.slot), this.owner);
  }

  /**
   * Leaves `running` for `to` (committed, exporting = handed to the export finalizer, failed),
   * conditional on still owning the slot. True when this run made the transition.
   */
  async finish(to: Exclude<SlotState, 'running'>, reason?: string): Promise<boolean> {
    this.stop();
    const now = this.store.clock();
    try {
      await this.store.update(this.slot, `SET #s = :to, #u = :now, #l = :zero${reason ? ', #r = :why' : ''}`, '#o = :me AND #s = :running', {
        ':to': { S: to },
        ':now': { S: new Date(now).toISOString() },
        ':zero': { N: '0' },
        ':me': { S: this.owner },
        ':running': { S: 'running' },
        ...(reason ? { ':why': { S: reason.slice(0, 1000) } } : {}),
      });
      return true;
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      // The SDK retries a write whose response was lost; the retry then fails its own condition
      // although the first attempt made the change. The slot itself says which.
      const now2 = await this.store.get(this.slot);
      if (now2?.owner === this.owner && now2.state === to && now2.attempt === this.attempt) return true;
      this.lostFlag = true;
      return false;
    }
  }

  private async renew(): Promise<void> {
    const now = this.store.clock();
    try {
      await this.store.update(this.slot, 'SET #l = :lease, #u = :now', '#o = :me AND #s = :running', {
        ':lease': { N: String(now + this.store.leaseMs) },
        ':now': { S: new Date(now).toISOString() },
        ':me': { S: this.owner },
        ':running': { S: 'running' },
      });
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      this.lostFlag = true;
      this.stop();
    }
  }
}

function toMap(detail: Record<string, string> = {}): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, { S: v }]));
}

function toRecord(item: Record<string, AttributeValue>): SlotRecord {
  return {
    key: item.pk.S!,
    state: item.state.S as SlotState,
    owner: item.owner?.S ?? '',
    attempt: Number(item.attempt?.N ?? '1'),
    leaseExpiresAt: Number(item.leaseExpiresAt?.N ?? '0'),
    updatedAt: item.updatedAt?.S ?? '',
    ...(item.reason?.S ? { reason: item.reason.S } : {}),
    detail: Object.fromEntries(Object.entries(item.detail?.M ?? {}).map(([k, v]) => [k, v.S ?? ''])),
  };
}

/**
 * Creates a state table where no stack does (the drill, local tests): the key of
 * lib/constructs/slot-table.ts, on demand. Lambda code never calls it.
 */
export async function createSlotTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 120, minDelay: 1 }, { TableName: tableName });
}
