/**
 * LOCAL STAND-IN for DynamoDB's ImportTable / DescribeImport / ListImports and StartBulkPutItems /
 * DescribeBulkOperation / CancelBulkOperation. No emulator has these APIs (DynamoDB Local answers
 * UnknownOperationException), so the drill installs this on its DynamoDB Local client: the
 * restore engines then run UNCHANGED (same requests, same polling, same re-apply and checks)
 * while this plays the operations' life cycle over DynamoDB Local and s3rver:
 *
 * - ImportTable: CreateTable from TableCreationParameters (SSE is recorded, not applied: DynamoDB
 *   Local has no KMS), then every `.json.gz` object under S3KeyPrefix is read and written with
 *   BatchWriteItem; IN_PROGRESS with ProcessedItemCount / ProcessedSizeBytes / ImportedItemCount
 *   / ErrorCount growing, then COMPLETED, or FAILED with FailureCode / FailureMessage.
 * - StartBulkPutItems: the same into an existing table (ResourceNotFoundException when missing);
 *   lines it cannot parse are counted in FailedItemCount and written to the error report under
 *   OutputS3Configuration; CancelBulkOperation -> CANCELLING -> CANCELLED, items written stay.
 * - DeleteTable of a table an import is still creating: ResourceInUseException, as DynamoDB answers.
 * - ClientToken: the same token and input return the same operation; the same token with other
 *   input is IdempotentParameterMismatchException, as DynamoDB documents.
 *
 * It is a stand-in, not an emulator of DynamoDB's speed or limits. It lives in cli/drill/ and is
 * never imported by code that runs on AWS (lambda/); the drill report says where it was used.
 */
import { randomUUID } from 'node:crypto';
import {
  AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ImportTableCommandInput,
  StartBulkPutItemsCommandInput,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys, putText } from '../../../lambda/store/s3-io';
import { openDataFile, parseExportLine } from '../../../lambda/store/export-reader';
import { writeItemBatches } from '../../../lambda/restore/write-items';
import { standInEngines } from '../../restore-engines';

/** What the stand-in did, for the drill report and tests. */
export interface EngineStandIn {
  /** Every request it answered, in order: command name and input. */
  readonly calls: { readonly command: string; readonly input: unknown }[];
  /** Removes the stand-in from the client. */
  dispose(): void;
}

/** One operation's state. */
interface Operation {
  readonly kind: 'import' | 'bulk';
  readonly arn: string;
  readonly clientToken: string;
  readonly inputJson: string;
  readonly table: string;
  readonly startTime: Date;
  status: string;
  endTime?: Date;
  processedItems: number;
  processedBytes: number;
  written: number;
  errors: number;
  failureCode?: string;
  failureMessage?: string;
  cancel: boolean;
  readonly input: ImportTableCommandInput | StartBulkPutItemsCommandInput;
}

function serviceError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  (e as { $fault?: string }).$fault = 'client';
  return e;
}

const NAME = 'drEngineStandIn';
/** A handler's answer for "not mine: on to DynamoDB Local". */
const PASS = Symbol('pass');

/** Stand-ins installed in this process now (each registers the engines it answers; the last dispose removes them). */
let installed = 0;

/**
 * Installs the stand-in on `dynamodb` (a client of DynamoDB Local). `s3` reads the data files and
 * writes bulk error reports. Returns a handle to inspect the calls and remove it.
 */
