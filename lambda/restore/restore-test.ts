/**
 * The weekly restore test: latest complete set in the (replica) bucket -> validate -> restore
 * into scratch tables -> compare counts and a sample of item hashes with the backup -> delete
 * the scratch tables (also when a step failed). The duration is the measured RTO; the age of
 * the restored data the measured RPO.
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dataAge, recoveryPoint } from '../format/trusted-time';
import type { S3Client } from '@aws-sdk/client-s3';
import { resolveBackupSet } from '../store/catalog';
import { restoreBackupSet, RestoreReport } from './restore';
import type { EngineSettings } from './engines/engine-types';
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

/** Runs one restore test; throws (after cleaning up) when anything does not match. */
export async function runRestoreTest(opts: RestoreTestOptions): Promise<RestoreTestResult> {
  const t0 = Date.now();
  const now = opts.now ?? new Date();
  const set = await resolveBackupSet({ s3: opts.s3, bucket: opts.bucket, ref: 'latest', tables: opts.tables });
  const md = set.metadata!;
  const suffix = `-drtest-${now.getTime()}`;
  const scratch = md.tables.map((t) => `${t}${suffix}`);
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
  };
}
