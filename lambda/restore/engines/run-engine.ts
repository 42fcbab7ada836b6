/**
 * One interface over the three engines: `engineRequest` builds the exact request an engine sends
 * for a table (the restore and `--dry-run` share it). `write` is run by restore.ts (each data file
 * checked as it streams in, journal part per file); `restoreWithEngine` runs `import` / `bulk`:
 * load, re-apply settings, verify, through the journal.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BackupMetadata, TableBackupRecord } from '../../format/backup-set';
import { describeError } from '../../shared/errors';
import { countItems, createTableInput } from '../tables';
import { describeIdentity, type ChainStart, type RestoreJournalRecord, type TargetDecision } from '../journal';
import { chainOf, RestoreOptions, RestorePlanTable, RestoreProgress, TableOutcome, TargetUnfinishedError } from '../types';
import { EngineOperationError, EngineOperationResult, EngineProgress, EngineSettings, RestoreEngineName, engineClientToken } from './engine-types';
import { bulkPutInput, importTableInput, runBulkPut, runImport } from './operations';
import { bulkWriteUnits } from './select';
import { reapplySettings } from './reapply';
import { verifySample } from './verify';
import { operationPartId, recordedClientToken, startEngineJournal } from './engine-journal';

/** Where the bulk put's error reports go unless told otherwise. */
export const DEFAULT_REPORT_PREFIX = 'restore-reports/';

/** One table to load. */
export interface EngineTable {
  readonly backupId: string;
  readonly source: string;
  readonly target: string;
  readonly record: TableBackupRecord;
}

/** The request of one engine for one table, as sent (import, bulk) or described (write). */
export type EngineRequest =
  | { readonly engine: 'import'; readonly command: 'ImportTable'; readonly input: ReturnType<typeof importTableInput> }
  | { readonly engine: 'bulk'; readonly command: 'StartBulkPutItems'; readonly input: ReturnType<typeof bulkPutInput> }
  | {
      readonly engine: 'write';
      readonly command: 'BatchWriteItem';
      /** CreateTable first, unless the table exists. */
      readonly createTable?: ReturnType<typeof createTableInput>;
      readonly input: { readonly TableName: string; readonly itemsPerRequest: 25; readonly requests: number; readonly readFrom: string };
    };

/** The request `engine` sends for `t`, with everything filled in (ClientToken included). */
export function engineRequest(
  engine: RestoreEngineName,
  t: EngineTable,
  bucket: string,
  settings: EngineSettings,
  intoExisting: boolean,
  /** A ClientToken the journal recorded (resume). @default - engineClientToken(...) */
  clientToken?: string,
): EngineRequest {
  const source = { bucket, exportFolder: t.record.exportFolder };
  if (engine === 'import')
    return {
      engine,
      command: 'ImportTable',
      input: importTableInput({
        source,
        target: t.target,
        schema: t.record.schema,
        clientToken: clientToken ?? engineClientToken('import', t.backupId, t.source, t.target),
        kmsKeyId: settings.kmsKeyId,
      }),
    };
  if (engine === 'bulk')
    return {
      engine,
      command: 'StartBulkPutItems',
      input: bulkPutInput({
        source,
        target: t.target,
        clientToken: clientToken ?? engineClientToken('bulk', t.backupId, t.source, t.target),
        maxWriteRequestUnits: bulkWriteUnits(settings),
        performanceTier: settings.performanceTier ?? 'STANDARD',
        report: { bucket, prefix: `${settings.reportPrefix ?? DEFAULT_REPORT_PREFIX}${t.backupId}/${t.target}/` },
        kmsKeyId: settings.kmsKeyId,
      }),
    };
  return {
    engine,
    command: 'BatchWriteItem',
    createTable: intoExisting ? undefined : createTableInput(t.target, t.record.schema),
    input: { TableName: t.target, itemsPerRequest: 25, requests: Math.ceil(t.record.itemCount / 25), readFrom: `s3://${bucket}/${t.record.exportFolder}data/` },
  };
}

/** What {@link loadTable} did. */
export interface LoadResult {
  /** Items written (write), imported (import) or put (bulk). */
  readonly items: number;
  readonly operation?: EngineOperationResult;
}

