/**
 * Fault (issue #23, defects 2 and 3): a restore target is one restore's, and only the table it
 * started on. Against DynamoDB Local and s3rver, with faults injected in the restore's own
 * DynamoDB client (middleware):
 * - another writer puts items of the same keys but other content while the write engine runs
 *   (what a second restore of another set does): the counts match, the content does not; the
 *   write engine compares a sample by content, like import and bulk, and never says "verified";
 * - an --into-existing restore stops part-way; the application drops the table, creates it again
 *   and writes newer items; `--resume` is refused as foreign and the newer items stay untouched.
 * (The conditional claim itself is stated, mocked, by the journal's contract test: s3rver ignores
 * S3's If-None-Match / If-Match on PUT.)
 */
import {
  AttributeValue,
  BatchWriteItemCommandInput,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { readJournal } from '../../lambda/restore/journal';
import { restoreBackupSet } from '../../lambda/restore/restore';
import { countItems, createTableFromSchema } from '../../lambda/restore/tables';
import { createDynamoDbClient } from '../../lambda/shared/clients';
import { batchWriteAll, scanAsJson } from '../support/ddb-compare';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(300_000);
const bucket = 'restore-target-faults';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;

/** A client of the restore whose BatchWriteItem requests pass through `fault` first. */
function faultyClient(fault: (input: BatchWriteItemCommandInput, call: number) => void): DynamoDBClient {
  const c = createDynamoDbClient();
  let calls = 0;
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand') fault(args.input as BatchWriteItemCommandInput, ++calls);
      return next(args);
    },
    { step: 'initialize', name: 'injectFault' },
  );
  return c;
}

async function recreate(table: string): Promise<void> {
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: table });
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
}

/** A table with 300 items, backed up, then emptied (dropped and created again) for an --into-existing restore. */
async function backedUpEmptyTable(table: string): Promise<BackupMetadata> {
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
  await batchWriteAll(dynamodb, table, makeItems(300, table));
  const md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'adhoc', engine: 'scan', segments: 2 });
  await recreate(table);
  return md;
}

beforeAll(() => {
  ({ dynamodb, s3 } = local);
});

test('a writer putting other content under the same keys during a write-engine restore: counts match, the sample does not, the target is never "verified"', async () => {
  const table = 'rt-mixed';
  const md = await backedUpEmptyTable(table);
  // Another set's version of every item: same keys, another attribute value.
  const other = faultyClient((input) => {
    for (const req of Object.values(input.RequestItems ?? {}).flat()) if (req.PutRequest?.Item) req.PutRequest.Item.note = { S: 'from another set' };
  });
  try {
    await expect(restoreBackupSet({ dynamodb: other, s3, bucket, ref: md.backupId, tables: [table], intoExisting: true })).rejects.toThrow(
      /differs from the backup in "rt-mixed"/,
    );
  } finally {
    other.destroy();
  }
  expect(await countItems(dynamodb, table)).toBe(300);
  expect((await readJournal(s3, bucket, table))?.state).not.toBe('verified');
});

test('a table dropped and created again after an interrupted --into-existing restore is foreign: --resume is refused and the newer items stay', async () => {
  const table = 'rt-recreated';
  const md = await backedUpEmptyTable(table);
  // The restore stops part-way: its second batch is refused.
  const stops = faultyClient((_input, call) => {
    if (call >= 2) throw Object.assign(new Error('injected: connection lost'), { name: 'InjectedFault', $fault: 'client' });
  });
  try {
    await expect(restoreBackupSet({ dynamodb: stops, s3, bucket, ref: md.backupId, tables: [table], intoExisting: true, concurrency: 1 })).rejects.toThrow();
  } finally {
    stops.destroy();
  }
  expect((await readJournal(s3, bucket, table))?.state).not.toBe('verified');
  // The application drops the table, creates it again and writes newer items.
  await recreate(table);
  const newer: Record<string, AttributeValue> = {
    pk: { S: `${table}#0` },
    sk: { N: '999999' },
    note: { S: 'written by the application after the restore stopped' },
  };
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: newer }));
  await expect(restoreBackupSet({ dynamodb, s3, bucket, ref: md.backupId, tables: [table], intoExisting: true, resume: true })).rejects.toThrow(
    /is not the table the restore of .* started on .*dropped and created again since and may hold newer data, so nothing was written/,
  );
  const left = await scanAsJson(dynamodb, table, (i) => JSON.stringify([i.pk, i.sk]));
  expect([...left.values()]).toEqual([{ pk: { S: `${table}#0` }, sk: { N: '999999' }, note: { S: 'written by the application after the restore stopped' } }]);
});
