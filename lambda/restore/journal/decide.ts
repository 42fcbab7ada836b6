/**
 * Deciding what a restore may do with a target, from what exists and what its journal and tag say:
 * start afresh, resume, or refuse with the fix. Pure.
 */
import { DEFAULT_RESTORE_SUFFIX, RestoreRefusedError } from '../types';
import { describeIdentityText, journalKey, sameIdentity, type JournalState, type RestoreJournalRecord, type TargetIdentity } from './record';

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
  /** The journal's version as read (its ETag): the restore's claim of the target is a write conditional on it. */
  readonly journalEtag?: string;
  /** The existing table's creation identity (DescribeTable). */
  readonly identity?: TargetIdentity;
  readonly tag?: { state: JournalState; backupId: string };
}

/**
 * What to do with a target: start afresh, or resume (skipping the parts the journal has done).
 * `journalEtag` is the version of the journal the decision was made on (undefined: there was none):
 * the restore claims the target by a journal write conditional on it, so of two restores deciding
 * at once only one proceeds.
 */
export type TargetDecision =
  | { readonly mode: 'fresh'; readonly journalEtag?: string }
  | {
      readonly mode: 'resume';
      readonly journal?: RestoreJournalRecord;
      readonly journalEtag?: string;
      /** The import of this set that DynamoDB is running (or completed) into the target, with no journal that says otherwise: followed or verified, not repeated. */
      readonly attach?: { readonly importArn: string; readonly status: string };
    };

/** The facts as {@link decideTarget} reads them: a journal bound to another table than the one there now is foreign, and ignored. */
function applicable(facts: TargetFacts): TargetFacts {
  if (!facts.exists || !facts.journal || sameIdentity(facts.journal.targetIdentity, facts.identity)) return facts;
  return { ...facts, journal: undefined, tag: undefined };
}

/** The unfinished restore recorded for a target (journal first, the tag when there is no journal), if any. */
export function unfinishedRestore(facts: TargetFacts): { backupId: string; source?: string; journal?: RestoreJournalRecord } | undefined {
  // An engine's journal whose operation was never sent: nothing was written, nothing is unfinished.
  if (facts.journal && facts.journal.engine !== 'write' && !facts.journal.operation && facts.journal.doneItems === 0) return undefined;
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
 * What a refusal adds when the unfinished restore may still be running: an unfinished journal is
 * also what a live restore looks like, so the fix (resume, or delete the table) must not be taken
 * while that restore writes. The journal's last write tells the operator how live it is.
 */
function stillRunningNote(j: RestoreJournalRecord | undefined): string {
  if (!j || j.state !== 'unfinished') return '';
  return (
    `. Its journal was last written at ${j.updatedAt} (run ${j.runs}): if that restore is still running, let it finish first ("dr list" shows its progress); ` +
    'never resume or delete a table another restore is writing'
  );
}

/** The refusal of a resume whose journal is bound to another table than `identity`, the one of that name there now. */
export function foreignTableRefusal(j: RestoreJournalRecord, identity: TargetIdentity | undefined, bucket: string): RestoreRefusedError {
  return new RestoreRefusedError(
    `table "${j.target}" is not the table the restore of ${j.backupId} started on (that one: ${describeIdentityText(j.targetIdentity)}; ` +
      `this one: ${describeIdentityText(identity)}): it was dropped and created again since and may hold newer data, so nothing was written. ` +
      `The journal s3://${bucket}/${journalKey(j.target)} is stale: delete it, and restore into a new table (--suffix) instead`,
  );
}

/**
 * Decides, from the facts, whether a target may be written and how; throws RestoreRefusedError
 * (with the fix) otherwise. Pure.
 * - missing target: fresh (with --into-existing: refused, as ever);
 * - an unfinished restore of the same set and source: resumed with `resume`, else refused
 *   ("rerun with --resume, or delete it");
 * - an unfinished restore of another set: refused (resume that set, or delete the table);
 * - a journal bound to another table (the target was dropped and created again since): foreign;
 *   `--resume` is refused, and otherwise the table is judged as any existing table;
 * - otherwise an existing table (new-table mode) or a non-empty one (--into-existing) is refused.
 */
export function decideTarget(req: TargetRequest, facts: TargetFacts, bucket = '<backup bucket>'): TargetDecision {
  const decision = decideMode(req, applicable(facts), facts, bucket);
  return facts.journalEtag ? { ...decision, journalEtag: facts.journalEtag } : decision;
}

function decideMode(req: TargetRequest, facts: TargetFacts, seen: TargetFacts, bucket: string): TargetDecision {
  const t = req.target;
  if (!facts.exists) {
    if (req.intoExisting)
      throw new RestoreRefusedError(
        `table "${t}" does not exist: --into-existing writes only into an existing empty table; drop --into-existing to create "${req.source}${DEFAULT_RESTORE_SUFFIX}" from the saved schema`,
      );
    return { mode: 'fresh' };
  }
  if (req.resume && seen.journal && !facts.journal) throw foreignTableRefusal(seen.journal, seen.identity, bucket);
  const open = unfinishedRestore(facts);
  const removal = req.intoExisting ? `empty it` : `delete it (aws dynamodb delete-table --table-name ${t})`;
  if (open && (open.backupId !== req.backupId || (open.source !== undefined && open.source !== req.source))) {
    throw new RestoreRefusedError(
      `table "${t}" holds an unfinished restore of backup set ${open.backupId}${open.source ? ` (table "${open.source}")` : ''}, not of ${req.backupId} ("${req.source}"): nothing was written; finish that one with "dr restore ${open.backupId} --resume${req.intoExisting ? ' --into-existing' : ''}", or ${removal} and restore ${req.backupId} again${stillRunningNote(open.journal)}`,
    );
  }
  if (open?.journal?.failure === 'data')
    throw new RestoreRefusedError(
      `table "${t}" holds a restore of ${req.backupId} that stopped on a data error (${open.journal.problem ?? 'see its journal'}): ` +
        `${req.resume ? '--resume would stop at the same item, so nothing was written' : 'nothing was written'}; ${removal}, then restore another set that "dr validate" passes (or the other tables with --tables)`,
    );
  if (open && req.resume) return { mode: 'resume', journal: open.journal };
  if (open) {
    const where = open.journal ? ` (${journalProgress(open.journal)})` : '';
    throw new RestoreRefusedError(
      `table "${t}" is an unfinished restore of backup set ${req.backupId}${where}: it was never verified, so it is not a restored table; rerun with --resume to continue it, or ${removal} and restore again${stillRunningNote(open.journal)}`,
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
