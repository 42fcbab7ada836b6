/**
 * One target's journal while its restore runs: claimed by a conditional write, then rewritten only
 * by the run that claimed it (each write conditional on the version it wrote last).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { PreconditionFailedError, putJsonIf, type WriteCondition } from '../../store/s3-io';
import { RestoreRefusedError } from '../types';
import { foreignTableRefusal } from './decide';
import {
  describeIdentity,
  JOURNAL_VERSION,
  journalKey,
  readJournalVersion,
  sameIdentity,
  WINDOW_PART_PREFIX,
  type JournalOperation,
  type JournalPart,
  type JournalState,
  type RestoreJournalRecord,
  type TargetIdentity,
} from './record';
import { writeRestoreTag } from './tag';

/** Thrown when another run changed the journal this run holds: this run writes nothing more to the target. */
export class JournalTakenError extends Error {
  constructor(target: string) {
    super(
      `the restore journal of "${target}" was changed by another run while this one held it (two restores of one target): this run stopped writing; check "dr list" and let the other restore finish`,
    );
    this.name = 'JournalTakenError';
  }
}

/** The region a DynamoDB client sends to; undefined when it has none it can say. */
async function clientRegion(dynamodb: DynamoDBClient): Promise<string | undefined> {
  try {
    return await dynamodb.config.region();
  } catch {
    return undefined;
  }
}

/** What {@link RestoreJournal.start} needs: the clients and bucket, and who the target is (as the record says it). */
export interface StartJournalOptions extends Pick<RestoreJournalRecord, 'target' | 'source' | 'backupId' | 'tier' | 'engine' | 'intoExisting' | 'prefix'> {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The target table's client: its region is recorded (targetRegion). Absent: no tag and no region (a bucket restore is marked by its journal alone). */
  readonly dynamodb?: DynamoDBClient;
  /** Every part of the restore, in order (their `done` is ignored: it comes from `resumeFrom`). */
  readonly parts: readonly Pick<JournalPart, 'id' | 'items'>[];
  /** The journal of the unfinished restore being resumed. @default - a fresh start */
  readonly resumeFrom?: RestoreJournalRecord;
  /** Tag the target now (an existing table; a new one gets {@link unfinishedTags} at CreateTable). @default false */
  readonly tagNow?: boolean;
  /**
   * The journal's version (ETag) the decision was made on (TargetDecision.journalEtag); undefined
   * when there was none. The start writes the journal conditional on it (If-Match, or If-None-Match
   * when there was none): of two restores of one target deciding at once, one is refused here.
   */
  readonly journalEtag?: string;
  /** The target's identity when it exists already (--into-existing, a resume); a new table is bound with {@link RestoreJournal.bindTarget}. */
  readonly targetIdentity?: TargetIdentity;
  /**
   * A point-in-time restore: its point and base, and one part per window (ids from windowPartId,
   * in order) after the base's parts. @default - a restore of the set alone
   */
  readonly chain?: ChainStart;
}

/** The chain a point-in-time restore adds to its target's journal. */
export interface ChainStart {
  readonly at: string;
  readonly baseSet: string;
  readonly windows: readonly Pick<JournalPart, 'id' | 'items'>[];
}

/**
 * One target's journal while its restore runs. Writes are serialized and coalesced: at most one
 * PutObject in flight, and a change made while one is in flight is written once it returns.
 */
export class RestoreJournal {
  /** Warnings to report (a tag that could not be set). */
  readonly warnings: string[] = [];
  private pending: Promise<void> = Promise.resolve();
  private dirty = false;
  private writing = false;
  private error: unknown;

  private constructor(
    private readonly opts: StartJournalOptions,
    private rec: RestoreJournalRecord,
    /** The version this run wrote last: its next write is conditional on it. */
    private etag: string,
  ) {}

