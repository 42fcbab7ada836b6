/**
 * Import and bulk put through the restore journal (lambda/restore/journal.ts): the target is
 * `unfinished` from before the request until it is verified; the operation's ClientToken is
 * recorded BEFORE the request is sent, so a rerun with `--resume` sends the same token and
 * DynamoDB hands back the operation already running (within its 8-hour idempotency window)
 * instead of starting a second one.
 *
 * One journal part stands for the whole operation: DynamoDB runs it as one unit.
 */
import { RestoreJournal, RestoreJournalRecord, StartJournalOptions } from '../journal';
import type { RestoreEngineName } from './engine-types';

/** The journal part of an engine operation. */
export function operationPartId(engine: RestoreEngineName): string {
  return `${engine}-operation`;
}

/** Who and what one engine target is: the journal's own start options, with the engine's one part as its item count. */
export interface EngineJournalTarget extends Omit<StartJournalOptions, 'engine' | 'parts' | 'resumeFrom' | 'tagNow'> {
  readonly engine: RestoreEngineName;
  readonly items: number;
}

/** Opens (or resumes: restore.ts decided it from the journal, decideTarget) the journal of an engine target before its request is sent. */
export async function startEngineJournal(t: EngineJournalTarget, resumeFrom: RestoreJournalRecord | undefined): Promise<RestoreJournal> {
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
    journalEtag: t.journalEtag,
    targetIdentity: t.targetIdentity,
    chain: t.chain,
  });
}

/** The ClientToken a resumed journal recorded for this engine, if any. */
export function recordedClientToken(journal: RestoreJournal, engine: RestoreEngineName): string | undefined {
  const op = journal.record.operation;
  return op && op.engine === engine ? op.clientToken : undefined;
}