/** Options of {@link loadTable}. */
export interface LoadTableOptions {
  readonly dynamodb: DynamoDBClient;
  readonly request: Exclude<EngineRequest, { engine: 'write' }>;
  readonly settings: EngineSettings;
  /** Items so far (processed items per Describe). */
  readonly onItems?: (items: number) => void;
  readonly onEngineProgress?: (p: EngineProgress) => void;
  /** Called with the ClientToken before an import / bulk put request is sent (the journal records it). */
  readonly beforeStart?: (clientToken: string) => Promise<void>;
}

/** Loads one table with an import (creates it) or a bulk put (into the existing table). */
export async function loadTable(opts: LoadTableOptions): Promise<LoadResult> {
  const r = opts.request;
  const progress = (p: EngineProgress) => {
    opts.onEngineProgress?.(p);
    opts.onItems?.(p.importedItems ?? p.processedItems);
  };
  await opts.beforeStart?.(r.input.ClientToken!);
  const op =
    r.engine === 'import'
      ? await runImport(opts.dynamodb, r.input, opts.settings, progress)
      : await runBulkPut(opts.dynamodb, r.input, opts.settings, progress);
  return { items: op.processedItems - op.errorCount, operation: op };
}

/** Options of {@link loadVerifiedWithEngine}. */
export interface EngineRestoreOptions extends Omit<LoadTableOptions, 'request' | 'beforeStart'> {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly table: EngineTable;
  readonly tier: string;
  readonly engine: 'import' | 'bulk';
  readonly intoExisting: boolean;
  /** Items the set's metadata says the table holds. */
  readonly expectedItems: number;
  /** PITR and deletion protection afterwards. */
  readonly protect: boolean;
  /** The journal of the unfinished restore `--resume` continues: its ClientToken is sent again. @default - a fresh start */
  readonly resumeFrom?: RestoreJournalRecord;
  /** The journal version the target was decided on (TargetDecision.journalEtag): the claim is conditional on it. @default - none existed */
  readonly journalEtag?: string;
  /** Keep a journal (`restores/<target>.json` in the bucket). @default true */
  readonly journal?: boolean;
  /** Items compared by key and content. @default 100 */
  readonly sampleSize?: number;
  /** `dr restore --at`: the windows after this base, parts of the same journal (StartJournalOptions.chain). @default - none */
  readonly chain?: ChainStart;
}

/** What an import / bulk put restore did once verified. */
export interface EngineRestoreResult extends LoadResult {
  readonly verifiedItems: number;
  readonly sampled: number;
  readonly reapplied: string[];
  readonly warnings: string[];
}

/**
 * An import or bulk put from start to verified: journal `unfinished` (ClientToken recorded before
 * the request), load, re-apply what the engine does not carry, count against the metadata,
 * compare a sample by key and content, journal `verified`. Anything short of that throws, the
 * journal says `failed`, and the target is not restored.
 */