export function installEngineStandIns(dynamodb: DynamoDBClient, s3: S3Client): EngineStandIn {
  const ops = new Map<string, Operation>();
  const byToken = new Map<string, Operation>();
  const calls: { command: string; input: unknown }[] = [];

  const start = (kind: 'import' | 'bulk', input: ImportTableCommandInput | StartBulkPutItemsCommandInput, table: string): Operation => {
    const token = input.ClientToken ?? randomUUID();
    const json = JSON.stringify(input);
    const seen = byToken.get(token);
    if (seen) {
      if (seen.inputJson !== json) throw serviceError('IdempotentParameterMismatchException', `ClientToken ${token} was used with other parameters`);
      return seen;
    }
    const arn =
      kind === 'import'
        ? `arn:aws:dynamodb:local:000000000000:table/${table}/import/${Date.now()}-${randomUUID().slice(0, 8)}`
        : `arn:aws:dynamodb:local:000000000000:table/${table}/bulk-operation/${randomUUID()}`;
    const op: Operation = {
      kind,
      arn,
      clientToken: token,
      inputJson: json,
      table,
      startTime: new Date(),
      status: 'IN_PROGRESS',
      processedItems: 0,
      processedBytes: 0,
      written: 0,
      errors: 0,
      cancel: false,
      input,
    };
    ops.set(arn, op);
    byToken.set(token, op);
    return op;
  };

  /** Reads every data file under the prefix into `op.table`, counting as DynamoDB would. */
  const load = async (op: Operation, bucket: string, prefix: string, errorLines: string[]): Promise<void> => {
    const keys = (await listKeys(s3, bucket, prefix)).filter((k) => k.endsWith('.json.gz'));
    for (const key of keys) {
      if (op.cancel) return;
      const file = await openDataFile(s3, bucket, key);
      const batches = async function* (): AsyncGenerator<Record<string, AttributeValue>[]> {
        for await (const lines of file.chunks) {
          const batch: Record<string, AttributeValue>[] = [];
          for (const line of lines) {
            op.processedItems++;
            op.processedBytes += Buffer.byteLength(line) + 1;
            try {
              batch.push(parseExportLine(line));
            } catch (e) {
              op.errors++;
              errorLines.push(JSON.stringify({ object: `s3://${bucket}/${key}`, error: (e as Error).message }));
            }
          }
          if (batch.length) yield batch;
          if (op.cancel) return;
        }
      };
      op.written += await writeItemBatches(dynamodb, op.table, batches(), { concurrency: 4 });
    }
  };

  const runImport = async (op: Operation, input: ImportTableCommandInput): Promise<void> => {
    const p = input.TableCreationParameters!;
    try {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: p.TableName,
          KeySchema: p.KeySchema,
          AttributeDefinitions: p.AttributeDefinitions,
          BillingMode: p.BillingMode,
          ProvisionedThroughput: p.ProvisionedThroughput,
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
        }),
      );
      await waitUntilTableExists({ client: dynamodb, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName: p.TableName });
      await load(op, input.S3BucketSource!.S3Bucket!, input.S3BucketSource!.S3KeyPrefix ?? '', []);
      op.status = 'COMPLETED';
    } catch (e) {
      op.status = 'FAILED';
      op.failureCode = (e as Error).name;
      op.failureMessage = (e as Error).message;
    }
    op.endTime = new Date();
  };

  const runBulk = async (op: Operation, input: StartBulkPutItemsCommandInput): Promise<void> => {
    const errorLines: string[] = [];
    try {
      await load(op, input.InputS3Configuration!.S3Bucket!, input.InputS3Configuration!.S3KeyPrefix ?? '', errorLines);
      op.status = op.cancel ? 'CANCELLED' : op.errors ? 'COMPLETED_WITH_ERRORS' : 'COMPLETED';
    } catch (e) {
      op.status = 'FAILED';
      op.failureCode = (e as Error).name;
      op.failureMessage = (e as Error).message;
    }
    const out = input.OutputS3Configuration!;
    if (errorLines.length) await putText(s3, out.S3Bucket!, `${out.S3KeyPrefix ?? ''}errors.jsonl`, `${errorLines.join('\n')}\n`).catch(() => undefined);
    op.endTime = new Date();
  };

  const importDescription = (op: Operation) => ({
    ImportArn: op.arn,
    ImportStatus: op.status,
    ClientToken: op.clientToken,
    TableArn: `arn:aws:dynamodb:local:000000000000:table/${op.table}`,
    StartTime: op.startTime,
    EndTime: op.endTime,
    ProcessedItemCount: op.processedItems,
    ProcessedSizeBytes: op.processedBytes,
    ImportedItemCount: op.written,
    ErrorCount: op.errors,
    CloudWatchLogGroupArn: 'arn:aws:logs:local:000000000000:log-group:/aws-dynamodb/imports:* (stand-in: no CloudWatch Logs locally)',
    FailureCode: op.failureCode,
    FailureMessage: op.failureMessage,
  });
  const bulkDescription = (op: Operation) => ({
    BulkOperationArn: op.arn,
    BulkOperationStatus: op.status,
    ClientToken: op.clientToken,
    TableDetails: [{ TableName: op.table }],
    StartTime: op.startTime,
    EndTime: op.endTime,
    ProcessedItemCount: op.processedItems,
    ProcessedInputBytes: op.processedBytes,
    FailedItemCount: op.errors,
    FailureCode: op.failureCode,
    FailureMessage: op.failureMessage,
  });

  const find = (arn: string | undefined, kind: 'import' | 'bulk'): Operation => {
    const op = arn ? ops.get(arn) : undefined;
    if (!op || op.kind !== kind) throw serviceError(kind === 'import' ? 'ImportNotFoundException' : 'ResourceNotFoundException', `no ${kind} operation ${arn}`);
    return op;
  };

  const handlers: Record<string, (input: never) => Promise<unknown>> = {
    // DynamoDB refuses to delete a table an import is still creating (it is CREATING, "in use");
    // any other DeleteTable goes on to DynamoDB Local.
    DeleteTableCommand: async (input: { TableName?: string }) => {
      if ([...ops.values()].some((op) => op.kind === 'import' && op.table === input.TableName && op.status === 'IN_PROGRESS'))
        throw serviceError('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being created: ${input.TableName}`);
      return PASS;
    },
    ImportTableCommand: async (input: ImportTableCommandInput) => {
      const table = input.TableCreationParameters!.TableName!;
      if (!byToken.has(input.ClientToken ?? '')) {
        const exists = await dynamodb.send(new DescribeTableCommand({ TableName: table })).then(
          () => true,
          () => false,
        );
        if (exists) throw serviceError('ResourceInUseException', `Table already exists: ${table}`);
      }
      const fresh = !byToken.has(input.ClientToken ?? '');
      const op = start('import', input, table);
      if (fresh) void runImport(op, input);
      return { ImportTableDescription: importDescription(op) };
    },
    DescribeImportCommand: async (input: { ImportArn?: string }) => ({ ImportTableDescription: importDescription(find(input.ImportArn, 'import')) }),
    // The imports of one table (ImportSummary: no ClientToken), oldest first; one page.
    ListImportsCommand: async (input: { TableArn?: string }) => ({
      ImportSummaryList: [...ops.values()]
        // By table name: DynamoDB Local's ARNs name its own region and account.
        .filter((op) => op.kind === 'import' && (!input.TableArn || op.table === input.TableArn.split(':table/')[1]))
        .map((op) => {
          const d = importDescription(op);
          const i = op.input as ImportTableCommandInput;
          return {
            ImportArn: d.ImportArn,
            ImportStatus: d.ImportStatus,
            TableArn: d.TableArn,
            S3BucketSource: i.S3BucketSource,
            InputFormat: i.InputFormat,
            StartTime: d.StartTime,
            EndTime: d.EndTime,
          };
        }),
    }),
    StartBulkPutItemsCommand: async (input: StartBulkPutItemsCommandInput) => {
      const fresh = !byToken.has(input.ClientToken ?? '');
      if (fresh) await dynamodb.send(new DescribeTableCommand({ TableName: input.TableName }));
      const op = start('bulk', input, input.TableName!);
      if (fresh) void runBulk(op, input);
      return { BulkOperationDescription: bulkDescription(op) };
    },
    DescribeBulkOperationCommand: async (input: { BulkOperationArn?: string }) => ({
      BulkOperationDescription: bulkDescription(find(input.BulkOperationArn, 'bulk')),
    }),
    CancelBulkOperationCommand: async (input: { BulkOperationArn?: string }) => {
      const op = find(input.BulkOperationArn, 'bulk');
      if (op.status === 'IN_PROGRESS') {
        op.cancel = true;
        op.status = 'CANCELLING';
      }
      return { BulkOperationArn: op.arn, BulkOperationStatus: op.status };
    },
  };

  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const handler = handlers[(context as { commandName?: string }).commandName ?? ''];
      if (!handler) return next(args);
      const record = () => calls.push({ command: (context as { commandName: string }).commandName.replace(/Command$/, ''), input: args.input });
      let output: unknown;
      try {
        output = await handler(args.input as never);
      } catch (e) {
        record();
        throw e;
      }
      if (output === PASS) return next(args);
      record();
      return { output: { ...(output as object), $metadata: { httpStatusCode: 200 } }, response: {} } as never;
    },
    { step: 'initialize', name: NAME, override: true },
  );
  installed++;
  standInEngines.add('import').add('bulk');
  let disposed = false;
  return {
    calls,
    dispose: () => {
      dynamodb.middlewareStack.remove(NAME);
      if (disposed) return;
      disposed = true;
      if (--installed > 0) return;
      standInEngines.delete('import');
      standInEngines.delete('bulk');
    },
  };
}