  /**
   * Writes the `unfinished` journal (and, with tagNow, the tag) before anything is written to the
   * target. Resuming keeps the parts done and the first start time and counts one more run.
   */
  static async start(opts: StartJournalOptions): Promise<RestoreJournal> {
    const now = new Date().toISOString();
    const prev = opts.resumeFrom;
    const region = opts.dynamodb ? await clientRegion(opts.dynamodb) : undefined;
    const done = new Map((prev?.parts ?? []).filter((p) => p.done).map((p) => [p.id, p]));
    const all = [...opts.parts, ...(opts.chain?.windows ?? [])];
    const parts = all.map<JournalPart>((p) => done.get(p.id) ?? { id: p.id, items: p.items, done: false });
    const rec: RestoreJournalRecord = {
      version: JOURNAL_VERSION,
      target: opts.target,
      source: opts.source,
      backupId: opts.backupId,
      tier: opts.tier,
      engine: opts.engine,
      intoExisting: opts.intoExisting,
      state: 'unfinished',
      startedAt: prev?.startedAt ?? now,
      updatedAt: now,
      runs: (prev?.runs ?? 0) + 1,
      parts,
      expectedItems: all.reduce((n, p) => n + p.items, 0),
      doneItems: parts.filter((p) => p.done).reduce((n, p) => n + p.items, 0),
      operation: prev?.operation,
      objects: prev?.objects,
      runId: randomUUID(),
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
      ...((opts.targetIdentity ?? prev?.targetIdentity) ? { targetIdentity: opts.targetIdentity ?? prev?.targetIdentity } : {}),
      ...(region ? { targetRegion: region } : {}),
      ...(opts.chain ? { chain: { at: opts.chain.at, baseSet: opts.chain.baseSet } } : {}),
    };
    const cond: WriteCondition = opts.journalEtag ? { ifMatch: opts.journalEtag } : { ifNoneMatch: '*' };
    let etag: string;
    try {
      etag = await putJsonIf(opts.s3, opts.bucket, journalKey(opts.target), rec, cond);
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
      throw new RestoreRefusedError(
        `another restore of "${opts.target}" claimed it first (its journal s3://${opts.bucket}/${journalKey(opts.target)} changed after this run read it): ` +
          'nothing was written by this run; let that restore finish (see "dr list"), then check the table',
      );
    }
    const j = new RestoreJournal(opts, rec, etag);
    if (opts.tagNow) await j.tag('unfinished');
    return j;
  }

  /**
   * Continues a chain whose base is verified (`dr restore --at`, after the base restore or on
   * --resume): the same journal object, held from the version read (a change by anyone else since
   * stops this run, as every write is conditional on it). Throws when there is no such chain.
   */
  static async continueChain(o: {
    readonly s3: S3Client;
    readonly bucket: string;
    readonly dynamodb?: DynamoDBClient;
    readonly target: string;
    /** A resume: one more run. */
    readonly resumed: boolean;
  }): Promise<RestoreJournal> {
    const v = await readJournalVersion(o.s3, o.bucket, o.target);
    const rec = v?.record;
    if (!v || !rec?.chain || rec.chain.baseVerifiedItems === undefined || rec.state === 'verified' || rec.failure === 'data')
      throw new Error(
        `the restore journal of "${o.target}" holds no chain with a verified base to continue (${rec ? `state ${rec.state}` : 'no journal'}): restore again with "dr restore --at"`,
      );
    // The windows go into the table the base was restored into, never into one created since under
    // its name (the base's check, decide.ts, does not run again once the base is verified).
    if (o.dynamodb) {
      const live = await describeIdentity(o.dynamodb, o.target);
      if (!live)
        throw new RestoreRefusedError(
          `table "${o.target}" no longer exists: the restore as of ${rec.chain.at} has nothing to continue, and nothing was written; restore again with "dr restore --at ${rec.chain.at}" (without --resume)`,
        );
      if (!sameIdentity(rec.targetIdentity, live)) throw foreignTableRefusal(rec, live, o.bucket);
    }
    const opts: StartJournalOptions = { ...rec, s3: o.s3, bucket: o.bucket, dynamodb: o.dynamodb, parts: rec.parts, chain: undefined };
    const j = new RestoreJournal(opts, rec, v.etag);
    j.update({ state: 'unfinished', problem: undefined, finishedAt: undefined, ...(o.resumed ? { runs: rec.runs + 1, runId: randomUUID() } : {}) });
    await j.flush();
    return j;
  }

  /** Binds the journal to the table just created for it (its TableId and creation time), written before anything else is. */
  async bindTarget(identity: TargetIdentity | undefined): Promise<void> {
    if (!identity) return;
    this.update({ targetIdentity: identity });
    await this.flush();
  }

