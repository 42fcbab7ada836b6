/**
 * The restore journal: a restore target is "unfinished" until it is verified, one restore per
 * target at a time, and a rerun with `--resume` continues from what the journal says is done.
 *
 * Two marks, written before the first item and updated as the restore goes:
 * - a journal object in the backup bucket, `restores/<target>.json` (record.ts): the backup set,
 *   the source, the engine, each part done or not, item counts, times, the state `unfinished` |
 *   `verified` | `failed`, and the exact target it started on (its creation identity). It is
 *   rewritten when a part is done (never per batch), at most one write in flight.
 * - where DynamoDB has tags, a tag on the target table (tag.ts), which travels with the table.
 *
 * The rules (test/lambda/restore/journal.test.ts states them):
 * - ONE RESTORE PER TARGET, by conditional writes, never check-then-act: a restore decides from
 *   the journal it read (decide.ts) and claims the target by writing the journal conditional on
 *   that version (If-Match its ETag, or If-None-Match: * when there was none). Of two restores
 *   deciding at once, exactly one claim succeeds; the other is refused before it writes anything.
 *   Every later write is conditional on the version the holder wrote last: a holder whose journal
 *   changed under it stops (JournalTakenError).
 * - BOUND TO THE TARGET'S IDENTITY: the journal records the table's TableId / CreationDateTime
 *   (at start for an existing table, right after CreateTable for a new one). A table of the same
 *   name created since is foreign: `--resume` is refused, and the stale journal never makes it
 *   look like an unfinished restore.
 * - An engine journal whose operation was never sent counts as nothing started.
 *
 * Extension points (see /work/shared/SEAMS.md, "Restore journal"):
 * - engines that run as one AWS operation (ImportTable, bulk put) record it with
 *   RestoreJournal.setOperation before they send the request, and a rerun reuses its ClientToken
 *   (stableClientToken) instead of starting a second operation;
 * - a chain (the one-hour RPO: a base, then incremental windows) records one part per window, in
 *   order, and resumes at the first part not done;
 * - another kind of target (a bucket) uses the same record with its own part ids and identity.
 */
export * from './record';
export * from './tag';
export * from './decide';
export * from './journal';
export * from './standing';
