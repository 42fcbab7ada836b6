/**
 * Point-in-time restore of several tables at ONE timestamp (a consistent recovery point across
 * tables), through DynamoDB's RestoreTableToPointInTime.
 *
 * Everything is checked before anything is started: PITR on for every source, the time inside
 * every table's window, no target already there. A PITR restore does not carry PITR, TTL or
 * deletion protection over, so they are put back once the new tables are ACTIVE.
 */
import {
  DescribeContinuousBackupsCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  RestoreTableToPointInTimeCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { RestoreRefusedError, DEFAULT_RESTORE_SUFFIX } from './types';
import { isTableMissing, isUnsupportedApi, tableExists } from './tables';

/** Options of {@link planPitrRestore} and {@link pitrRestore}. */
export interface PitrRestoreOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tables: string[];
  /** The one recovery point of every table. */
  readonly time: Date;
  /** @default DEFAULT_RESTORE_SUFFIX */
  readonly suffix?: string;
  /** Longest wait for a table to become ACTIVE, seconds. @default 3600 */
  readonly maxWaitSeconds?: number;
  /** Called when a table's state changes. */
  readonly onStatus?: (message: string) => void;
}

/** One table of a PITR restore. */
export interface PitrTablePlan {
  readonly source: string;
  readonly target: string;
  readonly earliest: string;
  readonly latest: string;
  /** TTL attribute of the source, re-applied on the target. */
  readonly ttlAttribute?: string;
}

/** The result of {@link pitrRestore}. */
export interface PitrRestoreReport {
  readonly time: string;
  readonly tables: (PitrTablePlan & { readonly durationMs: number })[];
  readonly durationMs: number;
}

/** Checks every table (read-only) and returns what a PITR restore would do; throws RestoreRefusedError otherwise. */
export async function planPitrRestore(opts: PitrRestoreOptions): Promise<PitrTablePlan[]> {
  if (!opts.tables.length) throw new RestoreRefusedError('no tables to restore: pass --tables a,b or list them in the config');
  if (Number.isNaN(opts.time.getTime())) throw new RestoreRefusedError('the restore time is not a valid date: pass an ISO time such as 2026-11-23T02:15:00Z');
  const suffix = opts.suffix ?? DEFAULT_RESTORE_SUFFIX;
  if (!suffix) throw new RestoreRefusedError('the suffix is empty: a PITR restore always creates new tables; pass a non-empty --suffix');
  const plans: PitrTablePlan[] = [];
  for (const source of opts.tables) {
    let pitr;
    try {
      pitr = (await opts.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: source }))).ContinuousBackupsDescription
        ?.PointInTimeRecoveryDescription;
    } catch (e) {
      if (isTableMissing(e))
        throw new RestoreRefusedError(
          `table "${source}" does not exist in this region (${await opts.dynamodb.config.region()}): check --region and the table name; a deleted table has no PITR (use "dr restore" from a backup set)`,
        );
      if (isUnsupportedApi(e))
        throw new RestoreRefusedError(
          `this DynamoDB endpoint has no point-in-time recovery API (${(e as Error).message}): PITR restore needs real DynamoDB; restore a backup set with "dr restore" instead`,
        );
      throw e;
    }
    if (pitr?.PointInTimeRecoveryStatus !== 'ENABLED' || !pitr.EarliestRestorableDateTime || !pitr.LatestRestorableDateTime) {
      throw new RestoreRefusedError(
        `point-in-time recovery is not enabled on "${source}": no PITR restore possible; use "dr restore <backupId>" from a backup set`,
      );
    }
    const earliest = pitr.EarliestRestorableDateTime;
    const latest = pitr.LatestRestorableDateTime;
    if (opts.time < earliest || opts.time > latest) {
      throw new RestoreRefusedError(
        `${opts.time.toISOString()} is outside the PITR window of "${source}" (${earliest.toISOString()} to ${latest.toISOString()}): pick a time inside it, or restore a backup set ("dr list --before ${opts.time.toISOString()}")`,
      );
    }
    const target = `${source}${suffix}`;
    if (await tableExists(opts.dynamodb, target))
      throw new RestoreRefusedError(`table "${target}" already exists: choose another --suffix, or delete it first`);
    plans.push({ source, target, earliest: earliest.toISOString(), latest: latest.toISOString(), ttlAttribute: await ttlAttribute(opts.dynamodb, source) });
  }
  return plans;
}

async function ttlAttribute(dynamodb: DynamoDBClient, table: string): Promise<string | undefined> {
  const d = (await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
  return d?.TimeToLiveStatus === 'ENABLED' || d?.TimeToLiveStatus === 'ENABLING' ? d.AttributeName : undefined;
}

/**
 * Restores every table to the same time, waits for ACTIVE, and re-applies PITR, TTL and
 * deletion protection. All restores are started before the first wait, so they run in parallel.
 */
export async function pitrRestore(opts: PitrRestoreOptions): Promise<PitrRestoreReport> {
  const t0 = Date.now();
  const plans = await planPitrRestore(opts);
  for (const p of plans) {
    await opts.dynamodb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: p.source, TargetTableName: p.target, RestoreDateTime: opts.time }));
    opts.onStatus?.(`restore of "${p.source}" to ${opts.time.toISOString()} started as "${p.target}"`);
  }
  const tables = [];
  for (const p of plans) {
    await waitUntilTableExists({ client: opts.dynamodb, maxWaitTime: opts.maxWaitSeconds ?? 3600, minDelay: 5, maxDelay: 30 }, { TableName: p.target });
    await opts.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: p.target, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
    if (p.ttlAttribute) {
      await opts.dynamodb.send(new UpdateTimeToLiveCommand({ TableName: p.target, TimeToLiveSpecification: { Enabled: true, AttributeName: p.ttlAttribute } }));
    }
    await opts.dynamodb.send(new UpdateTableCommand({ TableName: p.target, DeletionProtectionEnabled: true }));
    opts.onStatus?.(`"${p.target}" is ACTIVE; PITR${p.ttlAttribute ? ', TTL' : ''} and deletion protection on`);
    tables.push({ ...p, durationMs: Date.now() - t0 });
  }
  return { time: opts.time.toISOString(), tables, durationMs: Date.now() - t0 };
}
