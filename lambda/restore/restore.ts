/**
 * Folder lambda/restore/: getting data back (planning, table creation from the saved schema,
 * writing, verification, PITR, the restore test). May import validate/, store/, format/ and shared/.
 *
 * Restore of a backup set into DynamoDB: validate first, refuse an invalid or incomplete set,
 * check every target before writing anything, create the tables from the saved schema, stream
 * the items in with parallel BatchWriteItem, turn protection on, verify the counts. Up to
 * `parallelTables` tables restore at once (see parallel.ts).
 *
 * Memory is bounded: items stream from S3 a gunzipped chunk (tens of lines) at a time and at
 * most `concurrency` batches of 25 are in flight per table (`parallelTables` x `concurrency`
 * in all).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BackupMetadata } from '../format/backup-set';
import { resolveBackupSet } from '../store/catalog';
import { checkDataFile, validateBackupSet, ValidationProblem } from '../validate/validate';
import { findExportFolder, readExportBatches, readManifest } from '../store/export-reader';
import { countItems, createTableFromSchema, protectTable, tableExists, tableHasItems } from './tables';
import { checkEngineInput, checkEngineTarget, decideEngine } from './engines/select';
import { engineRequest, loadTable, loadVerifiedWithEngine } from './engines/run-engine';
import { resumesUnfinishedTarget } from './engines/engine-journal';
import type { EngineProgress } from './engines/engine-types';
import { DEFAULT_PARALLEL_TABLES, largestFirst, RestoreIncompleteError, runLimited } from './parallel';
import { writeItemBatches } from './write-items';
import {
  DEFAULT_RESTORE_SUFFIX,
  RestoreOptions,
  RestorePlan,
  RestorePlanTable,
  RestoreProgress,
  RestoredTable,
  RestoreRefusedError,
  RestoreReport,
} from './types';

export { DEFAULT_PARALLEL_TABLES, RestoreIncompleteError } from './parallel';
// The write loop lives in write-items.ts; restore stays its public home for callers.
export { writeItemBatches, writeItems } from './write-items';
export type { WriteItemsOptions } from './write-items';
export { DEFAULT_RESTORE_SUFFIX, RestoreRefusedError } from './types';
export { EngineOperationError, ENGINE_CHOICES } from './engines/engine-types';
export type { EngineSettings, RestoreEngineChoice, RestoreEngineName } from './engines/engine-types';
export type { RestoreOptions, RestorePlan, RestorePlanTable, RestoreProgress, RestoredTable, RestoreReport } from './types';

/** Target name of a table. */
function targetName(table: string, opts: Pick<RestoreOptions, 'suffix' | 'intoExisting'>): string {
  if (opts.intoExisting) return table;
  // An empty suffix keeps the original names (region down: the tables do not exist in the
  // recovery region); checkTargets still refuses any table that already exists.
  return `${table}${opts.suffix ?? DEFAULT_RESTORE_SUFFIX}`;
}

/** The tables of a restore, checked against the set. */
function chosenTables(metadata: BackupMetadata, tables?: string[]): string[] {
  const chosen = tables?.length ? tables : metadata.tables;
  const unknown = chosen.filter((t) => !metadata.tables.includes(t));
  if (unknown.length)
    throw new RestoreRefusedError(`table(s) ${unknown.join(', ')} are not in backup set ${metadata.backupId} (it holds ${metadata.tables.join(', ')})`);
  return chosen;
}

/** Checks `parallelTables`; returns the value to use. */
function parallelTables(value: number | undefined): number {
  if (value === undefined) return DEFAULT_PARALLEL_TABLES;
  if (!Number.isInteger(value) || value < 1)
    throw new RestoreRefusedError(
      `parallelTables (--parallel-tables) must be a whole number of 1 or more (got ${value}): it is how many tables restore at once; use 1 to restore them one after another, or leave it out for ${DEFAULT_PARALLEL_TABLES}`,
    );
  return value;
}

/**
 * What a restore would do, read-only (for `dr restore` without --confirm). Refuses what restore
 * would refuse except validation, the targets included (a table that exists, or with
 * --into-existing one that is missing or not empty), so the plan printed is one that can run.
 */
export async function planRestore(opts: Omit<RestoreOptions, 'onProgress'>): Promise<RestorePlan> {
  return (await planWithMetadata(opts)).plan;
}

