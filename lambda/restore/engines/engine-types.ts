/**
 * The restore engines' shared vocabulary: names, settings, progress, the failure error and the
 * ClientToken. Pure (no I/O), so the CLI, the restore-test Lambda, the drill and the tests can all
 * import it without pulling in an SDK command.
 *
 * Three engines load one table of a backup set:
 * - `write`: this process streams the items in with BatchWriteItem (write-items.ts). Right for
 *   small tables and the only one DynamoDB Local has.
 * - `import`: DynamoDB's ImportTable creates a NEW table from the set's data files in S3; no write
 *   capacity is consumed.
 * - `bulk`: DynamoDB's StartBulkPutItems writes the set's data files into an EXISTING table.
 */
import { createHash } from 'node:crypto';

/** An engine that loads one table. */
export type RestoreEngineName = 'write' | 'import' | 'bulk';
/** What the operator asks for: an engine, or `auto` (chosen per table, see select.ts). */
export type RestoreEngineChoice = 'auto' | RestoreEngineName;
/** Every accepted value of `--engine`, in the order `dr restore --help` lists them. */
export const ENGINE_CHOICES: readonly RestoreEngineChoice[] = ['auto', 'import', 'bulk', 'write'];
/** `restore.importThresholdBytes` unless configured: 1 GiB. */
export const DEFAULT_IMPORT_THRESHOLD_BYTES = 1024 * 1024 * 1024;
/**
 * StartBulkPutItems' lowest MaxWriteRequestUnits: "The value must be at least 1,024" (API
 * reference, StartBulkPutItems, MaxWriteRequestUnits; the SDK typings say the same).
 */
export const MIN_BULK_WRITE_REQUEST_UNITS = 1024;
/**
 * Data files one ImportTable or bulk put accepts: "Each import job supports a maximum of 50,000 S3
 * objects" (DynamoDB developer guide, S3DataImport.BestPractices); "Each operation supports up to
 * 50,000 S3 objects, and each object can be up to 5 GB" (BulkPutItems.BestPractices).
 */
export const MAX_ENGINE_S3_OBJECTS = 50_000;

/** How the engines are chosen and run; every field has a default. */
export interface EngineSettings {
  /** @default 'auto' */
  readonly engine?: RestoreEngineChoice;
  /** `auto` uses import / bulk above this many uncompressed bytes of a table. @default DEFAULT_IMPORT_THRESHOLD_BYTES */
  readonly importThresholdBytes?: number;
  /**
   * KMS key (id, ARN, alias name or alias ARN) for the SSE of tables ImportTable creates, and of
   * the bulk put's error report. Working from the replica bucket in the recovery region, this is
   * the recovery key (`alias/<app>-dr-replica`).
   * @default - DynamoDB's default encryption (AWS owned key) for the table; the bucket's default for the report
   */
  readonly kmsKeyId?: string;
  /** Bulk put rate cap, at least 1,024. @default 1024 */
  readonly maxWriteRequestUnits?: number;
  /** @default 'STANDARD' */
  readonly performanceTier?: 'STANDARD' | 'ACCELERATED';
  /** Prefix in the restore's bucket for the bulk put's error report. @default 'restore-reports/' */
  readonly reportPrefix?: string;
  /**
   * The DynamoDB client answers ImportTable / bulk put through a LOCAL STAND-IN (cli/drill/standins/):
   * `auto` then treats the endpoint like AWS instead of choosing `write` for it. Only the drill sets it.
   * @default false
   */
  readonly standIns?: boolean;
  /** Seconds between DescribeImport / DescribeBulkOperation calls. @default 10 (tests pass 0) */
  readonly pollSeconds?: number;
  /** Aborted (Ctrl-C): a bulk put is cancelled, an import left running (there is no API to cancel one). */
  readonly signal?: AbortSignal;
}

/** Progress of an import or bulk put, as DescribeImport / DescribeBulkOperation report it. */
export interface EngineProgress {
  readonly engine: RestoreEngineName;
  readonly status: string;
  readonly processedItems: number;
  readonly processedBytes: number;
  /** Items in the table (import) or written (bulk) so far, when reported. */
  readonly importedItems?: number;
  readonly errorCount: number;
}

/** What an import or bulk put left behind. */
export interface EngineOperationResult {
  readonly engine: 'import' | 'bulk';
  /** ImportArn or BulkOperationArn. */
  readonly operationArn: string;
  readonly clientToken: string;
  readonly status: string;
  readonly processedItems: number;
  readonly processedBytes: number;
  readonly errorCount: number;
  /** Where the per-item errors are: the import's CloudWatch Logs group, the bulk put's S3 report. */
  readonly errorsAt?: string;
}

/**
 * An import or bulk put that did not finish clean (FAILED, CANCELLED, errors counted, or stopped
 * by Ctrl-C). The target is never called restored; the message says what state it is in.
 */
export class EngineOperationError extends Error {
  constructor(
    message: string,
    readonly result: Partial<EngineOperationResult> & { readonly engine: 'import' | 'bulk' },
  ) {
    super(message);
    this.name = 'EngineOperationError';
  }
}

/**
 * The ClientToken of a table's import or bulk put: the same backup set, table, target and engine
 * always give the same token, so a rerun within DynamoDB's 8-hour idempotency window gets the
 * operation already running back instead of starting a second one ("A client token is valid for
 * 8 hours after the first request that uses it is completed", ImportTable API reference;
 * "During the 8 hours after the initial request, repeated requests that use the same token and
 * parameters return the same bulk operation", StartBulkPutItems API reference). Both APIs allow
 * at most 64 characters of `[^$]`; a hex digest prefixed by the engine fits.
 */
export function engineClientToken(engine: 'import' | 'bulk', backupId: string, source: string, target: string): string {
  const digest = createHash('sha256').update(`${backupId}\n${source}\n${target}`).digest('hex').slice(0, 48);
  return `dr-${engine}-${digest}`;
}
