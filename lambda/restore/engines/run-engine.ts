/**
 * One interface over the three engines: `engineRequest` builds the exact request an engine sends
 * for a table (the restore and `--dry-run` share it), `loadTable` loads the table with it. The
 * caller (restore.ts) creates the table for `write`, then re-applies settings and verifies.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TableBackupRecord } from '../../format/backup-set';
import { readExportBatches } from '../../store/export-reader';
import { createTableInput } from '../tables';
import { writeItemBatches } from '../write-items';
import { EngineOperationResult, EngineProgress, EngineSettings, RestoreEngineName, engineClientToken } from './engine-types';
import { bulkPutInput, importTableInput, runBulkPut, runImport } from './operations';
import { bulkWriteUnits } from './select';

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
export function engineRequest(engine: RestoreEngineName, t: EngineTable, bucket: string, settings: EngineSettings, intoExisting: boolean): EngineRequest {
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
        clientToken: engineClientToken('bulk', t.backupId, t.source, t.target),
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
}

/** Loads one table with its request. The table exists for `write` and `bulk`; `import` creates it. */
export async function loadTable(opts: LoadTableOptions): Promise<LoadResult> {
  const r = opts.request;
  const progress = (p: EngineProgress) => {
    opts.onEngineProgress?.(p);
    opts.onItems?.(p.importedItems ?? p.processedItems);
  };
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