/** {@link planRestore} and the set's metadata (also for `--dry-run`, engines/dry-run.ts). */
export async function planWithMetadata(opts: Omit<RestoreOptions, 'onProgress'>): Promise<{ plan: RestorePlan; md: BackupMetadata }> {
  if (opts.intoExisting && opts.suffix !== undefined) throw new RestoreRefusedError('--suffix and --into-existing exclude each other: choose one');
  parallelTables(opts.parallelTables);
  const set = await resolveBackupSet({ s3: opts.s3, bucket: opts.bucket, ref: opts.ref, tables: opts.tables });
  if (set.status !== 'complete' || !set.metadata)
    throw new RestoreRefusedError(
      `backup set ${set.tier}/${set.backupId} is ${set.status} (no metadata.json): restore refused; pick a complete set from "dr list"`,
    );
  const md = set.metadata;
  const tables = chosenTables(md, opts.tables).map<RestorePlanTable>((t) => {
    const td = md.tableDetails[t];
    const bytes = md.bytes?.[t] ?? td.bytes;
    const intoExisting = Boolean(opts.intoExisting);
    const d = decideEngine({ bytes, intoExisting, localSecondaryIndexes: td.schema.localSecondaryIndexes.length }, opts.engines ?? {});
    return {
      source: t,
      target: targetName(t, opts),
      items: md.recordCounts[t] ?? td.itemCount,
      action: intoExisting ? 'into-existing' : 'create',
      engine: d.engine,
      engineReason: d.reason,
      bytes,
    };
  });
  const plan = { backupId: md.backupId, tier: md.tier, exportTime: md.exportTime, tables };
  // The data files must be what ImportTable / bulk put are told they are (reads S3 only).
  for (const t of tables) if (t.engine !== 'write') await checkEngineInput(opts.s3, opts.bucket, t.source, md.tableDetails[t.source]);
  await checkTargets(opts, plan);
  return { plan, md };
}

/**
 * Refuses targets that exist (new tables) or are missing / not empty (--into-existing), and an
 * engine that cannot load its target. With `resume`, an import / bulk put target the journal
 * records as unfinished (same set and table) is accepted: the rerun sends the same ClientToken.
 */
async function checkTargets(opts: Omit<RestoreOptions, 'onProgress'>, plan: RestorePlan): Promise<void> {
  const { dynamodb } = opts;
  const intoExisting = Boolean(opts.intoExisting);
  for (const t of plan.tables) {
    const exists = await tableExists(dynamodb, t.target);
    // An import / bulk put target the journal records as unfinished: resumed with --resume (same set and table), else refused with the fix.
    const target = { ...opts, target: t.target, source: t.source, backupId: plan.backupId, tier: plan.tier, engine: t.engine, intoExisting, items: t.items };
    if (exists && t.engine !== 'write' && (await resumesUnfinishedTarget(target, Boolean(opts.resume)))) continue;
    checkEngineTarget(t.engine, t.target, exists);
    if (intoExisting) {
      if (!exists)
        throw new RestoreRefusedError(
          `table "${t.target}" does not exist: --into-existing writes only into an existing empty table; drop --into-existing to create "${t.source}${DEFAULT_RESTORE_SUFFIX}" from the saved schema`,
        );
      if (await tableHasItems(dynamodb, t.target)) {
        throw new RestoreRefusedError(
          `table "${t.target}" is not empty: --into-existing only writes into an empty table (nothing was written); restore into a new table with --suffix instead`,
        );
      }
    } else if (exists) {
      throw new RestoreRefusedError(`table "${t.target}" already exists: nothing was written; choose another --suffix, or delete it first`);
    }
  }
}

/**
 * Restores a backup set, `parallelTables` tables at a time. Throws RestoreRefusedError (nothing
 * written) for an invalid set, a bad option or a bad target: every check runs before any table
 * is created. Throws RestoreIncompleteError when a table fails part-way.
 */
