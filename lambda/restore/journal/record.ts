/**
 * The journal object, `restores/<target>.json` in the backup bucket: its shape, its key, reading
 * it with its version (ETag), and the target's creation identity it is bound to.
 */
import { createHash } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { getJsonWithEtag, listKeys } from '../../store/s3-io';

/** Where journals live in the backup bucket (outside `backups/`, so the catalog never sees them). */
export const RESTORE_JOURNAL_PREFIX = 'restores/';
/** Version of the journal object. */
export const JOURNAL_VERSION = 1;

/** `unfinished`: started, not verified (running, or killed); `failed`: stopped with a problem; `verified`: complete and checked. */
export type JournalState = 'unfinished' | 'verified' | 'failed';

/** One resumable unit of a restore: a data file for the write engine, a window for a chain, an object batch for a bucket. */
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

/**
 * Which table a journal is about: DynamoDB's TableId and CreationDateTime (DescribeTable). A table
 * dropped and created again under the same name has another identity: the journal is foreign to
 * it. Targets that are not DynamoDB tables (a bucket) record what identifies them the same way.
 */
export interface TargetIdentity {
  /** DescribeTable's TableId, where the endpoint gives one. */
  readonly tableId?: string;
  /** DescribeTable's CreationDateTime, ISO. */
  readonly createdAt?: string;
}

/** Prefix of a chain's window parts: `window/<window start, ISO>`. */
export const WINDOW_PART_PREFIX = 'window/';

/** The journal part of the incremental window starting at `from`. */
export function windowPartId(from: Date): string {
  return `${WINDOW_PART_PREFIX}${from.toISOString()}`;
}

/**
 * A point-in-time restore (`dr restore --at`): the base set's parts first, then one part per
 * window, in order. The target is `verified` only once its last window is applied; the base's own
 * verification is recorded as `baseVerifiedItems` and keeps the journal `unfinished`.
 */
export interface JournalChain {
  /** The restore point, ISO: a resume must ask for the same one. */
  readonly at: string;
  /** `<tier>/<backupId>` of the base. */
  readonly baseSet: string;
  /** The base's count once it was verified: from then on a resume applies windows only. */
  readonly baseVerifiedItems?: number;
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
  /** The run holding the journal now (each start and resume is a new run id). */
  readonly runId?: string;
  readonly parts: JournalPart[];
  /** Items in the backup for this table. */
  readonly expectedItems: number;
  /** Sum of the items of the parts done. */
  readonly doneItems: number;
  /** The count found in the table, once verified. */
  readonly verifiedItems?: number;
  /** Why the restore failed (`failed` only). */
  readonly problem?: string;
  /**
   * `data`: the restore failed on an item of the backup set that DynamoDB cannot store (a data
   * error): no --resume can pass it. Absent for every other failure (a resume may continue).
   */
  readonly failure?: 'data';
  readonly operation?: JournalOperation;
  /** Facts a rerun must know about single objects, by id (a bucket restore: a multipart copy's ETag, written before it completes). */
  readonly objects?: Readonly<Record<string, string>>;
  /** The key prefix a bucket restore covers (`dr restore-bucket --prefix`): `dr list` prints its exact resume command. */
  readonly prefix?: string;
  /** The exact table the restore started on, once it exists (bound at start for an existing table, after CreateTable for a new one). */
  readonly targetIdentity?: TargetIdentity;
  /**
   * The region of the target table (the restoring DynamoDB client's), recorded at each start: `dr
   * list` judges the journal against the live table there (standing.ts). Absent in journals written
   * before it was recorded, and for targets that are not tables.
   */
  readonly targetRegion?: string;
  /** Set for a point-in-time restore: its point, its base, and whether the base is verified. */
  readonly chain?: JournalChain;
}

/** A journal as read, with the version (ETag) a conditional write must match to replace it. */
export interface JournalVersion {
  readonly record: RestoreJournalRecord;
  readonly etag: string;
}

/** The journal's key for a target table. */
export function journalKey(target: string): string {
  return `${RESTORE_JOURNAL_PREFIX}${target}.json`;
}

/** Reads a target's journal; undefined when there is none. */
export async function readJournal(s3: S3Client, bucket: string, target: string): Promise<RestoreJournalRecord | undefined> {
  return (await readJournalVersion(s3, bucket, target))?.record;
}

/** Reads a target's journal with its ETag (what a restore must match to take the target over); undefined when there is none. */
export async function readJournalVersion(s3: S3Client, bucket: string, target: string): Promise<JournalVersion | undefined> {
  const got = await getJsonWithEtag<RestoreJournalRecord>(s3, bucket, journalKey(target));
  return got ? { record: got.value, etag: got.etag } : undefined;
}

/** Every journal in the bucket (one listing of `restores/`, then one read per journal). */
export async function listJournals(s3: S3Client, bucket: string): Promise<RestoreJournalRecord[]> {
  const keys = (await listKeys(s3, bucket, RESTORE_JOURNAL_PREFIX)).filter((k) => k.endsWith('.json'));
  const out = await Promise.all(keys.map((k) => getJsonWithEtag<RestoreJournalRecord>(s3, bucket, k).catch(() => undefined)));
  return out.filter((j): j is { value: RestoreJournalRecord; etag: string } => j !== undefined).map((j) => j.value);
}

/** A stable idempotency token for an engine's operation on a target (1-64 characters, as ImportTable's ClientToken allows). */
export function stableClientToken(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** The creation identity of an existing table (DescribeTable); undefined when it does not exist. */
export async function describeIdentity(dynamodb: DynamoDBClient, table: string): Promise<TargetIdentity | undefined> {
  try {
    const t = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table;
    return { ...(t?.TableId ? { tableId: t.TableId } : {}), ...(t?.CreationDateTime ? { createdAt: t.CreationDateTime.toISOString() } : {}) };
  } catch (e) {
    if ((e as Error)?.name === 'ResourceNotFoundException') return undefined;
    throw e;
  }
}

/** False when both identities are known and name different tables (TableId first, else the creation time). */
export function sameIdentity(a: TargetIdentity | undefined, b: TargetIdentity | undefined): boolean {
  if (!a || !b) return true;
  if (a.tableId && b.tableId) return a.tableId === b.tableId;
  if (a.createdAt && b.createdAt) return a.createdAt === b.createdAt;
  return true;
}

/** "table id X, created T" for messages. */
export function describeIdentityText(i: TargetIdentity | undefined): string {
  if (!i) return 'unknown';
  return [i.createdAt ? `created ${i.createdAt}` : '', i.tableId ? `TableId ${i.tableId}` : ''].filter(Boolean).join(', ') || 'unknown';
}
