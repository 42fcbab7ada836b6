/**
 * The restore journal: a restore target is "unfinished" until it is verified, and a rerun with
 * `--resume` continues from what the journal says is done.
 *
 * Two marks, written before the first item and updated as the restore goes:
 * - a journal object in the backup bucket, `restores/<target>.json`: the backup set, the source
 *   table, the engine, each part (for the write engine: each data file) done or not, item counts,
 *   times, and the state `unfinished` | `verified` | `failed`. It is rewritten when a part is done
 *   (never per batch), at most one write in flight.
 * - where DynamoDB has tags, a tag on the target table: `dr-stack:restore` = `unfinished:<backupId>`,
 *   then `verified:<backupId>`. It travels with the table, so a restore started from another bucket
 *   (the replica) still sees it. DynamoDB Local has no tagging: there the tag is simply absent.
 *
 * Extension points (see /work/shared/SEAMS.md, "Restore journal"):
 * - engines that run as one AWS operation (ImportTable, bulk put) record it with
 *   {@link RestoreJournal.setOperation} before they send the request, and a rerun reuses its
 *   ClientToken ({@link stableClientToken}) instead of starting a second operation;
 * - a chain (the one-hour RPO: a base, then incremental windows) records one part per window, in
 *   order, and resumes at the first part not done.
 *
 * The contract is stated by test/lambda/restore/journal.test.ts.
 */
import { createHash } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand, TagResourceCommand, type Tag } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { getJsonIfExists, listKeys, putJson } from '../store/s3-io';
import { isUnsupportedApi } from './tables';
import { DEFAULT_RESTORE_SUFFIX, RestoreRefusedError } from './types';

/** Where journals live in the backup bucket (outside `backups/`, so the catalog never sees them). */
export const RESTORE_JOURNAL_PREFIX = 'restores/';
/** The tag on a restore target. Keys and values allow letters, digits, spaces and `+ - = . _ : /` (DynamoDB "Tagging restrictions"). */
export const RESTORE_TAG_KEY = 'dr-stack:restore';
/** Version of the journal object. */
export const JOURNAL_VERSION = 1;

/** `unfinished`: started, not verified (running, or killed); `failed`: stopped with a problem; `verified`: complete and checked. */
export type JournalState = 'unfinished' | 'verified' | 'failed';

/** One resumable unit of a restore: a data file for the write engine, a window for a chain. */
export interface JournalPart {
  /** The data file's S3 key (write engine), or the window's id (chain). */
  readonly id: string;
  /** Items the backup says the part holds. */
  readonly items: number;
  /** True once every item of the part is written AND the part passed its checks. */
  readonly done: boolean;
  readonly doneAt?: string;
}

/** An AWS operation an engine started for this target (ImportTable, bulk put), resumable by its token. */
export interface JournalOperation {
  /** e.g. `import`, `bulk`. */
  readonly engine: string;
  /** The idempotency token sent with the request (ImportTable / StartBulkPutItems ClientToken). */
  readonly clientToken: string;
  /** The operation's ARN or id once DynamoDB answered. */
  readonly arn?: string;
  readonly startedAt: string;
}

/** The journal object, `restores/<target>.json`. */
export interface RestoreJournalRecord {
  readonly version: number;
  readonly target: string;
  readonly source: string;
  readonly backupId: string;
  readonly tier: string;
  /** The restore engine (`write`, `import`, `bulk`, ...). */
  readonly engine: string;
  readonly intoExisting: boolean;
  readonly state: JournalState;
  /** The first start; kept across resumes. */
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Set with `verified` or `failed`. */
  readonly finishedAt?: string;
  /** 1 for the first run, +1 for each resume. */
  readonly runs: number;
  readonly parts: JournalPart[];
  /** Items in the backup for this table. */
  readonly expectedItems: number;
  /** Sum of the items of the parts done. */
  readonly doneItems: number;
  /** The count found in the table, once verified. */
  readonly verifiedItems?: number;
  /** Why the restore failed (`failed` only). */
  readonly problem?: string;
  readonly operation?: JournalOperation;
  /** Facts a rerun must know about single objects, by id (a bucket restore: a multipart copy's ETag, written before it completes). */
  readonly objects?: Readonly<Record<string, string>>;
}

/** The journal's key for a target table. */
export function journalKey(target: string): string {
  return `${RESTORE_JOURNAL_PREFIX}${target}.json`;
}

/** The tag value for a state: `unfinished:<backupId>`. */
export function restoreTagValue(state: JournalState, backupId: string): string {
  return `${state}:${backupId}`;
}

/** What a target's tag says, or undefined for a value that is not ours. */
export function parseRestoreTag(value: string | undefined): { state: JournalState; backupId: string } | undefined {
  const m = /^(unfinished|verified|failed):(.+)$/.exec(value ?? '');
  return m ? { state: m[1] as JournalState, backupId: m[2] } : undefined;
}

