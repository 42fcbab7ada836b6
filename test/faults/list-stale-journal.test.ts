/**
 * Fault (issue #23, row 2 of docs/faults.md): `dr list` judges each unfinished table journal
 * against the live table, as `dr restore` would, and prints only commands that the restore then
 * accepts. Against DynamoDB Local and s3rver; the restore is interrupted by its own client
 * refusing its second BatchWriteItem (middleware), then the table is left, dropped, or dropped and
 * created again before `dr list` runs:
 * - the same table: listed unfinished, "checked", and the printed --resume command finishes it;
 * - dropped and created again: stale, nothing to resume, no resume command (the old `dr list`
 *   listed it as an unfinished restore whose --resume would be refused as foreign);
 * - dropped: "no longer exists", and the printed command restores it again;
 * - listed from another region, or a journal that does not record its region: "not checked".
 */
import { BatchWriteItemCommandInput, DeleteTableCommand, DynamoDBClient, PutItemCommand, waitUntilTableNotExists } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { registerListCommand } from '../../cli/list';
import { registerRestoreCommand } from '../../cli/restore';
import { runBackup } from '../../lambda/backup/backup';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { journalKey, readJournal } from '../../lambda/restore/journal';
import { restoreBackupSet } from '../../lambda/restore/restore';
import { countItems, createTableFromSchema } from '../../lambda/restore/tables';
import { createDynamoDbClient } from '../../lambda/shared/clients';
import { batchWriteAll } from '../support/ddb-compare';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { runCli, testProgram, type CliRun } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);
const bucket = 'list-stale-journal';
const local = useLocalServers({ buckets: [bucket] });
let dynamodb: DynamoDBClient;
let s3: S3Client;
let region: string;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  region = await dynamodb.config.region();
});

/** A client of the restore that refuses its second BatchWriteItem and every one after: the restore stops part-way. */
function stoppingClient(): DynamoDBClient {
  const c = createDynamoDbClient();
  let calls = 0;
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand' && ++calls >= 2)
        throw Object.assign(new Error('injected: connection lost'), {
          name: 'InjectedFault',
          $fault: 'client',
          input: args.input as BatchWriteItemCommandInput,
        });
      return next(args);
    },
    { step: 'initialize', name: 'stopRestore' },
  );
  return c;
}

async function drop(table: string): Promise<void> {
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: table });
}

/** A backed-up table of 100 items, and a restore of it into `<table>-restored` stopped after its first batch. */
async function interruptedRestore(table: string): Promise<BackupMetadata> {
  await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
  await batchWriteAll(dynamodb, table, makeItems(100, table));
  const md = await runBackup({ dynamodb, s3, bucket, tables: [table], tier: 'adhoc', engine: 'scan', segments: 1 });
  const stops = stoppingClient();
  try {
    await expect(restoreBackupSet({ dynamodb: stops, s3, bucket, ref: md.backupId, tables: [table], concurrency: 1 })).rejects.toThrow();
  } finally {
    stops.destroy();
  }
  expect(await readJournal(s3, bucket, `${table}-restored`)).toMatchObject({ state: expect.not.stringMatching(/^verified$/), targetRegion: region });
  return md;
}

const dr = (...args: string[]): Promise<CliRun> => runCli(testProgram(registerListCommand, registerRestoreCommand), args);
const list = (...extra: string[]) => dr('list', '--bucket', bucket, '--region', region, ...extra);

/** The `dr restore ...` line printed for `target`, as argv (single-quoted words unquoted). */
function printedCommand(stdout: string, target: string): string[] {
  const line = stdout.split('\n').find((l) => l.includes(`dr restore `) && l.includes(`--tables ${target.replace(/-restored$/, '')} `));
  if (!line) throw new Error(`no dr restore command for "${target}" in:\n${stdout}`);
  const words = [...line.slice(line.indexOf('dr restore ') + 3).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
  return words;
}

test('the table the restore started on: listed unfinished and checked, and the printed --resume command finishes it', async () => {
  const md = await interruptedRestore('ls-same');
  const listed = await list();
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(/ls-same-restored\s+ls-same\s+adhoc\/\S+\s+failed\s+.*checked: same table/);
  const command = printedCommand(listed.stdout, 'ls-same-restored');
  expect(command).toEqual([
    'restore',
    `adhoc/${md.backupId}`,
    '--resume',
    '--tables',
    'ls-same',
    '--suffix',
    '-restored',
    '--confirm',
    '--bucket',
    bucket,
    '--region',
    region,
  ]);
  const resumed = await dr(...command);
  expect({ code: resumed.code, stderr: resumed.stderr }).toMatchObject({ code: 0 });
  expect(await countItems(dynamodb, 'ls-same-restored')).toBe(100);
  expect((await readJournal(s3, bucket, 'ls-same-restored'))?.state).toBe('verified');
});

test('a table dropped and created again since: stale, nothing to resume, and no resume command for it', async () => {
  await interruptedRestore('ls-recreated');
  await drop('ls-recreated-restored');
  await createTableFromSchema(dynamodb, 'ls-recreated-restored', FIXTURE_SCHEMA);
  await dynamodb.send(new PutItemCommand({ TableName: 'ls-recreated-restored', Item: { pk: { S: 'newer' }, sk: { N: '1' } } }));
  const listed = await list();
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(
    /"ls-recreated-restored" \(restore of adhoc\/\S+\): stale: the table was dropped and created again since \(the restore started on created .*; the table now: created .*\), so its items are not this restore's; nothing to resume/,
  );
  expect(listed.stdout).not.toMatch(/--resume --tables ls-recreated /);
  expect(listed.stdout).not.toMatch(/ls-recreated-restored\s+ls-recreated\s+adhoc/);
});

test('a target table dropped since: "no longer exists", and the printed command restores it again', async () => {
  await interruptedRestore('ls-dropped');
  await drop('ls-dropped-restored');
  const listed = await list();
  expect(listed.stdout).toMatch(
    new RegExp(`"ls-dropped-restored" \\(restore of adhoc/\\S+\\): the target table no longer exists in ${region}; nothing to resume: restore again:`),
  );
  const command = printedCommand(listed.stdout, 'ls-dropped-restored');
  expect(command).not.toContain('--resume');
  const again = await dr(...command);
  expect({ code: again.code, stderr: again.stderr }).toMatchObject({ code: 0 });
  expect(await countItems(dynamodb, 'ls-dropped-restored')).toBe(100);
});

test('listed from another region than the table: kept among the unfinished, "not checked", naming both regions', async () => {
  await interruptedRestore('ls-elsewhere');
  const listed = await dr('list', '--bucket', bucket, '--region', 'eu-north-1');
  expect(listed.stdout).toMatch(/ls-elsewhere-restored\s+ls-elsewhere\s+.*not checked/);
  expect(listed.stdout).toContain(
    `"ls-elsewhere-restored": not checked against the live table: its table is in ${region} and this list looked in eu-north-1: rerun dr list with --region ${region}`,
  );
});

test('a journal written before the region was recorded: kept among the unfinished, "not checked", saying why', async () => {
  await interruptedRestore('ls-old');
  const old = { ...(await readJournal(s3, bucket, 'ls-old-restored'))!, targetRegion: undefined };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: journalKey('ls-old-restored'), Body: JSON.stringify(old) }));
  const listed = await list();
  expect(listed.stdout).toContain('"ls-old-restored": not checked against the live table: the journal does not record the table region');
});
