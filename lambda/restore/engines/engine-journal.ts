/**
 * Import and bulk put through the restore journal (lambda/restore/journal.ts): the target is
 * `unfinished` from before the request until it is verified; the operation's ClientToken is
 * recorded BEFORE the request is sent, so a rerun with `--resume` sends the same token and
 * DynamoDB hands back the operation already running (within its 8-hour idempotency window)
 * instead of starting a second one.
 *
 * One journal part stands for the whole operation: DynamoDB runs it as one unit.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { decideTarget, readJournal, readRestoreTag, RestoreJournal, unfinishedRestore } from '../journal';
import type { RestoreEngineName } from './engine-types';

/** The journal part of an engine operation. */
export function operationPartId(engine: RestoreEngineName): string {
  return `${engine}-operation`;
}

/** Who and what one engine target is. */
export interface EngineJournalTarget {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly dynamodb: DynamoDBClient;
  readonly target: string;
  readonly source: string;
  readonly backupId: string;
  readonly tier: string;
  readonly engine: RestoreEngineName;
  readonly intoExisting: boolean;
  readonly items: number;
}

/**
 * An existing engine target that the journal (or its tag) records as an unfinished restore:
 * with `resume` and the same set and table it is resumed (true); without `resume`, or of another
 * set, decideTarget refuses with the fix ("rerun with --resume, or delete it"). A target with no
 * such record returns false: the ordinary target checks apply.
 */
export async function resumesUnfinishedTarget(t: EngineJournalTarget, resume: boolean): Promise<boolean> {
  const [journal, tag] = await Promise.all([readJournal(t.s3, t.bucket, t.target), readRestoreTag(t.dynamodb, t.target)]);
  const facts = { exists: true, hasItems: true, journal, tag };
  if (!unfinishedRestore(facts)) return false;
  const decision = decideTarget({ target: t.target, source: t.source, backupId: t.backupId, tier: t.tier, intoExisting: t.intoExisting, resume }, facts);
  return decision.mode === 'resume';
}

/** Opens (or resumes) the journal of an engine target before its request is sent. */
export async function startEngineJournal(t: EngineJournalTarget, resume: boolean): Promise<RestoreJournal> {
  const prev = resume ? await readJournal(t.s3, t.bucket, t.target) : undefined;
  const resumeFrom = prev && prev.state !== 'verified' && prev.backupId === t.backupId && prev.source === t.source ? prev : undefined;
  return RestoreJournal.start({
    s3: t.s3,
    bucket: t.bucket,
    dynamodb: t.dynamodb,
    target: t.target,
    source: t.source,
    backupId: t.backupId,
    tier: t.tier,
    engine: t.engine,
    intoExisting: t.intoExisting,
    parts: [{ id: operationPartId(t.engine), items: t.items }],
    resumeFrom,
    // An existing table (bulk) is tagged now; a new one (import) once ImportTable has created it.
    tagNow: t.intoExisting,
  });
}

/** The ClientToken a resumed journal recorded for this engine, if any. */
export function recordedClientToken(journal: RestoreJournal, engine: RestoreEngineName): string | undefined {
  const op = journal.record.operation;
  return op && op.engine === engine ? op.clientToken : undefined;
}
