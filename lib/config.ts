/**
 * The one configuration of a dr-stack deployment: `dr.config.json`.
 *
 * Loaded and validated once, by the CDK app (`bin/app.ts`), the `dr` CLI and the drill. Every
 * problem is reported at once, each naming the field, the value and the fix, so a bad config
 * fails `cdk synth` before anything is deployed.
 *
 * Strict: a key the schema does not know is an error naming its JSON path and the closest known
 * key (`tables[3].sortkey: unknown setting; did you mean "sortKey"?`), because a dropped typo
 * deploys a different table than the one intended. JSON syntax errors give line and column.
 *
 * This module and the three it joins (config-schema, config-rules, config-names) import zod only
 * (no aws-cdk-lib), so the CLI can use them without loading CDK.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonSyntaxProblem } from './config-messages';
import { fillProtectionDefaults } from './config-protection';
import { checkConfigRules } from './config-rules';
import { drConfigFields, type DrConfig } from './config-schema';
import { z } from 'zod';

export * from './config-names';
export * from './config-incremental';
export { MIN_CHANGEABLE_DAYS, type Protection } from './config-protection';
export { breakGlassAccountProblem, kmsKeyArnProblem } from './config-rules';
export { SCHEDULED_TIERS, type ScheduledTier, type DrConfig, type TableConfig } from './config-schema';

/**
 * The zod schema of `dr.config.json`: the defaults the protection level decides, every field,
 * then the rules across fields.
 */
export const drConfigSchema = z.preprocess(fillProtectionDefaults, drConfigFields.superRefine(checkConfigRules));

/** Thrown when `dr.config.json` is missing, not JSON, or not valid; `problems` lists each one. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid dr-stack config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config object; throws {@link ConfigError} listing every problem. */
export function parseConfig(raw: unknown, file = 'dr.config.json'): DrConfig {
  const result = drConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    // Its message names the JSON path of each unknown key already (see strict()).
    if (issue.code === 'unrecognized_keys') return issue.message;
    const where = issue.path.length
      ? issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '(root)';
    const value = issue.path.length ? valueAt(raw, issue.path as PropertyKey[]) : undefined;
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
    return `${where}: ${issue.message}${shown}`;
  });
  throw new ConfigError(file, problems);
}

/** Reads and validates a config file. */
export function loadConfig(file = 'dr.config.json'): DrConfig {
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved)) {
    throw new ConfigError(file, [`file not found at ${resolved}; copy dr.config.json from the repository root or pass --config <file>`]);
  }
  let raw: unknown;
  const text = fs.readFileSync(resolved, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [jsonSyntaxProblem(text, e as Error)]);
  }
  return parseConfig(raw, file);
}

function valueAt(obj: unknown, p: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** RPO/RTO in force for one table: its own targets over the top-level ones. */
export function targetsFor(config: DrConfig, tableName: string): { rpoMinutes: number; rtoMinutes: number } {
  const t = config.tables.find((x) => x.name === tableName);
  return { ...config.targets, ...(t?.targets ?? {}) };
}
