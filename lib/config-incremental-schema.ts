/**
 * The `incremental` and `pointInTimeRecovery` settings of one table in `dr.config.json`: a chain of
 * DynamoDB incremental exports between full sets, which is what carries a table's RPO across
 * regions. Rules against the table's RPO live in `config-rules.ts`, derivations in
 * `config-incremental.ts`.
 *
 * This module imports zod only (no aws-cdk-lib).
 */
import { z } from 'zod';
import { strict } from './config-messages';

/** Shortest incremental export window DynamoDB accepts (ExportFromTime to ExportToTime). */
export const MIN_INTERVAL_MINUTES = 15;
/** Longest interval this stack schedules: a longer one could not serve an hour-level RPO. */
export const MAX_INTERVAL_MINUTES = 60;

const INTERVAL_MESSAGE = `incremental.intervalMinutes must be a whole number of minutes from ${MIN_INTERVAL_MINUTES} (the shortest incremental export window DynamoDB accepts) to ${MAX_INTERVAL_MINUTES}; leave "incremental" out to derive it from the table's RPO`;

/**
 * `incremental`: `false` turns the chain off (the table is then recovered across regions from its
 * daily full set only); `{ "intervalMinutes": 30 }` exports a window every 30 minutes.
 * @default - derived from the table's RPO: on below a day, off at a day or more
 */
export const incrementalSetting = z
  .union([
    z.literal(false),
    strict({
      intervalMinutes: z.number().int(INTERVAL_MESSAGE).min(MIN_INTERVAL_MINUTES, INTERVAL_MESSAGE).max(MAX_INTERVAL_MINUTES, INTERVAL_MESSAGE),
    }),
  ])
  .optional();

/**
 * `pointInTimeRecovery`: on by default (created tables get it, existing tables have it switched
 * on). Turning it off is a named choice; exports, full and incremental, need it.
 */
export const pointInTimeRecoverySetting = z.boolean().default(true);
