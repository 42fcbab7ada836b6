import { FULL_ONLY_WORST_CASE_MINUTES, incrementalIntervalOf, targetsFor, type DrConfig } from '../config';

/** The tightest RPO over every table (per-table targets over the top-level ones), minutes. */
export function tightestRpo(config: DrConfig): number {
  return Math.min(...config.tables.map((t) => targetsFor(config, t.name).rpoMinutes));
}

/**
 * The tightest RPO the full sets alone must meet: a table with a chain of incremental exports
 * meets its RPO through the windows, so its full sets only need to come daily.
 */
export function tightestFullSetRpo(config: DrConfig): number {
  return Math.min(
    ...config.tables.map((t) => (incrementalIntervalOf(config, t) === undefined ? targetsFor(config, t.name).rpoMinutes : FULL_ONLY_WORST_CASE_MINUTES)),
  );
}

/** Each table with a chain of incremental exports and its RPO: what the replica monitor's chain alarms and the dashboard hold it to. */
export function chainTargets(config: DrConfig): { table: string; rpoMinutes: number }[] {
  return config.tables
    .filter((t) => incrementalIntervalOf(config, t) !== undefined)
    .map((t) => ({ table: t.name, rpoMinutes: targetsFor(config, t.name).rpoMinutes }));
}