export async function restoreBackupSet(opts: RestoreOptions): Promise<RestoreReport> {
  const t0 = Date.now();
  const parallel = parallelTables(opts.parallelTables);
  const plan = await planRestore(opts);
  const validateStart = Date.now();
  const report = await validateBackupSet({
    s3: opts.s3,
    bucket: opts.bucket,
    ref: `${plan.tier}/${plan.backupId}`,
    tables: plan.tables.map((t) => t.source),
    compareWithPrevious: false,
  });
  if (!report.valid)
    throw new RestoreRefusedError(`backup set ${plan.tier}/${plan.backupId} failed validation: restore refused, nothing written`, report.problems);
  const validateMs = Date.now() - validateStart;
  // Again after validation, which can take minutes on a big set: a target may have appeared since the plan.
  await checkTargets(opts, plan);
  const set = await resolveBackupSet({ s3: opts.s3, bucket: opts.bucket, ref: `${plan.tier}/${plan.backupId}` });
  const md = set.metadata!;
  const run = await runLimited(plan.tables, parallel, largestFirst(plan.tables), (t) => restoreTable(opts, t, md));
  const done = run.results.filter((r): r is TableOutcome => r !== undefined);
  if (run.failures.length) {
    throw new RestoreIncompleteError(
      `${md.tier}/${md.backupId}`,
      run.failures.map((f) => ({ table: plan.tables[f.index], error: f.error })),
      done.map((r) => r.table),
      run.notStarted.map((i) => plan.tables[i]),
      Boolean(opts.intoExisting),
    );
  }
  // Plan order, whatever order the tables finished in.
  const tables = done.map((r) => r.table);
  const warnings = done.flatMap((r) => r.warnings);
  return {
    backupId: md.backupId,
    tier: md.tier,
    exportTime: md.exportTime,
    tables,
    warnings,
    validateMs,
    parallelTables: parallel,
    durationMs: Date.now() - t0,
  };
}

/** A restored table and its warnings (kept apart so warnings come out in plan order). */
interface TableOutcome {
  readonly table: RestoredTable;
  readonly warnings: string[];
}

/**
 * One table of a validated set with its engine, each phase timed: create (write engine), load,
 * then re-apply what the engine does not carry and verify (count; after an import or bulk put
 * also a sample by key and content). The table is only reported restored once verified.
 */
async function restoreTable(opts: RestoreOptions, t: RestorePlanTable, md: BackupMetadata): Promise<TableOutcome> {
  const td = md.tableDetails[t.source];
  const started = Date.now();
  const warnings: string[] = [];
  let operation: EngineProgress | undefined;
  const progress = (phase: RestoreProgress['phase'], items: number) =>
    opts.onProgress?.({ table: t.source, target: t.target, items, total: t.items, phase, engine: t.engine, operation });
  progress('create', 0);
  if (t.engine === 'write' && !opts.intoExisting) warnings.push(...(await createTableFromSchema(opts.dynamodb, t.target, td.schema)));
  const writeStart = Date.now();
  const settings = opts.engines ?? {};
  const table = { backupId: md.backupId, source: t.source, target: t.target, record: td };
  const onEngineProgress = (p: EngineProgress) => (operation = p);
  const onItems = (items: number) => progress('write', items);
  const protect = !opts.intoExisting && opts.protect !== false;
  let verifyStart: number;
  let result: { items: number; verifiedItems: number; sampled: number; reapplied: string[]; operation?: RestoredTable['operation'] };
  if (t.engine === 'write') {
    const request = engineRequest('write', table, opts.bucket, settings, Boolean(opts.intoExisting));
    const loaded = await loadTable({ ...opts, request, exportFolder: td.exportFolder, settings, onItems });
    verifyStart = Date.now();
    // Protection and the count are independent once the data is in: run them side by side.
    const [protectWarnings, verifiedItems] = await Promise.all([
      protect ? protectTable(opts.dynamodb, t.target) : Promise.resolve([]),
      countItems(opts.dynamodb, t.target),
    ]);
    warnings.push(...protectWarnings);
    result = { items: loaded.items, verifiedItems, sampled: 0, reapplied: [] };
  } else {
    // Import / bulk put: journal, load, re-apply, count, sample; verifyMs then covers re-apply and checks.
    let loadedAt = 0;
    const r = await loadVerifiedWithEngine({
      ...opts,
      table,
      tier: md.tier,
      engine: t.engine,
      intoExisting: Boolean(opts.intoExisting),
      expectedItems: t.items,
      protect,
      resume: Boolean(opts.resume),
      settings,
      onEngineProgress,
      onItems: (n) => {
        loadedAt = Date.now();
        onItems(n);
      },
    });
    verifyStart = Math.max(loadedAt, writeStart);
    warnings.push(...r.warnings);
    result = r;
  }
  const verifiedItems = result.verifiedItems;
  if (verifiedItems !== t.items || result.items !== t.items) {
    throw new Error(
      `restore of "${t.source}" into "${t.target}" (${t.engine}) is incomplete: ${verifiedItems} items in the table, ${result.items} ${t.engine === 'write' ? 'written' : 'loaded'}, ${t.items} in the backup`,
    );
  }
  const done = Date.now();
  progress('done', verifiedItems);
  const restored: RestoredTable = {
    ...t,
    verifiedItems,
    operation: result.operation,
    reapplied: result.reapplied,
    sampled: result.sampled,
    createMs: writeStart - started,
    writeMs: verifyStart - writeStart,
    verifyMs: done - verifyStart,
    durationMs: done - started,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(done).toISOString(),
  };
  return { table: restored, warnings };
}