/** The tag to pass to CreateTable, so a new table is marked from its first second. */
export function unfinishedTags(backupId: string): Tag[] {
  return [{ Key: RESTORE_TAG_KEY, Value: restoreTagValue('unfinished', backupId) }];
}

/** Reads a target's journal; undefined when there is none. */
export async function readJournal(s3: S3Client, bucket: string, target: string): Promise<RestoreJournalRecord | undefined> {
  return getJsonIfExists<RestoreJournalRecord>(s3, bucket, journalKey(target));
}

/** Every journal in the bucket (one listing of `restores/`, then one read per journal). */
export async function listJournals(s3: S3Client, bucket: string): Promise<RestoreJournalRecord[]> {
  const keys = (await listKeys(s3, bucket, RESTORE_JOURNAL_PREFIX)).filter((k) => k.endsWith('.json'));
  const out = await Promise.all(keys.map((k) => getJsonIfExists<RestoreJournalRecord>(s3, bucket, k).catch(() => undefined)));
  return out.filter((j): j is RestoreJournalRecord => j !== undefined);
}

/** True when an error is an authorization refusal (the caller may not tag). */
function isAccessDenied(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation';
}

/**
 * The target's restore tag, or undefined: no such tag, or an endpoint without tagging (DynamoDB
 * Local answers UnknownOperationException), or no right to read tags.
 */
export async function readRestoreTag(dynamodb: DynamoDBClient, table: string): Promise<{ state: JournalState; backupId: string } | undefined> {
  try {
    const arn = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableArn;
    if (!arn) return undefined;
    const res = await dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    return parseRestoreTag(res.Tags?.find((t) => t.Key === RESTORE_TAG_KEY)?.Value);
  } catch (e) {
    if (isUnsupportedApi(e) || isAccessDenied(e)) return undefined;
    throw e;
  }
}

/** Sets the target's restore tag. Returns a warning when it could not (no tagging here, or not allowed). */
export async function writeRestoreTag(dynamodb: DynamoDBClient, table: string, state: JournalState, backupId: string): Promise<string | undefined> {
  try {
    const arn = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableArn;
    await dynamodb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: RESTORE_TAG_KEY, Value: restoreTagValue(state, backupId) }] }));
    return undefined;
  } catch (e) {
    // DynamoDB Local: "Tagging is not currently supported": the journal alone marks the target.
    if (isUnsupportedApi(e)) return undefined;
    if (isAccessDenied(e))
      return `tag ${RESTORE_TAG_KEY} on "${table}" not set (${(e as Error).message}): the journal s3 object still records the restore; allow dynamodb:TagResource to mark the table itself`;
    throw e;
  }
}

