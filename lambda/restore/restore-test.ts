/**
 * The weekly restore test: latest complete set in the (replica) bucket -> validate -> restore
 * into scratch tables -> compare counts and a sample of item hashes with the backup -> delete
 * the scratch tables (also when a step failed). The duration is the measured RTO; the age of
 * the restored data the measured RPO.
 */
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { dataAge, recoveryPoint } from '../format/trusted-time';
import type { S3Client } from '@aws-sdk/client-s3';
import { resolveBackupSet } from '../store/catalog';
import { restoreBackupSet, RestoreReport } from './restore';
import { engineClientToken, type EngineSettings } from './engines/engine-types';
import { findImport, isAttachable } from './engines/operations';
import { isTableMissing } from './tables';
import { verifySample } from './engines/verify';

// The sample check lives with the engines' verification; tests and callers still find it here.
export { itemHash } from './engines/verify';

/** Options of {@link runRestoreTest}. */
export interface RestoreTestOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  /** Items per table whose hashes are compared. @default 100 */
  readonly sampleSize?: number;
  /**
   * Tables the tested set must hold (the configured tables): the newest complete set that holds
   * them all is tested, so a newer ad-hoc backup of one table does not stand in for the full set.
   * @default - the newest complete set, whatever it holds
   */
  readonly tables?: readonly string[];
  /** @default - now */
  readonly now?: Date;
  /**
   * The schedule's event time (EventBridge `time`): names the scratch tables, and through them the
   * import ClientTokens, so an async retry of the same event uses the same names instead of
   * starting imports under new ones. @default - `now`
   */
  readonly eventTime?: Date;
  /** Engine and threshold (restore.engine, restore.importThresholdBytes of the config). @default - auto with the defaults */
  readonly engines?: EngineSettings;
}

/** The result of a passed restore test. */
export interface RestoreTestResult {
  readonly backupId: string;
  readonly tables: { readonly source: string; readonly target: string; readonly engine: string; readonly items: number; readonly sampled: number }[];
  /** Start to verified tables: the measured RTO. */
  readonly durationSeconds: number;
  /** now - the set's exportTime: the measured RPO. */
  readonly dataAgeMinutes: number;
  readonly scratchTablesDeleted: string[];
  /** `*-drtest-*` tables older than a day that this run deleted (left by a run that timed out). */
  readonly staleTablesDeleted: string[];
}

/** Deletes scratch tables; returns those deleted and the errors of the others. */
export async function deleteScratchTables(dynamodb: DynamoDBClient, tables: string[]): Promise<{ deleted: string[]; errors: string[] }> {
  const deleted: string[] = [];
  const errors: string[] = [];
  for (const t of tables) {
    try {
      await dynamodb.send(new DeleteTableCommand({ TableName: t }));
      deleted.push(t);
    } catch (e) {
      if (!isTableMissing(e)) errors.push(`could not delete scratch table "${t}": ${(e as Error).message}`);
    }
  }
  return { deleted, errors };
}

/** `-drtest-20261207t050000z`: the scratch suffix of one schedule event (table names allow [a-z0-9_.-]). */
export function scratchSuffix(eventTime: Date): string {
  return `-drtest-${eventTime
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '')
    .toLowerCase()}`;
}

/** Scratch tables older than this are left behind by an earlier run and are deleted at start. */
export const STALE_SCRATCH_MS = 24 * 3600_000;
/** ListTables pages read by the sweep (100 names each): far above any account's table count here. */
const MAX_LIST_PAGES = 500;

/**
 * Deletes `*-drtest-*` tables created more than a day before `now`: what a timed-out run (whose
 * cleanup never ran) or a retry left behind. A table DynamoDB cannot delete yet (an import still
 * running: ResourceInUseException) is reported and left for the next run.
 */
export async function sweepStaleScratchTables(dynamodb: DynamoDBClient, now: Date): Promise<{ deleted: string[]; errors: string[] }> {
  const names: string[] = [];
  let start: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const res = await dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    names.push(...(res.TableNames ?? []).filter((n) => n.includes('-drtest-')));
    start = res.LastEvaluatedTableName;
    if (!start) break;
  }
  const stale: string[] = [];
  for (const name of names) {
    try {
      const created = (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table?.CreationDateTime;
      if (created && now.getTime() - created.getTime() > STALE_SCRATCH_MS) stale.push(name);
    } catch (e) {
      if (!isTableMissing(e)) throw e;
    }
  }
  return deleteScratchTables(dynamodb, stale);
}

