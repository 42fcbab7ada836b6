/**
 * DynamoDB's own loaders, each driven through its whole life cycle: the request (pure builders,
 * so `--dry-run` prints exactly what would be sent), the start, DescribeX polling with progress,
 * and the end states (COMPLETED; FAILED / CANCELLED / errors counted: EngineOperationError naming
 * the error counts and where the errors are).
 *
 * ImportTable (API reference ImportTable / DescribeImport; developer guide S3DataImport.*):
 * - creates a NEW table; LSIs cannot be given (TableCreationParameters has none), and TTL, PITR,
 *   deletion protection, tags, streams and autoscaling are not part of it: reapply.ts sets them.
 * - up to 50 concurrent imports per account, 50,000 S3 objects per import, 15 TB of source
 *   objects at a time in us-east-1/us-west-2/eu-west-1 and 1 TB elsewhere (S3DataImport.Validation).
 * - per-item errors go to CloudWatch Logs (`/aws-dynamodb/imports`, DescribeImport's
 *   CloudWatchLogGroupArn) and are counted in ErrorCount; duplicates are not errors.
 * - there is no CancelImport API (none in @aws-sdk/client-dynamodb 3.1164, whose commands list
 *   ImportTable, DescribeImport and ListImports only): Ctrl-C leaves the import running; a rerun
 *   with the same ClientToken follows it again.
 * StartBulkPutItems (API reference StartBulkPutItems / DescribeBulkOperation / CancelBulkOperation;
 * developer guide BulkPutItems.*):
 * - writes into an EXISTING, ACTIVE table (not while it builds an index; never a global table).
 * - MaxWriteRequestUnits at least 1,024; PerformanceTier STANDARD (default) or ACCELERATED.
 * - items it could not write are reported under OutputS3Configuration (OutputType ERROR).
 * - CancelBulkOperation answers CANCELLING; "Cancellation doesn't remove items that the operation
 *   has already written" (CancelBulkOperation reference).
 */
import {
  CancelBulkOperationCommand,
  DescribeBulkOperationCommand,
  DescribeImportCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ImportTableCommand,
  ListImportsCommand,
  ImportTableCommandInput,
  ImportTableDescription,
  StartBulkPutItemsCommand,
  StartBulkPutItemsCommandInput,
  BulkOperationDescription,
} from '@aws-sdk/client-dynamodb';
import type { TableSchema } from '../../format/backup-set';
import { createTableInput, isTableMissing, isUnsupportedApi } from '../tables';
import { EngineOperationError, EngineOperationResult, EngineProgress, EngineSettings } from './engine-types';

/** Where a table's data files are, as the engines are told. */
export interface EngineSource {
  readonly bucket: string;
  /** `<set>/<table>/AWSDynamoDB/<exportId>/` (metadata `exportFolder`). */
  readonly exportFolder: string;
}

/** The data files' prefix: only `data/`, so the manifests beside them are not read as items. */
export function dataPrefix(exportFolder: string): string {
  return `${exportFolder.replace(/\/?$/, '/')}data/`;
}

/** The ImportTable request for a new table from the saved schema (pure). */
export function importTableInput(p: {
  readonly source: EngineSource;
  readonly target: string;
  readonly schema: TableSchema;
  readonly clientToken: string;
  readonly kmsKeyId?: string;
}): ImportTableCommandInput {
  const t = createTableInput(p.target, p.schema);
  return {
    ClientToken: p.clientToken,
    S3BucketSource: { S3Bucket: p.source.bucket, S3KeyPrefix: dataPrefix(p.source.exportFolder) },
    InputFormat: 'DYNAMODB_JSON',
    InputCompressionType: 'GZIP',
    TableCreationParameters: {
      TableName: p.target,
      AttributeDefinitions: t.AttributeDefinitions,
      KeySchema: t.KeySchema,
      BillingMode: t.BillingMode,
      ProvisionedThroughput: t.ProvisionedThroughput,
      GlobalSecondaryIndexes: t.GlobalSecondaryIndexes,
      // A customer managed key (the recovery key in the recovery region); without one DynamoDB's default.
      SSESpecification: p.kmsKeyId ? { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: p.kmsKeyId } : undefined,
    },
  };
}