  /** The journal as last changed (not necessarily written yet: see {@link flush}). */
  get record(): RestoreJournalRecord {
    return this.rec;
  }

  /** Ids of the parts done (skipped by a resumed restore). */
  doneParts(): Set<string> {
    return new Set(this.rec.parts.filter((p) => p.done).map((p) => p.id));
  }

  /** Marks a part done (every item written and the part checked); the journal is written soon after. */
  markPartDone(id: string): void {
    // A batch acknowledged after the restore already stopped (failed / verified) leaves the final
    // journal as written: no write after the end (a rerun rewrites that part; puts are idempotent).
    if (this.rec.state !== 'unfinished') return;
    this.throwIfFailed();
    const now = new Date().toISOString();
    const parts = this.rec.parts.map((p) => (p.id === id && !p.done ? { ...p, done: true, doneAt: now } : p));
    if (!this.rec.parts.some((p) => p.id === id)) throw new Error(`journal of "${this.rec.target}": no part "${id}"`);
    this.update({ parts, doneItems: parts.filter((p) => p.done).reduce((n, p) => n + p.items, 0) });
  }

  /** Adds a part found while the restore runs (a bucket restore: one per listing page); a known part keeps its state. */
  addPart(part: Pick<JournalPart, 'id' | 'items'>): void {
    if (!this.rec.parts.some((p) => p.id === part.id))
      this.update({ parts: [...this.rec.parts, { id: part.id, items: part.items, done: false }], expectedItems: this.rec.expectedItems + part.items });
  }

  /** Records a fact about one object, written before returning (send the request it covers only after this). */
  async recordObject(id: string, value: string): Promise<void> {
    this.update({ objects: { ...this.rec.objects, [id]: value } });
    await this.flush();
  }

  /** Records the engine's AWS operation, written before returning: send the request only after this. */
  async setOperation(op: JournalOperation): Promise<void> {
    this.update({ operation: op });
    await this.flush();
  }

  /**
   * The target is complete and checked: journal then tag say `verified`. The base of a chain with
   * windows still to apply is not the target: it records `baseVerifiedItems` and stays unfinished.
   */
  async verified(verifiedItems: number): Promise<void> {
    const chain = this.rec.chain;
    if (chain && this.rec.parts.some((p) => !p.done && p.id.startsWith(WINDOW_PART_PREFIX))) {
      this.update({ chain: { ...chain, baseVerifiedItems: verifiedItems } });
      return this.flush();
    }
    const now = new Date().toISOString();
    this.update({ state: 'verified', verifiedItems, finishedAt: now, problem: undefined });
    await this.flush();
    await this.tag('verified');
  }

  /**
   * The restore stopped with a problem: the journal says `failed` (the tag stays `unfinished`);
   * `kind` `data` records a data error, which a resume refuses. Never throws.
   */
  async failed(problem: string, kind?: 'data'): Promise<void> {
    this.error = undefined;
    this.update({ state: 'failed', problem, finishedAt: new Date().toISOString(), ...(kind ? { failure: kind } : {}) });
    await this.flush().catch(() => undefined);
  }

  /** Waits for the journal writes scheduled so far; throws if one failed. */
  async flush(): Promise<void> {
    while (this.writing || this.dirty) await this.pending;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  private update(change: Partial<RestoreJournalRecord>): void {
    this.rec = { ...this.rec, ...change, updatedAt: new Date().toISOString() };
    this.dirty = true;
    if (!this.writing) this.pending = this.drain();
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.dirty) {
        this.dirty = false;
        this.etag = await putJsonIf(this.opts.s3, this.opts.bucket, journalKey(this.rec.target), this.rec, { ifMatch: this.etag });
      }
    } catch (e) {
      this.error ??= e instanceof PreconditionFailedError ? new JournalTakenError(this.rec.target) : e;
      this.dirty = false;
    } finally {
      this.writing = false;
    }
  }

  private async tag(state: JournalState): Promise<void> {
    if (!this.opts.dynamodb) return;
    const w = await writeRestoreTag(this.opts.dynamodb, this.opts.target, state, this.opts.backupId);
    if (w) this.warnings.push(w);
  }
}
