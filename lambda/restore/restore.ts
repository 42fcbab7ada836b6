/**
 * Folder lambda/restore/: getting data back (planning, table creation from the saved schema,
 * writing, verification, PITR, the restore test). May import validate/, store/, format/ and shared/.
 *
 * Restore of a backup set into DynamoDB: the cheap checks first (metadata, manifests, file lists
 * and sizes, schema: a set that fails them writes nothing), check every target and its engine,
 * then per table one of three engines (engines/): `write` creates the table from the saved schema
 * and streams the items in with parallel BatchWriteItem while each data file is checked (every
 * line, md5, sha256, count), turns protection on and verifies the counts; `import` / `bulk` hand
 * the data files to DynamoDB (ImportTable / StartBulkPutItems), then re-apply settings, count and
 * sample. A target is "unfinished" in its journal (journal.ts) until all of that passed; `resume`
 * continues one (write: the data files not done; import / bulk: the same ClientToken).
 * Up to `parallelTables` tables restore at once (see parallel.ts).
 *
 * Memory is bounded: items stream from S3 a gunzipped chunk (tens of lines) at a time and at
 * most `concurrency` batches of 25 are in flight per table (`parallelTables` x `concurrency`
 * in all).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { recoveryPoint } from '../format/trusted-time';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BackupMetadata, TableBackupRecord } from '../format/backup-set';
import { waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { resolveBackupSet } from '../store/catalog';
import { checkDataFile, validateBackupSet, ValidationProblem } from '../validate/validate';
import { findExportFolder, readExportBatches, readManifest } from '../store/export-reader';
import { countItems, createTableFromSchema, tableExists, tableHasItems } from './tables';
import { reapplySettings } from './engines/reapply';
import { DEFAULT_PARALLEL_TABLES, largestFirst, RestoreIncompleteError, runLimited } from './parallel';
import { describeError } from '../shared/errors';
import { CorruptDataFileError, DataItemError, readCheckedParts, RestorePart, writeItemBatches } from './write-items';
import { DATA_ERROR_FIX, keyRules } from '../format/item-rules';
import { describeIdentity, RestoreJournal, TargetDecision, unfinishedTags } from './journal';
import { verifySample } from './engines/verify';
import { checkTargets, withResume } from './targets';
import { checkEngineInput, decideEngine } from './engines/select';
import { restoreWithEngine } from './engines/run-engine';
import {
  chainOf,
  DEFAULT_RESTORE_SUFFIX,
  RestoreOptions,
  RestorePlan,
  RestorePlanTable,
  RestoreProgress,
  RestoredTable,
  RestoreRefusedError,
  RestoreReport,
  TableOutcome,
  TargetUnfinishedError,
} from './types';

export { DEFAULT_PARALLEL_TABLES, RestoreIncompleteError } from './parallel';
// The write loop lives in write-items.ts; restore stays its public home for callers.
export { writeItemBatches, writeItems } from './write-items';
export type { WriteItemsOptions } from './write-items';
export { DEFAULT_RESTORE_SUFFIX, RestoreRefusedError, TargetUnfinishedError } from './types';
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
  // Each table once: a name given twice would restore into the same target twice at once.
  const chosen = [...new Set(tables?.length ? tables : metadata.tables)];
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
      `backup set ${set.tier}/${set.backupId} is ${set.status} (${set.damage?.reason ?? 'no metadata.json'}): restore refused; pick a complete set from "dr list"`,
    );
  const md = set.metadata;
  // ImportTable's size quota depends on the region the restore runs in.
  const region = await opts.dynamodb.config.region();
  const tables = chosenTables(md, opts.tables).map<RestorePlanTable>((t) => {
    const td = md.tableDetails[t];
    const bytes = md.bytes?.[t] ?? td.bytes;
    const intoExisting = Boolean(opts.intoExisting);
    const d = decideEngine(
      { bytes, intoExisting, localSecondaryIndexes: td.schema.localSecondaryIndexes.length, storedBytes: td.storedBytes, region },
      opts.engines ?? {},
    );
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
  const plan = { backupId: md.backupId, tier: md.tier, exportTime: recoveryPoint(md).toISOString(), tables };
  // The data files must be what ImportTable / bulk put are told they are (reads S3 only).
  for (const t of tables) if (t.engine !== 'write') await checkEngineInput(opts.s3, opts.bucket, t.source, md.tableDetails[t.source]);
  const decisions = await checkTargets(opts, plan);
  return { plan: { ...plan, tables: tables.map((t, i) => withResume(t, decisions[i])) }, md };
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
  // The cheap checks only (metadata, manifests, file lists and sizes, schema): each data file's
  // lines and checksums are checked as it is written, and the target stays unfinished until then.
  const report = await validateBackupSet({
    s3: opts.s3,
    bucket: opts.bucket,
    ref: `${plan.tier}/${plan.backupId}`,
    tables: plan.tables.map((t) => t.source),
    compareWithPrevious: false,
    readData: false,
  });
  if (!report.valid)
    throw new RestoreRefusedError(`backup set ${plan.tier}/${plan.backupId} failed validation: restore refused, nothing written`, report.problems);
  const validateMs = Date.now() - validateStart;
  // Again after validation: a target may have appeared (or a journal changed) since the plan.
  const decisions = await checkTargets(opts, plan);
  const set = await resolveBackupSet({ s3: opts.s3, bucket: opts.bucket, ref: `${plan.tier}/${plan.backupId}` });
  const md = set.metadata!;
  const byTarget = new Map(plan.tables.map((t, i) => [t.target, decisions[i]]));
  const run = await runLimited(plan.tables, parallel, largestFirst(plan.tables), (t) =>
    t.engine === 'write'
      ? restoreTable(opts, md, t, md.tableDetails[t.source], byTarget.get(t.target)!)
      : restoreWithEngine(opts, md, t, byTarget.get(t.target)!),
  );
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
    exportTime: recoveryPoint(md).toISOString(),
    tables,
    warnings,
    validateMs,
    parallelTables: parallel,
    durationMs: Date.now() - t0,
  };
}

/**
 * One table of a checked set with the write engine (import / bulk: engines/run-engine.ts,
 * restoreWithEngine): journal, create, write (each data file checked as it streams in),
 * protect, verify, each phase timed. The journal says `verified` only after all of it; a failure
 * leaves the target unfinished (journal `failed`) and the error says what to do with it.
 */
