/**
 * One interface over the three engines: `engineRequest` builds the exact request an engine sends
 * for a table (the restore and `--dry-run` share it), `loadTable` loads the table with it. The
 * caller (restore.ts) creates the table for `write`, then re-applies settings and verifies.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TableBackupRecord } from '../../format/backup-set';
import { readExportBatches } from '../../store/export-reader';
import { countItems, createTableInput } from '../tables';
import { writeItemBatches } from '../write-items';
import { EngineOperationResult, EngineProgress, EngineSettings, RestoreEngineName, engineClientToken } from './engine-types';
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
        clientToken: engineClientToken('import', t.backupId, t.source, t.target),
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
  readonly s3: S3Client;
  readonly bucket: string;
  readonly request: EngineRequest;
  /** The table's export folder (metadata `exportFolder`): what `write` reads. */
  readonly exportFolder: string;
  readonly settings: EngineSettings;
  /** Batches in flight (write). */
  readonly concurrency?: number;
  /** Items so far (write: after each batch; import / bulk: processed items per Describe). */
  readonly onItems?: (items: number) => void;
  readonly onEngineProgress?: (p: EngineProgress) => void;
  /** Called with the ClientToken before an import / bulk put request is sent (the journal records it). */
  readonly beforeStart?: (clientToken: string) => Promise<void>;
}

/** Loads one table with its request. The table exists for `write` and `bulk`; `import` creates it. */
export async function loadTable(opts: LoadTableOptions): Promise<LoadResult> {
  const r = opts.request;
  const progress = (p: EngineProgress) => {
    opts.onEngineProgress?.(p);
    opts.onItems?.(p.importedItems ?? p.processedItems);
  };
  if (r.engine !== 'write') await opts.beforeStart?.(r.input.ClientToken!);
  if (r.engine === 'import') {
    const op = await runImport(opts.dynamodb, r.input, opts.settings, progress);
    return { items: op.processedItems - op.errorCount, operation: op };
  }
  if (r.engine === 'bulk') {
    const op = await runBulkPut(opts.dynamodb, r.input, opts.settings, progress);
    return { items: op.processedItems - op.errorCount, operation: op };
  }
  const batches = readExportBatches({ s3: opts.s3, bucket: opts.bucket, exportFolder: opts.exportFolder });
  const items = await writeItemBatches(opts.dynamodb, r.input.TableName, batches, {
    concurrency: opts.concurrency,
    onItems: opts.onItems,
  });
  return { items };
}

/** Options of {@link loadVerifiedWithEngine}. */
export interface EngineRestoreOptions extends Omit<LoadTableOptions, 'request' | 'exportFolder' | 'beforeStart'> {
  readonly table: EngineTable;
  readonly tier: string;
  readonly engine: 'import' | 'bulk';
  readonly intoExisting: boolean;
  /** Items the set's metadata says the table holds. */
  readonly expectedItems: number;
  /** PITR and deletion protection afterwards. */
  readonly protect: boolean;
  /** Rerun of an interrupted operation: the journal's ClientToken is sent again. */
  readonly resume: boolean;
  /** Keep a journal (`restores/<target>.json` in the bucket). @default true */
  readonly journal?: boolean;
  /** Items compared by key and content. @default 100 */
  readonly sampleSize?: number;
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
          { ...opts, target: t.target, source: t.source, backupId: t.backupId, tier: opts.tier, engine: opts.engine, items: opts.expectedItems },
          opts.resume,
        );
  try {
    const token = journal ? recordedClientToken(journal, opts.engine) : undefined;
    const request = engineRequest(opts.engine, t, opts.bucket, opts.settings, opts.intoExisting, token);
    const loaded = await loadTable({
      ...opts,
      request,
      exportFolder: t.record.exportFolder,
      beforeStart: journal ? (clientToken) => journal.setOperation({ engine: opts.engine, clientToken, startedAt: new Date().toISOString() }) : undefined,
    });
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