/** Options of {@link restoreFromExport}. */
export interface RestoreFromExportOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  /** The prefix the export was requested with (holds `AWSDynamoDB/<exportId>/`), or the export folder itself. */
  readonly prefix: string;
  /** Existing, empty table to load (a bare native export carries no schema). */
  readonly target: string;
  /** @default false - only validate and plan */
  readonly write?: boolean;
  readonly concurrency?: number;
  readonly onProgress?: (p: RestoreProgress) => void;
}

/** The result of {@link restoreFromExport}. */
export interface RestoreFromExportReport {
  readonly exportFolder: string;
  readonly exportTime: string;
  readonly target: string;
  readonly items: number;
  readonly verifiedItems?: number;
  readonly written: boolean;
}

/**
 * Loads a bare AWS native export folder (no metadata.json: exported by hand, or by another
 * tool) into an existing EMPTY table. Every data file is checked first (md5 against the
 * manifest, counts, DynamoDB JSON); there is no sha256 or schema to check.
 */
export async function restoreFromExport(opts: RestoreFromExportOptions): Promise<RestoreFromExportReport> {
  const prefix = opts.prefix.replace(/^\/+/, '');
  const folder = /AWSDynamoDB\/[^/]+\/?$/.test(prefix) ? prefix.replace(/\/?$/, '/') : await findExportFolder(opts.s3, opts.bucket, prefix);
  const manifest = await readManifest(opts.s3, opts.bucket, folder);
  const problems: ValidationProblem[] = [];
  let items = 0;
  for (const e of manifest.entries) {
    const c = await checkDataFile(opts.s3, opts.bucket, e);
    problems.push(...c.problems);
    items += c.items;
  }
  if (items !== manifest.summary.itemCount)
    problems.push({
      object: `s3://${opts.bucket}/${folder}manifest-summary.json`,
      message: `${items} items read, manifest says ${manifest.summary.itemCount}`,
    });
  if (problems.length) throw new RestoreRefusedError(`export s3://${opts.bucket}/${folder} failed validation: restore refused, nothing written`, problems);
  if (!(await tableExists(opts.dynamodb, opts.target))) {
    throw new RestoreRefusedError(
      `table "${opts.target}" does not exist: a native export carries no schema, so create the table first (same keys as the source), then run again`,
    );
  }
  if (await tableHasItems(opts.dynamodb, opts.target))
    throw new RestoreRefusedError(`table "${opts.target}" is not empty: an export is only loaded into an empty table (nothing was written)`);
  const base = { exportFolder: folder, exportTime: manifest.summary.exportTime, target: opts.target, items };
  if (!opts.write) return { ...base, written: false };
  await writeItemBatches(opts.dynamodb, opts.target, readExportBatches({ s3: opts.s3, bucket: opts.bucket, exportFolder: folder }), {
    concurrency: opts.concurrency,
    onItems: (n) => opts.onProgress?.({ table: folder, target: opts.target, items: n, total: items, phase: 'write' }),
  });
  const verifiedItems = await countItems(opts.dynamodb, opts.target);
  if (verifiedItems !== items)
    throw new Error(`load of ${folder} into "${opts.target}" is incomplete: ${verifiedItems} items in the table, ${items} in the export`);
  return { ...base, verifiedItems, written: true };
}
