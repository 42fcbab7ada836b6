/**
 * What a table's `incremental` setting means once the config is valid: the interval in force and
 * the worst-case RPO across regions the schedule allows. Used by the rules (`config-rules.ts`), the
 * stacks, the drill and the CLI, so the figure is computed one way everywhere.
 *
 * Worst case: a write just after a window opens waits the interval for the window to close, the
 * export's duration, then S3 replication (RTC: 15 minutes) before the recovery region holds it.
 */
import { MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES } from './config-incremental-schema';
import type { DrConfig, TableConfig } from './config-schema';

export { MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES } from './config-incremental-schema';

/** Minutes an incremental export of one window is assumed to take, end to end, for the worst case. */
export const EXPORT_ESTIMATE_MINUTES = 15;
/** S3 Replication Time Control: 99.99% of objects within 15 minutes. */
export const REPLICATION_MINUTES = 15;
/** A table without a chain is recovered across regions from its daily full set. */
export const FULL_ONLY_WORST_CASE_MINUTES = 1440;
/** The smallest RPO a chain can meet across regions: the shortest window + export + replication. */
export const MIN_CHAIN_RPO_MINUTES = MIN_INTERVAL_MINUTES + EXPORT_ESTIMATE_MINUTES + REPLICATION_MINUTES;

/** The RPO in force for one table: its own target over the top-level one. */
export function rpoOf(config: DrConfig, table: TableConfig): number {
  return table.targets?.rpoMinutes ?? config.targets.rpoMinutes;
}

/** The longest interval whose worst case fits `rpoMinutes`, in 5-minute steps; undefined when none of 15-60 fits. */
export function intervalThatFits(rpoMinutes: number): number | undefined {
  const room = Math.min(MAX_INTERVAL_MINUTES, rpoMinutes - EXPORT_ESTIMATE_MINUTES - REPLICATION_MINUTES);
  const stepped = Math.floor(room / 5) * 5;
  return stepped >= MIN_INTERVAL_MINUTES ? stepped : undefined;
}

/**
 * The interval (minutes) at which the table's windows are exported, or undefined when it has no
 * chain: `incremental: false`, or left out with an RPO of a day or more.
 */
export function incrementalIntervalOf(config: DrConfig, table: TableConfig): number | undefined {
  if (table.incremental === false) return undefined;
  if (table.incremental) return table.incremental.intervalMinutes;
  const rpo = rpoOf(config, table);
  if (rpo >= FULL_ONLY_WORST_CASE_MINUTES) return undefined;
  return intervalThatFits(rpo) ?? MIN_INTERVAL_MINUTES;
}

/** The worst-case RPO across regions the configured schedule allows for the table, minutes. */
export function worstCaseRpoMinutes(config: DrConfig, table: TableConfig): number {
  const interval = incrementalIntervalOf(config, table);
  return interval === undefined ? FULL_ONLY_WORST_CASE_MINUTES : interval + EXPORT_ESTIMATE_MINUTES + REPLICATION_MINUTES;
}

/** The tables that export windows, with their interval: one schedule per distinct interval. */
export function incrementalTables(config: DrConfig): { name: string; intervalMinutes: number }[] {
  return config.tables.flatMap((t) => {
    const intervalMinutes = incrementalIntervalOf(config, t);
    return intervalMinutes === undefined ? [] : [{ name: t.name, intervalMinutes }];
  });
}

/** The retention settings the windows' expiry is judged against (`retention` in the config). */
export interface WindowRetentionInput {
  readonly dailyDays: number;
  readonly weeklyDays: number;
  readonly monthlyDays: number;
  /** `retention.windowDays`. @default - dailyDays + WINDOW_AFTER_BASE_DAYS */
  readonly windowDays?: number;
}

/**
 * The day a window may be written after the full set it follows (full sets run daily), and the
 * margin S3's lifecycle needs: it expires an object at the midnight UTC after its age is reached,
 * and a window's files can be written before its base's metadata.
 */
export const WINDOW_AFTER_BASE_DAYS = 1;

/**
 * Days the incremental export windows (`backups/incremental/`) are kept, in the backup bucket and
 * the replica: `retention.windowDays`, by default a day past the daily tier. A restore at time t
 * takes the newest full set before t and the windows after it, so with windows kept a day past a
 * tier, every minute since the oldest set of that tier still kept is restorable (docs/rpo.md).
 */
export function windowRetentionDays(r: WindowRetentionInput): number {
  return r.windowDays ?? r.dailyDays + WINDOW_AFTER_BASE_DAYS;
}

/**
 * Why `retention.windowDays` cannot stand against the tiers, or undefined: under a day past the
 * daily tier, windows would expire before the daily sets they follow (false gaps in the restorable
 * range); over a day past the longest tier, they would outlive every full set they could follow.
 */
export function windowRetentionProblem(r: WindowRetentionInput): string | undefined {
  const days = windowRetentionDays(r);
  const shortest = r.dailyDays + WINDOW_AFTER_BASE_DAYS;
  const longest = Math.max(r.dailyDays, r.weeklyDays, r.monthlyDays) + WINDOW_AFTER_BASE_DAYS;
  if (days < shortest)
    return `retention.windowDays (${days}) is under retention.dailyDays + ${WINDOW_AFTER_BASE_DAYS} (${shortest}): windows would expire before the daily full sets they follow, and "dr restore --at" would find gaps inside the range the daily sets promise; use at least ${shortest}, or leave it out`;
  if (days > longest)
    return `retention.windowDays (${days}) is over the longest tier's retention + ${WINDOW_AFTER_BASE_DAYS} (${longest}): windows would outlive every full set they could follow and be stored for nothing; use at most ${longest} (every minute since the oldest monthly set), or leave it out (${shortest}: every minute since the oldest daily set)`;
  return undefined;
}
