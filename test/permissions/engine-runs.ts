/**
 * `dr restore --engine import` and `--engine bulk` as the operator runs them (the restore
 * command's own code: registerRestoreCommand through runCli), recorded for the permissions proof
 * (issue 18). The reads of the backup set, the journal, the target table's re-applied settings,
 * the count and the sample go to DynamoDB Local and s3rver and are recorded as sent; the import
 * and bulk put APIs (no emulator has them) are mocked with aws-sdk-client-mock on the DynamoDB
 * client class, answered by the drill's stand-in (cli/drill/standins/engine-standins.ts), and
 * recorded from the mock. The stand-in's own work (creating and filling the table) is DynamoDB's
 * work, not the caller's: it runs outside the recorder's labels.
 *
 * The buckets carry their deployed names (backup bucket in the primary region, replica in the
 * recovery region), so every recorded request maps to the deployed ARNs.
 */
import {
  AttributeValue,
  CancelBulkOperationCommand,
  DeleteTableCommand,
  DescribeBulkOperationCommand,
  DescribeImportCommand,
  DynamoDBClient,
  ImportTableCommand,
  ListImportsCommand,
  StartBulkPutItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createConfigTable } from '../../cli/drill/environment';
import { installEngineStandIns } from '../../cli/drill/standins/engine-standins';
import { registerRestoreCommand } from '../../cli/restore';
import { runBackup } from '../../lambda/backup/backup';
import { createDynamoDbClient } from '../../lambda/shared/clients';
import { backupBucketName, replicaBucketName, type DrConfig } from '../../lib/config';
import { batchWriteAll } from '../support/ddb-compare';
import { runCli, testProgram, type CliRun } from '../support/run-cli';
import type { LocalServerContext } from '../support/use-local-servers';
import type { Recorder, SdkCall } from './recorder';

/** The engine APIs the mock answers (through the stand-in); everything else goes to DynamoDB Local. */
const ENGINE_COMMANDS = [
  ImportTableCommand,
  DescribeImportCommand,
  ListImportsCommand,
  StartBulkPutItemsCommand,
  DescribeBulkOperationCommand,
  CancelBulkOperationCommand,
] as const;
const ENGINE_NAMES = new Set<string>(ENGINE_COMMANDS.map((c) => c.name));

/** The table the runs restore: orders (a GSI), a few dozen items. */
export const ENGINE_TABLE = 'orders';
export const ENGINE_ITEMS = 60;

/** One recorded run. */
export interface EngineRun {
  readonly engine: 'import' | 'bulk';
  readonly region: string;
  readonly bucket: string;
  /** Label of its recorded calls. */
  readonly who: string;
  readonly cli: CliRun;
}

const itemsOfOrders = (): Record<string, AttributeValue>[] =>
  Array.from({ length: ENGINE_ITEMS }, (_, i) => ({
    orderId: { S: `o-${i}` },
    customerId: { S: `c-${i % 7}` },
    createdAt: { S: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z` },
    total: { N: String(10 + i) },
  }));

/** The backup set (scan engine) of `orders` in the backup bucket, replicated to the replica bucket (set-up: not recorded). */
export async function engineSetUp(local: LocalServerContext, config: DrConfig, account: string): Promise<{ backup: string; replica: string }> {
  const backup = backupBucketName(config, account);
  const replica = replicaBucketName(config, account);
  for (const b of [backup, replica]) await local.s3.send(new CreateBucketCommand({ Bucket: b }));
  const table = config.tables.find((t) => t.name === ENGINE_TABLE)!;
  await createConfigTable(local.dynamodb, table, ENGINE_TABLE);
  await batchWriteAll(local.dynamodb, ENGINE_TABLE, itemsOfOrders());
  await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket: backup, tables: [ENGINE_TABLE], tier: 'daily', engine: 'scan' });
  const listed = await local.s3.send(new ListObjectsV2Command({ Bucket: backup, Prefix: 'backups/' }));
  for (const o of listed.Contents ?? []) await local.s3.send(new CopyObjectCommand({ Bucket: replica, Key: o.Key!, CopySource: `${backup}/${o.Key}` }));
  return { backup, replica };
}

/** An empty `orders` (what --into-existing needs), made as set-up. */
async function emptyOrders(local: LocalServerContext, config: DrConfig): Promise<void> {
  await local.dynamodb.send(new DeleteTableCommand({ TableName: ENGINE_TABLE })).catch(() => undefined);
  await createConfigTable(
    local.dynamodb,
    config.tables.find((t) => t.name === ENGINE_TABLE)!,
    ENGINE_TABLE,
  );
}

/**
 * Runs `dr restore latest --engine <engine>` in `region` from `bucket` with the import / bulk put
 * APIs mocked; the CLI's requests are recorded under `who`, the mocked ones from the mock.
 * Import creates `orders<suffix>`; bulk writes into an emptied `orders` (--into-existing).
 */
export async function runEngineRestore(
  local: LocalServerContext,
  recorder: Recorder,
  config: DrConfig,
  run: { engine: 'import' | 'bulk'; region: string; bucket: string; who: string; suffix?: string },
): Promise<EngineRun> {
  if (run.engine === 'bulk') await emptyOrders(local, config);
  // The stand-in plays DynamoDB in the run's region (its own client: its work is not the caller's).
  const dynamodbItself = createDynamoDbClient({ region: run.region });
  const standIn = installEngineStandIns(dynamodbItself, local.s3);
  const ddb = mockClient(DynamoDBClient);
  const realSend = () => Object.getPrototypeOf(DynamoDBClient.prototype).send as (this: DynamoDBClient, command: unknown) => Promise<unknown>;
  // Every other command goes on to DynamoDB Local through the client that sent it (its region, its label).
  ddb.send.callsFake(function (this: DynamoDBClient, command: unknown) {
    return realSend().call(this, command) as Promise<never>;
  });
  for (const Command of ENGINE_COMMANDS)
    ddb
      .on(Command as never)
      .callsFake((input: object) => recorder.outside(() => realSend().call(dynamodbItself, new (Command as new (i: object) => object)(input))));
  try {
    const target = run.engine === 'import' ? ['--suffix', run.suffix ?? '-restored'] : ['--into-existing'];
    const args = ['restore', 'latest', '--bucket', run.bucket, '--region', run.region, '--tables', ENGINE_TABLE, ...target];
    const cli = await recorder.as(run.who, () =>
      runCli(testProgram(registerRestoreCommand), [...args, '--engine', run.engine, '--poll-seconds', '0.05', '--confirm', '--json']),
    );
    const mocked = ddb.calls().filter((c) => ENGINE_NAMES.has((c.args[0] as object).constructor.name) && c.thisValue !== dynamodbItself);
    await recorder.recordMocked({ calls: () => mocked }, run.who);
    return { ...run, cli };
  } finally {
    ddb.restore();
    standIn.dispose();
    dynamodbItself.destroy();
  }
}

/** The engine API calls of a run's label (what the mock answered). */
export const engineCallsOf = (calls: readonly SdkCall[], who: string) => calls.filter((c) => c.who === who && ENGINE_NAMES.has(`${c.operation}Command`));