async function restoreTable(
  opts: RestoreOptions,
  md: BackupMetadata,
  t: RestorePlanTable,
  td: TableBackupRecord,
  decision: TargetDecision,
): Promise<TableOutcome> {
  const started = Date.now();
  const warnings: string[] = [];
  const progress = (phase: RestoreProgress['phase'], items: number) =>
    opts.onProgress?.({ table: t.source, target: t.target, items, total: t.items, phase, engine: 'write' });
  progress('create', 0);
  const manifest = await readManifest(opts.s3, opts.bucket, td.exportFolder);
  const records = new Map(td.files.map((f) => [f.key, f]));
  const parts: RestorePart[] = manifest.entries.map((entry) => ({ entry, record: records.get(entry.dataFileS3Key) }));
  const resume = decision.mode === 'resume';
  const journal =
    opts.journal === false
      ? undefined
      : await RestoreJournal.start({
          s3: opts.s3,
          bucket: opts.bucket,
          dynamodb: opts.dynamodb,
          target: t.target,
          source: t.source,
          backupId: md.backupId,
          tier: md.tier,
          engine: 'write',
          intoExisting: Boolean(opts.intoExisting),
          parts: parts.map((p) => ({ id: p.entry.dataFileS3Key, items: p.entry.itemCount })),
          resumeFrom: resume ? decision.journal : undefined,
          tagNow: Boolean(opts.intoExisting) || resume,
          journalEtag: decision.journalEtag,
          targetIdentity: opts.intoExisting || resume ? await describeIdentity(opts.dynamodb, t.target) : undefined,
          chain: chainOf(opts.pointChain, t.source),
        });
  try {
    if (resume) await waitUntilTableExists({ client: opts.dynamodb, maxWaitTime: 600, minDelay: 1, maxDelay: 10 }, { TableName: t.target });
    else if (!opts.intoExisting) {
      const tags = journal ? unfinishedTags(md.backupId) : undefined;
      warnings.push(...(await createTableFromSchema(opts.dynamodb, t.target, td.schema, tags, { ttl: false })));
      await journal?.bindTarget(await describeIdentity(opts.dynamodb, t.target));
    }
    const writeStart = Date.now();
    const done = journal?.doneParts() ?? new Set<string>();
    const todo = parts.filter((p) => !done.has(p.entry.dataFileS3Key));
    const skipped = parts.filter((p) => done.has(p.entry.dataFileS3Key)).reduce((n, p) => n + p.entry.itemCount, 0);
    const chunks = readCheckedParts(opts.s3, opts.bucket, todo, (p) => journal?.markPartDone(p.entry.dataFileS3Key), keyRules(td.schema));
    const written = await writeItemBatches(opts.dynamodb, t.target, chunks, {
      concurrency: opts.concurrency,
      onItems: (items) => progress('write', skipped + items),
      keyAttributes: td.schema.keySchema.map((k) => k.AttributeName),
    });
    await journal?.flush();
    const verifyStart = Date.now();
    // The settings (TTL, tags, PITR, deletion protection) and the count are independent once the
    // data is in: side by side. A run killed before them leaves the journal unfinished with every
    // part done, so --resume comes back here and sets them.
    const protect = !opts.intoExisting && opts.protect !== false;
    const [settings, verifiedItems] = await Promise.all([
      reapplySettings(opts.dynamodb, t.target, td.schema, { engine: 'write', protect, newTable: !opts.intoExisting }),
      countItems(opts.dynamodb, t.target),
    ]);
    warnings.push(...settings.warnings);
    if (verifiedItems !== t.items || skipped + written !== t.items) {
      const before = skipped ? ` (${skipped} by an earlier run)` : '';
      throw new Error(`${verifiedItems} items in the table, ${skipped + written} written${before}, ${t.items} in the backup`);
    }
    // Counts match also when another writer's items stand in for ours: compare a sample by content, as import and bulk do.
    const base = { dynamodb: opts.dynamodb, s3: opts.s3, bucket: opts.bucket, source: t.source, target: t.target, record: td };
    const sampled = await verifySample({ ...base, size: opts.sampleSize });
    await journal?.verified(verifiedItems);
    warnings.push(...(journal?.warnings ?? []));
    const finished = Date.now();
    progress('done', verifiedItems);
    const table: RestoredTable = {
      ...t,
      verifiedItems,
      reapplied: settings.applied,
      sampled,
      createMs: writeStart - started,
      writeMs: verifyStart - writeStart,
      verifyMs: finished - verifyStart,
      durationMs: finished - started,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
    };
    return { table, warnings };
  } catch (e) {
    const problem = (e as Error).message;
    await journal?.failed(problem, e instanceof DataItemError ? 'data' : undefined);
    throw new TargetUnfinishedError(unfinishedMessage(t, Boolean(opts.intoExisting), e, journal), !(e instanceof CorruptDataFileError));
  }
}

/** Why a target is unfinished and what to do with it: resume, or (a corrupt set) remove it. */
function unfinishedMessage(t: RestorePlanTable, intoExisting: boolean, e: unknown, journal: RestoreJournal | undefined): string {
  const j = journal?.record;
  const progress = j ? ` (${j.parts.filter((p) => p.done).length} of ${j.parts.length} data files written and checked)` : '';
  const state = `"${t.target}" is unfinished${progress}, never verified: it is not a restored table`;
  const remove = intoExisting ? `empty "${t.target}"` : `delete it (aws dynamodb delete-table --table-name ${t.target})`;
  if (e instanceof DataItemError) return `stopped on a data error: ${e.message}. ${state}; ${remove}. ${DATA_ERROR_FIX}`;
  if (e instanceof CorruptDataFileError)
    return `stopped: a data file of the backup set failed its checks: ${e.message}. ${state}; ${remove}, then restore a set that "dr validate" passes`;
  const fix = journal ? `rerun the same command with --resume to continue it, or ${remove}` : remove;
  // describeError names the service behind a lost connection (the wrapper below keeps only the text).
  return `${describeError(e)}. ${state}; ${fix}`;
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