/** The scratch tables (of `tables` with `suffix`) that an import of set `backupId` with the restore's own ClientToken is creating or created. */
async function importsToFollow(dynamodb: DynamoDBClient, backupId: string, tables: readonly string[], suffix: string): Promise<string[]> {
  const found: string[] = [];
  for (const source of tables) {
    const target = `${source}${suffix}`;
    if (isAttachable(await findImport(dynamodb, target, engineClientToken('import', backupId, source, target)))) found.push(target);
  }
  return found;
}

/** Runs one restore test; throws (after cleaning up) when anything does not match. */
export async function runRestoreTest(opts: RestoreTestOptions): Promise<RestoreTestResult> {
  const t0 = Date.now();
  const now = opts.now ?? new Date();
  const set = await resolveBackupSet({ s3: opts.s3, bucket: opts.bucket, ref: 'latest', tables: opts.tables });
  const md = set.metadata!;
  const suffix = scratchSuffix(opts.eventTime ?? now);
  const scratch = md.tables.map((t) => `${t}${suffix}`);
  const swept = await sweepStaleScratchTables(opts.dynamodb, now);
  // A retry of the same event: a scratch table its earlier attempt's import is creating (or
  // created) stays, and the restore follows or verifies that import (same ClientToken: deleting
  // the table and importing again would get the COMPLETED import back with no table); every
  // other table the earlier attempt left goes first.
  const attached = await importsToFollow(opts.dynamodb, md.backupId, md.tables, suffix);
  const previous = await deleteScratchTables(
    opts.dynamodb,
    scratch.filter((t) => !attached.includes(t)),
  );
  if (previous.errors.length)
    throw new Error(`restore test: an earlier attempt of this schedule event left scratch tables DynamoDB cannot delete yet: ${previous.errors.join('; ')}`);
  let failure: unknown;
  let report: RestoreReport | undefined;
  const tables: RestoreTestResult['tables'][number][] = [];
  try {
    // No journal: the scratch tables are deleted below, and the role may not write the replica bucket.
    report = await restoreBackupSet({
      dynamodb: opts.dynamodb,
      s3: opts.s3,
      bucket: opts.bucket,
      ref: `${set.tier}/${set.backupId}`,
      suffix,
      protect: false,
      engines: opts.engines,
      journal: false,
      sampleSize: opts.sampleSize,
    });
    for (const t of report.tables) {
      // Import and bulk put already compared a sample of the same size after their load (run-engine.ts);
      // the write engine did not, so its tables are sampled here.
      const sampled =
        t.sampled > 0
          ? t.sampled
          : await verifySample({
              dynamodb: opts.dynamodb,
              s3: opts.s3,
              bucket: opts.bucket,
              source: t.source,
              target: t.target,
              record: md.tableDetails[t.source],
              size: opts.sampleSize ?? 100,
            }).catch((e: Error) => {
              throw new Error(`restore test: ${e.message}`);
            });
      tables.push({ source: t.source, target: t.target, engine: t.engine, items: t.verifiedItems, sampled });
    }
  } catch (e) {
    failure = e;
  }
  const cleanup = await deleteScratchTables(opts.dynamodb, scratch);
  if (failure) {
    const extra = cleanup.errors.length ? ` (and cleanup failed: ${cleanup.errors.join('; ')})` : '';
    throw new Error(`restore test of ${set.tier}/${set.backupId} failed: ${(failure as Error).message ?? String(failure)}${extra}`);
  }
  if (cleanup.errors.length) throw new Error(`restore test of ${set.tier}/${set.backupId} passed but left scratch tables behind: ${cleanup.errors.join('; ')}`);
  return {
    backupId: md.backupId,
    tables,
    durationSeconds: (Date.now() - t0) / 1000,
    dataAgeMinutes: dataAge(recoveryPoint(md), now).minutes,
    scratchTablesDeleted: cleanup.deleted,
    staleTablesDeleted: swept.deleted,
  };
}