/** The StartBulkPutItems request for an existing table (pure). */
export function bulkPutInput(p: {
  readonly source: EngineSource;
  readonly target: string;
  readonly clientToken: string;
  readonly maxWriteRequestUnits: number;
  readonly performanceTier: 'STANDARD' | 'ACCELERATED';
  /** Error report location (bucket + prefix). */
  readonly report: { readonly bucket: string; readonly prefix: string };
  readonly kmsKeyId?: string;
}): StartBulkPutItemsCommandInput {
  return {
    ClientToken: p.clientToken,
    TableName: p.target,
    InputS3Configuration: {
      S3Bucket: p.source.bucket,
      S3KeyPrefix: dataPrefix(p.source.exportFolder),
      InputFormat: 'DYNAMODB_JSON',
      InputCompressionType: 'GZIP',
    },
    OutputS3Configuration: {
      S3Bucket: p.report.bucket,
      S3KeyPrefix: p.report.prefix,
      OutputType: ['ERROR'],
      ...(p.kmsKeyId ? { S3SseAlgorithm: 'KMS' as const, S3SseKmsKeyId: p.kmsKeyId } : {}),
    },
    MaxWriteRequestUnits: p.maxWriteRequestUnits,
    PerformanceTier: p.performanceTier,
  };
}

/** Errors a poll waits out instead of failing on (the SDK retries too; these are what is left). */
function isThrottling(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests/.test(name);
}

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** How long to wait before the next Describe call, and what may cut the wait short. */
interface PollPace {
  readonly ms: number;
  readonly wake?: AbortSignal;
}

/** Calls `describe` after each pause until `finished`; throttling is waited out (at most 20 in a row, backing off). */
async function pollUntil<T>(describe: () => Promise<T>, finished: (d: T) => boolean, pace: () => PollPace, onEach: (d: T) => void): Promise<T> {
  let throttled = 0;
  for (;;) {
    const { ms, wake } = pace();
    await pause(ms * Math.max(1, throttled), wake);
    let d: T;
    try {
      d = await describe();
    } catch (e) {
      if (!isThrottling(e) || ++throttled > 20) throw e;
      continue;
    }
    throttled = 0;
    onEach(d);
    if (finished(d)) return d;
  }
}

class AbortedError extends Error {}

function pollMs(settings: EngineSettings): number {
  return (settings.pollSeconds ?? 10) * 1000;
}

function importResult(d: ImportTableDescription, clientToken: string): EngineOperationResult {
  return {
    engine: 'import',
    operationArn: d.ImportArn ?? '',
    clientToken,
    status: d.ImportStatus ?? 'UNKNOWN',
    processedItems: d.ProcessedItemCount ?? 0,
    processedBytes: d.ProcessedSizeBytes ?? 0,
    errorCount: d.ErrorCount ?? 0,
    errorsAt: d.CloudWatchLogGroupArn ? `CloudWatch Logs group ${d.CloudWatchLogGroupArn}` : undefined,
  };
}

/** ListImports pages read when looking for an earlier import of one table (25 each: far more than one target ever gets). */
const MAX_IMPORT_PAGES = 8;

/**
 * The import that created (or is creating) `target` with `clientToken`, if any:
 * DescribeTable gives the table's ARN (a table an import is creating is listed, CREATING),
 * ListImports by that ARN lists its imports (ImportSummary carries no ClientToken, so only those
 * reading the same S3 source are described), DescribeImport says whose token it is. Undefined
 * when the table does not exist or no import of it used this token.
 *
 * Why not only send ImportTable again: "A client token is valid for 8 hours after the first
 * request that uses it is completed" (ImportTable API reference); after that the same request
 * starts a second import, which fails on the existing table, and a COMPLETED import is not
 * recognised. ListImports keeps imports for 90 days ("Lists completed imports within the past 90
 * days"; its ImportStatus includes IN_PROGRESS). The caller needs dynamodb:DescribeTable on the
 * table, dynamodb:ListImports (on "*": docs/security.md) and dynamodb:DescribeImport on
 * `table/<name>/import/*`.
 */
