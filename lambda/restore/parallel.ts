/**
 * Several tables of a restore at once: the scheduler (at most `limit` running, largest first,
 * stop starting new ones after the first failure) and the error that says what exists after a
 * failed set restore.
 *
 * On AWS every new table has its own write capacity, so a set's RTO is its longest tables, not
 * the sum of all of them, once they overlap.
 */
import { DEFAULT_RESTORE_SUFFIX } from './types';
import type { RestoredTable, RestorePlanTable } from './types';
import { describeError } from '../shared/errors';

/** Tables restored at once unless told otherwise. */
export const DEFAULT_PARALLEL_TABLES = 3;

/** What {@link runLimited} did with each item, by the item's index in the input. */
export interface LimitedRun<R> {
  /** Results by input index; `undefined` where the item failed or never started. */
  readonly results: (R | undefined)[];
  /** Items that threw, in the order they failed. */
  readonly failures: { readonly index: number; readonly error: unknown }[];
  /** Items never started because an earlier one failed, in input order. */
  readonly notStarted: number[];
}

/**
 * Runs `run` over `items` with at most `limit` at once, starting them in `startOrder` (indexes).
 * After the first failure nothing new starts; the running ones finish (or fail) and the call
 * resolves with every outcome: it never throws, the caller decides what a failure means.
 */
export function runLimited<T, R>(items: readonly T[], limit: number, startOrder: readonly number[], run: (item: T) => Promise<R>): Promise<LimitedRun<R>> {
  const results: (R | undefined)[] = new Array<R | undefined>(items.length).fill(undefined);
  const failures: { index: number; error: unknown }[] = [];
  const queue = [...startOrder];
  let running = 0;
  return new Promise((resolve) => {
    const next = (): void => {
      while (running < limit && queue.length && !failures.length) {
        const index = queue.shift()!;
        running++;
        // Promise.resolve().then: a synchronous throw in `run` counts as a failure, not a crash.
        Promise.resolve()
          .then(() => run(items[index]))
          .then(
            (r) => (results[index] = r),
            (error: unknown) => failures.push({ index, error }),
          )
          .finally(() => {
            running--;
            next();
          });
      }
      if (running === 0) resolve({ results, failures, notStarted: failures.length ? [...queue].sort((a, b) => a - b) : [] });
    };
    next();
  });
}

/** Start order of a plan: most items first (the longest table starts first), plan order on ties. */
export function largestFirst(tables: readonly Pick<RestorePlanTable, 'items'>[]): number[] {
  return tables.map((_, i) => i).sort((a, b) => tables[b].items - tables[a].items || a - b);
}

/** One table of a set restore that failed. */
export interface FailedTable {
  readonly table: RestorePlanTable;
  readonly error: unknown;
}

/**
 * A set restore that failed part-way: some tables failed, some were restored AND verified, some
 * never started. The message lists all three so the operator knows which tables exist.
 */
export class RestoreIncompleteError extends Error {
  constructor(
    /** `<tier>/<backupId>` */
    readonly set: string,
    readonly failed: FailedTable[],
    /** Restored and verified (counts match), in plan order. */
    readonly restored: RestoredTable[],
    /** Never started: no table was created or written for them. */
    readonly notStarted: RestorePlanTable[],
    intoExisting: boolean,
  ) {
    super(incompleteMessage(set, failed, restored, notStarted, intoExisting));
    this.name = 'RestoreIncompleteError';
  }
}

function incompleteMessage(set: string, failed: FailedTable[], restored: RestoredTable[], notStarted: RestorePlanTable[], intoExisting: boolean): string {
  const arrow = (t: RestorePlanTable) => `"${t.source}" -> "${t.target}"`;
  const reason = (e: unknown) => describeError(e);
  const total = failed.length + restored.length + notStarted.length;
  const lines = [
    `restore of backup set ${set} failed: ${failed.length} of ${total} table(s) failed, ${restored.length} restored and verified, ${notStarted.length} not started`,
    ...failed.map((f) => `  FAILED ${arrow(f.table)}: ${reason(f.error)}`),
    ...restored.map((t) => `  restored and verified ${arrow(t)} (${t.verifiedItems} items)`),
    ...notStarted.map((t) => `  not started ${arrow(t)} (nothing written)`),
  ];
  const failedTargets = failed.map((f) => `"${f.table.target}"`).join(', ');
  const it = failed.length > 1 ? 'them' : 'it';
  // A set that failed its checks mid-way, or an operation DynamoDB ended (TargetUnfinishedError.resumable false), is not resumed.
  const resumable = failed.every((f) => (f.error as { resumable?: boolean }).resumable !== false);
  const are = failed.length > 1 ? 'are' : 'is';
  const remove = intoExisting ? `empty ${it}` : `delete ${it}`;
  lines.push(
    resumable
      ? `${failedTargets} ${are} unfinished (part of the data, never verified, not restored): resume with --resume, or ${remove} before restoring again.`
      : `${failedTargets} ${are} unfinished (part of the data, never verified, not restored): ${remove}; resuming would end the same way (a data file failed its checks, or DynamoDB ended the import / bulk put).`,
  );
  if (restored.length)
    lines.push(
      intoExisting
        ? 'The restored tables are complete.'
        : 'The restored tables are complete new tables: keep them (restore only the rest), or delete them and restore the whole set again.',
    );
  const retry = [...failed.map((f) => f.table.source), ...notStarted.map((t) => t.source)];
  // The targets' names come from --suffix: the hint keeps it, or the rerun would name other tables.
  const first = failed[0]?.table ?? notStarted[0];
  const suffix = !intoExisting && first && first.target.startsWith(first.source) ? first.target.slice(first.source.length) : undefined;
  const suffixFlag = suffix !== undefined && suffix !== DEFAULT_RESTORE_SUFFIX ? ` --suffix ${JSON.stringify(suffix)}` : '';
  const into = intoExisting ? ' --into-existing' : '';
  lines.push(
    `To finish, restore the rest from the same set: dr restore ${set} ${resumable ? '--resume ' : ''}--tables ${retry.join(',')}${suffixFlag}${into} --confirm`,
  );
  return lines.join('\n');
}
