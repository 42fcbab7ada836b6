/**
 * The targets of a planned restore, decided before anything is written: what exists, what its
 * journal and tag say (journal/decide.ts), its identity, and whether the engine can load it.
 */
import { decideTarget, describeIdentity, readJournalVersion, readRestoreTag, TargetDecision, unfinishedRestore } from './journal';
import { checkEngineTarget } from './engines/select';
import { engineClientToken } from './engines/engine-types';
import { findImport, isAttachable } from './engines/operations';
import { tableHasItems } from './tables';
import { RestoreOptions, RestorePlan, RestorePlanTable, RestoreRefusedError } from './types';

/** The plan row of a target `--resume` continues. */
export function withResume(t: RestorePlanTable, d: TargetDecision): RestorePlanTable {
  if (d.mode !== 'resume') return t;
  const done = d.journal?.parts.filter((p) => p.done) ?? [];
  const resume = { partsDone: done.length, parts: d.journal?.parts.length ?? 0, itemsDone: d.journal?.doneItems ?? 0 };
  return { ...t, resume: d.attach ? { ...resume, parts: 1, import: d.attach } : resume };
}

/**
 * Decides each target from what exists and what its journal and tag say (journal.ts): refuses
 * targets that exist (new tables) or are missing / not empty (--into-existing), and an engine that
 * cannot load its target (import into an existing table, bulk into a missing one), unless --resume
 * continues an unfinished restore of this set with the same engine. Returns the decisions in plan order.
 */
export async function checkTargets(opts: Omit<RestoreOptions, 'onProgress'>, plan: RestorePlan): Promise<TargetDecision[]> {
  const intoExisting = Boolean(opts.intoExisting);
  const journal = opts.journal !== false;
  const out: TargetDecision[] = [];
  for (const t of plan.tables) {
    const identity = await describeIdentity(opts.dynamodb, t.target);
    const exists = identity !== undefined;
    const version = journal ? await readJournalVersion(opts.s3, opts.bucket, t.target) : undefined;
    const facts = {
      exists,
      identity,
      hasItems: exists && intoExisting ? await tableHasItems(opts.dynamodb, t.target) : undefined,
      journal: exists ? version?.record : undefined,
      journalEtag: version?.etag,
      tag: journal && exists ? await readRestoreTag(opts.dynamodb, t.target) : undefined,
    };
    // A new table an import of this very set and target is creating (or created) while no journal
    // speaks for it (the restore test keeps none; a retry after a timeout): follow or verify that
    // import instead of refusing the table or starting a second one (issue 18 item 7).
    if (exists && !version?.record && !intoExisting && t.engine === 'import') {
      const running = await findImport(opts.dynamodb, t.target, engineClientToken('import', plan.backupId, t.source, t.target));
      if (isAttachable(running)) {
        out.push({ mode: 'resume', attach: { importArn: running.ImportArn!, status: running.ImportStatus! }, journalEtag: version?.etag });
        continue;
      }
    }
    const req = { target: t.target, source: t.source, backupId: plan.backupId, tier: plan.tier, intoExisting, resume: Boolean(opts.resume) };
    // An unfinished restore is decided by its journal (resume or refuse with the fix); otherwise the engine must fit the target.
    if (!(exists && unfinishedRestore(facts))) checkEngineTarget(t.engine, t.target, exists);
    const decision = decideTarget(req, facts, opts.bucket);
    const started = decision.mode === 'resume' ? decision.journal?.engine : undefined;
    if (started && started !== t.engine)
      throw new RestoreRefusedError(
        `table "${t.target}" is an unfinished restore by the ${started} engine, and this run would use ${t.engine} (${t.engineReason}): nothing was written; resume it with --engine ${started} --resume`,
      );
    out.push(decision);
  }
  return out;
}