export async function findImport(
  dynamodb: DynamoDBClient,
  target: string,
  clientToken: string,
  /** Only imports reading this source are described. @default - every import of the table */
  source?: { readonly S3Bucket?: string; readonly S3KeyPrefix?: string },
): Promise<ImportTableDescription | undefined> {
  let tableArn: string | undefined;
  try {
    // `?.`: a mocked client (tests) may answer nothing.
    tableArn = (await dynamodb.send(new DescribeTableCommand({ TableName: target })))?.Table?.TableArn;
  } catch (e) {
    if (isTableMissing(e)) return undefined;
    throw e;
  }
  if (!tableArn) return undefined;
  const sameSource = (s: { S3Bucket?: string; S3KeyPrefix?: string } | undefined) =>
    !source || (s?.S3Bucket === source.S3Bucket && (s?.S3KeyPrefix ?? '') === (source.S3KeyPrefix ?? ''));
  let next: string | undefined;
  for (let page = 0; page < MAX_IMPORT_PAGES; page++) {
    let listed;
    try {
      listed = await dynamodb.send(new ListImportsCommand({ TableArn: tableArn, PageSize: 25, NextToken: next }));
    } catch (e) {
      // An emulator (DynamoDB Local) has no imports to find.
      if (isUnsupportedApi(e)) return undefined;
      throw e;
    }
    for (const s of listed?.ImportSummaryList ?? []) {
      if (!s.ImportArn || !sameSource(s.S3BucketSource)) continue;
      const d = (await dynamodb.send(new DescribeImportCommand({ ImportArn: s.ImportArn })))?.ImportTableDescription;
      if (d?.ClientToken === clientToken) return d;
    }
    next = listed?.NextToken;
    if (!next) break;
  }
  return undefined;
}

/** An import found again that a restore follows (running) or verifies (completed) instead of starting one. */
export function isAttachable(d: ImportTableDescription | undefined): d is ImportTableDescription {
  return d?.ImportStatus === 'IN_PROGRESS' || d?.ImportStatus === 'COMPLETED';
}

/**
 * Follows the import of one table to its end: the one already started with this ClientToken when
 * DynamoDB still lists it ({@link findImport}: a retry re-attaches to a running import, and a
 * COMPLETED one is not repeated), else a new ImportTable. Resolves only on COMPLETED with no
 * errors; throws EngineOperationError otherwise, saying what state the target is in.
 */
export async function runImport(
  dynamodb: DynamoDBClient,
  input: ImportTableCommandInput,
  settings: EngineSettings,
  onProgress?: (p: EngineProgress) => void,
): Promise<EngineOperationResult> {
  const target = input.TableCreationParameters!.TableName!;
  const found = await findImport(dynamodb, target, input.ClientToken!, input.S3BucketSource);
  const started = found ? { ImportTableDescription: found } : await dynamodb.send(new ImportTableCommand(input));
  const arn = started.ImportTableDescription?.ImportArn;
  if (!arn) throw new Error(`ImportTable for "${target}" returned no ImportArn`);
  const report = (d: ImportTableDescription) =>
    onProgress?.({
      engine: 'import',
      status: d.ImportStatus ?? 'UNKNOWN',
      processedItems: d.ProcessedItemCount ?? 0,
      processedBytes: d.ProcessedSizeBytes ?? 0,
      importedItems: d.ImportedItemCount,
      errorCount: d.ErrorCount ?? 0,
    });
  report(started.ImportTableDescription!);
  let d: ImportTableDescription = started.ImportTableDescription!;
  try {
    if (d.ImportStatus === 'IN_PROGRESS' || d.ImportStatus === 'CANCELLING')
      d = await pollUntil(
        async () => {
          // Ctrl-C: stop following (the import cannot be cancelled through the API).
          if (settings.signal?.aborted) throw new AbortedError();
          return (await dynamodb.send(new DescribeImportCommand({ ImportArn: arn }))).ImportTableDescription!;
        },
        (x) => x.ImportStatus !== 'IN_PROGRESS' && x.ImportStatus !== 'CANCELLING',
        () => ({ ms: pollMs(settings), wake: settings.signal }),
        report,
      );
  } catch (e) {
    if (!(e instanceof AbortedError)) throw e;
    throw new EngineOperationError(
      `stopped following import ${arn} of "${target}": DynamoDB has no API to cancel an import, so it keeps running and "${target}" stays in CREATING (not usable, not restored) until it completes or fails. Run the same restore again to follow it to its end (same ClientToken ${input.ClientToken}, within 8 hours), or delete "${target}" once it is ACTIVE if it is not wanted.`,
      { ...importResult(d, input.ClientToken!), status: 'IN_PROGRESS' },
    );
  }
  const result = importResult(d, input.ClientToken!);
  if (d.ImportStatus === 'COMPLETED' && result.errorCount === 0) return result;
  const counts = `${result.processedItems} items processed, ${d.ImportedItemCount ?? 0} imported, ${result.errorCount} errors`;
  const errorsAt = result.errorsAt ? `; the errors are in ${result.errorsAt}` : '';
  const why = d.FailureCode || d.FailureMessage ? ` (${[d.FailureCode, d.FailureMessage].filter(Boolean).join(': ')})` : '';
  const state =
    d.ImportStatus === 'COMPLETED'
      ? `"${target}" exists with part of the data: NOT restored; delete it before restoring again`
      : `"${target}" is not restored (DynamoDB removes a table whose import ${d.ImportStatus === 'FAILED' ? 'failed' : 'was cancelled'}; delete it if it is still listed)`;
  throw new EngineOperationError(`import ${arn} of "${target}" ended ${d.ImportStatus}${why}: ${counts}${errorsAt}; ${state}`, result);
}

