import { targetsFor, type DrConfig } from '../config';

/** The tightest RPO over every table (per-table targets over the top-level ones), minutes. */
export function tightestRpo(config: DrConfig): number {
  return Math.min(...config.tables.map((t) => targetsFor(config, t.name).rpoMinutes));
}