export async function loadVerifiedWithEngine(opts: EngineRestoreOptions): Promise<EngineRestoreResult> {
  const t = opts.table;
  const journal =
    opts.journal === false
      ? undefined
      : await startEngineJournal(
          {
            ...opts,
            target: t.target,
            source: t.source,
            backupId: t.backupId,
            tier: opts.tier,
            engine: opts.engine,
            items: opts.expectedItems,
            targetIdentity: opts.intoExisting ? await describeIdentity(opts.dynamodb, t.target) : undefined,
            chain: opts.chain,
          },
          opts.resumeFrom,
        );
  try {
    const token = journal ? recordedClientToken(journal, opts.engine) : undefined;
    const request = engineRequest(opts.engine, t, opts.bucket, opts.settings, opts.intoExisting, token);
    if (request.engine === 'write') throw new Error('loadVerifiedWithEngine runs import and bulk put only');
    const loaded = await loadTable({
      ...opts,
      request,
      beforeStart: journal ? (clientToken) => journal.setOperation({ engine: opts.engine, clientToken, startedAt: new Date().toISOString() }) : undefined,
    });
    if (!opts.intoExisting) await journal?.bindTarget(await describeIdentity(opts.dynamodb, t.target));
    const extraTags = [{ Key: 'dr:restored-from', Value: `${opts.tier}/${t.backupId}` }];
    const r = await reapplySettings(opts.dynamodb, t.target, t.record.schema, { engine: opts.engine, protect: opts.protect, extraTags });
    const verifiedItems = await countItems(opts.dynamodb, t.target);
    if (verifiedItems !== opts.expectedItems || loaded.items !== opts.expectedItems)
      throw new Error(
        `restore of "${t.source}" into "${t.target}" (${opts.engine}) is incomplete: ${verifiedItems} items in the table, ${loaded.items} loaded, ${opts.expectedItems} in the backup: NOT restored`,
      );
    const sampled = await verifySample({
      dynamodb: opts.dynamodb,
      s3: opts.s3,
      bucket: opts.bucket,
      source: t.source,
      target: t.target,
      record: t.record,
      size: opts.sampleSize,
    });
    journal?.markPartDone(operationPartId(opts.engine));
    await journal?.verified(verifiedItems);
    return { ...loaded, verifiedItems, sampled, reapplied: r.applied, warnings: [...r.warnings, ...(journal?.warnings ?? [])] };
  } catch (e) {
    await journal?.failed((e as Error).message ?? String(e));
    throw e;
  }
}

/**
 * One table of a checked set with import or bulk put, as restore.ts runs it ({@link
 * loadVerifiedWithEngine}, timed, with progress). A failure leaves the target unfinished (journal
 * `failed`) and throws TargetUnfinishedError saying whether `--resume` can continue it: an import
 * stopped while DynamoDB still runs it can; an operation DynamoDB ended FAILED / CANCELLED / with
 * errors cannot (the same ClientToken returns that operation again).
 */
export async function restoreWithEngine(opts: RestoreOptions, md: BackupMetadata, t: RestorePlanTable, decision: TargetDecision): Promise<TableOutcome> {
  const engine = t.engine as 'import' | 'bulk';
  const started = Date.now();
  let operation: EngineProgress | undefined;
  let loadedAt = started;
  const progress = (phase: RestoreProgress['phase'], items: number) =>
    opts.onProgress?.({ table: t.source, target: t.target, items, total: t.items, phase, engine, operation });
  progress('create', 0);
  try {
    const r = await loadVerifiedWithEngine({
      ...opts,
      table: { backupId: md.backupId, source: t.source, target: t.target, record: md.tableDetails[t.source] },
      tier: md.tier,
      engine,
      intoExisting: Boolean(opts.intoExisting),
      expectedItems: t.items,
      protect: !opts.intoExisting && opts.protect !== false,
      resumeFrom: decision.mode === 'resume' ? decision.journal : undefined,
      chain: chainOf(opts.pointChain, t.source),
      journalEtag: decision.journalEtag,
      settings: opts.engines ?? {},
      onEngineProgress: (p) => (operation = p),
      onItems: (n) => {
        loadedAt = Date.now();
        progress('write', n);
      },
    });
    const finished = Date.now();
    progress('done', r.verifiedItems);
    // Import / bulk put: DynamoDB creates / loads the table in one operation, so createMs is 0; verifyMs covers re-apply and checks.
    const table = {
      ...t,
      verifiedItems: r.verifiedItems,
      operation: r.operation,
      reapplied: r.reapplied,
      sampled: r.sampled,
      createMs: 0,
      writeMs: loadedAt - started,
      verifyMs: finished - loadedAt,
      durationMs: finished - started,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
    };
    return { table, warnings: r.warnings };
  } catch (e) {
    const ended = e instanceof EngineOperationError && e.result.status !== 'IN_PROGRESS';
    const state = `"${t.target}" is unfinished, never verified: it is not a restored table`;
    const remove = opts.intoExisting ? `empty "${t.target}"` : `delete it (aws dynamodb delete-table --table-name ${t.target})`;
    const fix = ended || opts.journal === false ? remove : `rerun the same command with --resume to follow the same operation (same ClientToken), or ${remove}`;
    // describeError names the service behind a lost connection.
    throw new TargetUnfinishedError(`${describeError(e)}. ${state}; ${fix}`, !ended);
  }
}