function bulkResult(d: BulkOperationDescription, clientToken: string, reportAt: string): EngineOperationResult {
  return {
    engine: 'bulk',
    operationArn: d.BulkOperationArn ?? '',
    clientToken,
    status: d.BulkOperationStatus ?? 'UNKNOWN',
    processedItems: d.ProcessedItemCount ?? 0,
    processedBytes: d.ProcessedInputBytes ?? 0,
    errorCount: d.FailedItemCount ?? 0,
    errorsAt: `the error report under ${reportAt}`,
  };
}

const BULK_RUNNING = new Set(['IN_PROGRESS', 'CANCELLING']);

/**
 * Starts (or finds again, same ClientToken within 8 hours) the bulk put of one table and follows
 * it. Ctrl-C (settings.signal) sends CancelBulkOperation and follows it to CANCELLED. Resolves
 * only on COMPLETED with no failed items; throws EngineOperationError otherwise.
 */
export async function runBulkPut(
  dynamodb: DynamoDBClient,
  input: StartBulkPutItemsCommandInput,
  settings: EngineSettings,
  onProgress?: (p: EngineProgress) => void,
): Promise<EngineOperationResult> {
  const target = input.TableName!;
  const reportAt = `s3://${input.OutputS3Configuration!.S3Bucket}/${input.OutputS3Configuration!.S3KeyPrefix ?? ''}`;
  const started = await dynamodb.send(new StartBulkPutItemsCommand(input));
  const arn = started.BulkOperationDescription?.BulkOperationArn;
  if (!arn) throw new Error(`StartBulkPutItems for "${target}" returned no BulkOperationArn`);
  let cancelSent = false;
  const report = (d: BulkOperationDescription) =>
    onProgress?.({
      engine: 'bulk',
      status: d.BulkOperationStatus ?? 'UNKNOWN',
      processedItems: d.ProcessedItemCount ?? 0,
      processedBytes: d.ProcessedInputBytes ?? 0,
      errorCount: d.FailedItemCount ?? 0,
    });
  let d: BulkOperationDescription = started.BulkOperationDescription!;
  report(d);
  if (BULK_RUNNING.has(d.BulkOperationStatus ?? ''))
    d = await pollUntil(
      async () => {
        if (settings.signal?.aborted && !cancelSent) {
          cancelSent = true;
          await dynamodb.send(new CancelBulkOperationCommand({ BulkOperationArn: arn }));
        }
        return (await dynamodb.send(new DescribeBulkOperationCommand({ BulkOperationArn: arn }))).BulkOperationDescription!;
      },
      (x) => !BULK_RUNNING.has(x.BulkOperationStatus ?? ''),
      // After the cancel, poll every 2 s at most: the operator is waiting at the terminal.
      () => (cancelSent ? { ms: Math.min(pollMs(settings), 2000) } : { ms: pollMs(settings), wake: settings.signal }),
      report,
    );
  const result = bulkResult(d, input.ClientToken!, reportAt);
  if (d.BulkOperationStatus === 'COMPLETED' && result.errorCount === 0) return result;
  const counts = `${result.processedItems} items processed, ${result.errorCount} failed`;
  const why = d.FailureCode || d.FailureMessage ? ` (${[d.FailureCode, d.FailureMessage].filter(Boolean).join(': ')})` : '';
  const state =
    d.BulkOperationStatus === 'CANCELLED'
      ? `cancelled${cancelSent ? ' at your request (Ctrl-C)' : ''}: "${target}" keeps the items already written (cancelling removes none): NOT restored; empty it before restoring again, or rerun to start a new operation`
      : `"${target}" holds part of the data: NOT restored; empty it before restoring again`;
  throw new EngineOperationError(`bulk put ${arn} into "${target}" ended ${d.BulkOperationStatus}${why}: ${counts}; see ${result.errorsAt}; ${state}`, result);
}