/** A stable idempotency token for an engine's operation on a target (1-64 characters, as ImportTable's ClientToken allows). */
export function stableClientToken(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** What the restore is asked to do for one target. */
export interface TargetRequest {
  readonly target: string;
  readonly source: string;
  readonly backupId: string;
  readonly tier: string;
  readonly intoExisting: boolean;
  /** `--resume`. */
  readonly resume: boolean;
}

/** What is known about a target before the restore touches it. */
export interface TargetFacts {
  readonly exists: boolean;
  /** Only asked for an existing target with intoExisting. */
  readonly hasItems?: boolean;
  readonly journal?: RestoreJournalRecord;
  readonly tag?: { state: JournalState; backupId: string };
}

/** What to do with a target: start afresh, or resume (skipping the parts the journal has done). */
export type TargetDecision = { readonly mode: 'fresh' } | { readonly mode: 'resume'; readonly journal?: RestoreJournalRecord };

/** The unfinished restore recorded for a target (journal first, the tag when there is no journal), if any. */
export function unfinishedRestore(facts: TargetFacts): { backupId: string; source?: string; journal?: RestoreJournalRecord } | undefined {
  if (facts.journal)
    return facts.journal.state === 'verified' ? undefined : { backupId: facts.journal.backupId, source: facts.journal.source, journal: facts.journal };
  if (facts.tag && facts.tag.state !== 'verified') return { backupId: facts.tag.backupId };
  return undefined;
}

/** "3 of 8 data files, 15000 of 40000 items" for messages. */
export function journalProgress(j: RestoreJournalRecord): string {
  return `${j.parts.filter((p) => p.done).length} of ${j.parts.length} parts done, ${j.doneItems} of ${j.expectedItems} items, ${j.state}${j.problem ? `: ${j.problem}` : ''}`;
}

/**
 * Decides, from the facts, whether a target may be written and how; throws RestoreRefusedError
 * (with the fix) otherwise. Pure.
 * - missing target: fresh (with --into-existing: refused, as ever);
 * - an unfinished restore of the same set and source: resumed with `resume`, else refused
 *   ("rerun with --resume, or delete it");
 * - an unfinished restore of another set: refused (resume that set, or delete the table);
 * - otherwise an existing table (new-table mode) or a non-empty one (--into-existing) is refused.
 */
export function decideTarget(req: TargetRequest, facts: TargetFacts): TargetDecision {
  const t = req.target;
  if (!facts.exists) {
    if (req.intoExisting)
      throw new RestoreRefusedError(
        `table "${t}" does not exist: --into-existing writes only into an existing empty table; drop --into-existing to create "${req.source}${DEFAULT_RESTORE_SUFFIX}" from the saved schema`,
      );
    return { mode: 'fresh' };
  }
  const open = unfinishedRestore(facts);
  const removal = req.intoExisting ? `empty it` : `delete it (aws dynamodb delete-table --table-name ${t})`;
  if (open && (open.backupId !== req.backupId || (open.source !== undefined && open.source !== req.source))) {
    throw new RestoreRefusedError(
      `table "${t}" holds an unfinished restore of backup set ${open.backupId}${open.source ? ` (table "${open.source}")` : ''}, not of ${req.backupId} ("${req.source}"): nothing was written; finish that one with "dr restore ${open.backupId} --resume${req.intoExisting ? ' --into-existing' : ''}", or ${removal} and restore ${req.backupId} again`,
    );
  }
  if (open && req.resume) return { mode: 'resume', journal: open.journal };
  if (open) {
    const where = open.journal ? ` (${journalProgress(open.journal)})` : '';
    throw new RestoreRefusedError(
      `table "${t}" is an unfinished restore of backup set ${req.backupId}${where}: it was never verified, so it is not a restored table; rerun with --resume to continue it, or ${removal} and restore again`,
    );
  }
  const resumeNote = req.resume ? ' (--resume: no unfinished restore is recorded for it)' : '';
  if (!req.intoExisting)
    throw new RestoreRefusedError(`table "${t}" already exists${resumeNote}: nothing was written; choose another --suffix, or delete it first`);
  if (facts.hasItems)
    throw new RestoreRefusedError(
      `table "${t}" is not empty${resumeNote}: --into-existing only writes into an empty table (nothing was written); restore into a new table with --suffix instead`,
    );
  return { mode: 'fresh' };
}

/** What {@link RestoreJournal.start} needs: the clients and bucket, and who the target is (as the record says it). */
export interface StartJournalOptions extends Pick<RestoreJournalRecord, 'target' | 'source' | 'backupId' | 'tier' | 'engine' | 'intoExisting'> {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly dynamodb?: DynamoDBClient; // absent: no tag (a bucket restore is marked by its journal alone)
  /** Every part of the restore, in order (their `done` is ignored: it comes from `resumeFrom`). */
  readonly parts: readonly Pick<JournalPart, 'id' | 'items'>[];
  /** The journal of the unfinished restore being resumed. @default - a fresh start */
  readonly resumeFrom?: RestoreJournalRecord;
  /** Tag the target now (an existing table; a new one gets {@link unfinishedTags} at CreateTable). @default false */
  readonly tagNow?: boolean;
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
  ) {}

  /**
   * Writes the `unfinished` journal (and, with tagNow, the tag) before anything is written to the
   * target. Resuming keeps the parts done and the first start time and counts one more run.
   */
  static async start(opts: StartJournalOptions): Promise<RestoreJournal> {
    const now = new Date().toISOString();
    const prev = opts.resumeFrom;
    const done = new Map((prev?.parts ?? []).filter((p) => p.done).map((p) => [p.id, p]));
    const parts = opts.parts.map<JournalPart>((p) => done.get(p.id) ?? { id: p.id, items: p.items, done: false });
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
      expectedItems: opts.parts.reduce((n, p) => n + p.items, 0),
      doneItems: parts.filter((p) => p.done).reduce((n, p) => n + p.items, 0),
      operation: prev?.operation,
      objects: prev?.objects,
    };
    const j = new RestoreJournal(opts, rec);
    await putJson(opts.s3, opts.bucket, journalKey(opts.target), rec);
    if (opts.tagNow) await j.tag('unfinished');
    return j;
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

  /** The target is complete and checked: journal then tag say `verified`. */
  async verified(verifiedItems: number): Promise<void> {
    const now = new Date().toISOString();
    this.update({ state: 'verified', verifiedItems, finishedAt: now, problem: undefined });
    await this.flush();
    await this.tag('verified');
  }

  /** The restore stopped with a problem: the journal says `failed` (the tag stays `unfinished`). Never throws. */
  async failed(problem: string): Promise<void> {
    this.error = undefined;
    this.update({ state: 'failed', problem, finishedAt: new Date().toISOString() });
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
        await putJson(this.opts.s3, this.opts.bucket, journalKey(this.rec.target), this.rec);
      }
    } catch (e) {
      this.error ??= e;
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
