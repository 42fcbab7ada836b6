/**
 * Fault: a `dr restore` killed mid-way (kill -9 of the CLI process), for a new table and for
 * --into-existing, against DynamoDB Local and s3rver. The killed target is unfinished (its journal
 * says so), a rerun without --resume is refused saying so (exit 1, nothing written), a resume for
 * another backup set is refused with the fix, and `--resume` finishes it: the result is compared
 * item by item with the source.
 *
 * The CLI runs as a child process (node --import tsx bin/dr.ts), so the kill is a real SIGKILL of
 * a process in the middle of its writes, not an exception. It reaches the servers through the
 * fault proxy (test/support/fault-proxy.ts), which stops it at a chosen journal write before the kill.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { AttributeValue, DeleteTableCommand, DynamoDBClient, waitUntilTableNotExists } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { runBackup } from '../../lambda/backup/backup';
import type { BackupMetadata } from '../../lambda/format/backup-set';
import { journalKey, readJournal, RestoreJournalRecord } from '../../lambda/restore/journal';
import { countItems, createTableFromSchema, tableExists } from '../../lambda/restore/tables';
import { registerListCommand } from '../../cli/list';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll, normalizeSets, scanAsJson } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(300_000);

const bucket = 'restore-resume-faults';
const local = useLocalServers({ buckets: [bucket] });
// The kill point is an event (the journal write recording two files done), not a race, so the
// table only needs more files than that: 1,500 items make ~16 files of 24 KB (6,000 did when the
// kill raced a poll of the journal).
const ITEMS = 1500;
const SOURCE = 'resume-src';
const LIVE = 'resume-live';
const ROOT = path.resolve(__dirname, '..', '..');
const keyOf = (i: Record<string, unknown>) => JSON.stringify([i.pk, i.sk]);

let dynamodb: DynamoDBClient;
let s3: S3Client;
let set: BackupMetadata;
let other: BackupMetadata;
/** The live table's items as backed up, as DynamoDB JSON, by key. */
let liveItems: Map<string, Record<string, unknown>>;

beforeAll(async () => {
  ({ dynamodb, s3 } = local);
  for (const [table, tag] of [
    [SOURCE, 'src'],
    [LIVE, 'live'],
  ]) {
    await createTableFromSchema(dynamodb, table, FIXTURE_SCHEMA);
    await batchWriteAll(dynamodb, table, makeItems(ITEMS, tag) as Record<string, AttributeValue>[]);
  }
  // Small data files: the restore marks one done every ~100 items, so a kill lands between two.
  const backup = (hour: number, tables: string[]) =>
    runBackup({
      dynamodb,
      s3,
      bucket,
      tables,
      tier: 'daily',
      engine: 'scan',
      now: new Date(Date.UTC(2026, 10, 20, hour)),
      segments: 4,
      maxFileBytes: 24 * 1024,
    });
  set = await backup(2, [SOURCE, LIVE]);
  other = await backup(3, [LIVE]);
  expect(set.tableDetails[SOURCE].files.length).toBeGreaterThanOrEqual(8);
  liveItems = await scanAsJson(dynamodb, LIVE, keyOf);
  // The live table is lost: an empty one with the same keys takes its place.
  await dynamodb.send(new DeleteTableCommand({ TableName: LIVE }));
  await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: LIVE });
  await createTableFromSchema(dynamodb, LIVE, FIXTURE_SCHEMA);
});

/** `dr restore` as a child process reaching the servers through `endpoints`; `ended` resolves when it ends. */
function spawnRestore(
  args: string[],
  endpoints: Record<string, string>,
): { child: ChildProcess; ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin', 'dr.ts'), 'restore', ...args, '--bucket', bucket], {
    cwd: ROOT,
    env: { ...process.env, ...local.env, ...endpoints, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, ended };
}

const doneParts = (journalJson: string): number => (JSON.parse(journalJson) as RestoreJournalRecord).parts.filter((p) => p.done).length;

/**
 * Starts the restore behind the fault proxy and stops the world at the first journal write that
 * records two data files done: that write reaches S3, every later request of the child is held,
 * then the child is SIGKILLed and the test waits until nothing it sent is still on its way. No
 * clock is involved: the kill lands at the same point on a fast machine and a slow one.
 * Returns the journal as the killed process left it.
 */
async function killMidRestore(args: string[], target: string): Promise<RestoreJournalRecord> {
  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  try {
    const twoDone = proxy.rule(
      { service: 's3', method: 'PUT', path: new RegExp(`/${journalKey(target).replace('.', '\\.')}(\\?|$)`), body: (b) => doneParts(b) >= 2 },
      { kind: 'pass' },
      { freeze: true },
    );
    const { child, ended } = spawnRestore(args, proxy.env);
    const first = await Promise.race([twoDone.answered.then(() => 'frozen' as const), ended]);
    if (first !== 'frozen') throw new Error(`dr restore ended before its journal recorded two files done: ${first.stderr}`);
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    await proxy.settled();
  } finally {
    await proxy.close();
  }
  const journal = (await readJournal(s3, bucket, target))!;
  expect(journal.backupId).toBe(set.backupId);
  const done = journal.parts.filter((p) => p.done).length;
  expect(done).toBeGreaterThanOrEqual(2);
  expect(done).toBeLessThan(journal.parts.length);
  return journal;
}

/** Every item of `table` equals the expected items (DynamoDB JSON, sets in any order). */
async function expectItemExact(table: string, expected: Map<string, Record<string, unknown>>): Promise<void> {
  const actual = await scanAsJson(dynamodb, table, keyOf);
  expect(actual.size).toBe(expected.size);
  for (const [key, item] of expected) expect(normalizeSets(actual.get(key))).toEqual(normalizeSets(item));
}

const restoreCli = () => testProgram(registerRestoreCommand, registerListCommand);

test('kill -9 mid-restore into a new table: unfinished, refused without --resume, finished item-exact with --resume', async () => {
  const target = `${SOURCE}-k`;
  const args = [set.backupId, '--tables', SOURCE, '--suffix', '-k', '--concurrency', '1'];
  const killed = await killMidRestore([...args, '--confirm'], target);
  expect(killed.state).toBe('unfinished');
  const doneAtKill = killed.parts.filter((p) => p.done);
  const partial = await countItems(dynamodb, target);
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(ITEMS);

  // Without --resume: refused as unfinished (not "already exists"), nothing written.
  const refused = await runCli(restoreCli(), ['restore', ...args, '--confirm', '--bucket', bucket]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(
    new RegExp(`table "${target}" is an unfinished restore of backup set ${set.backupId} \\(${doneAtKill.length} of ${killed.parts.length} parts done`),
  );
  expect(refused.stderr).toMatch(/it was never verified, so it is not a restored table; rerun with --resume to continue it, or delete it/);
  expect(await countItems(dynamodb, target)).toBe(partial);

  // dr list shows it as unfinished, never as restored.
  const list = await runCli(restoreCli(), ['list', '--bucket', bucket]);
  expect(list.stdout).toMatch(new RegExp(`unfinished restores[^\\n]*\\n[^]*${target}\\s+${SOURCE}\\s+daily/${set.backupId}\\s+unfinished`));

  // The plan says what --resume will do.
  const plan = await runCli(restoreCli(), ['restore', ...args, '--resume', '--bucket', bucket]);
  expect(plan.stdout).toMatch(new RegExp(`${target}\\s+${ITEMS}\\s+resume unfinished \\(${doneAtKill.length}/${killed.parts.length} files`));

  const resumed = await runCli(restoreCli(), ['restore', ...args, '--resume', '--confirm', '--bucket', bucket]);
  expect({ code: resumed.code, stderr: resumed.code ? resumed.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect(resumed.stdout).toMatch(new RegExp(`restored backup set daily/${set.backupId}`));
  await expectItemExact(target, await scanAsJson(dynamodb, SOURCE, keyOf));
  const after = (await readJournal(s3, bucket, target))!;
  expect(after).toMatchObject({ state: 'verified', verifiedItems: ITEMS, runs: 2, startedAt: killed.startedAt });
  // The files done before the kill were skipped, not written again: their journal entries are untouched.
  for (const p of doneAtKill) expect(after.parts.find((q) => q.id === p.id)).toEqual(p);
  expect(after.parts.every((p) => p.done)).toBe(true);
});

test('kill -9 mid-restore --into-existing: the non-empty target passes only with --resume for the same set, then item-exact', async () => {
  const args = [set.backupId, '--tables', LIVE, '--into-existing', '--concurrency', '1'];
  const killed = await killMidRestore([...args, '--confirm'], LIVE);
  expect(killed).toMatchObject({ state: 'unfinished', intoExisting: true });
  const partial = await countItems(dynamodb, LIVE);
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(ITEMS);

  const refused = await runCli(restoreCli(), ['restore', ...args, '--confirm', '--bucket', bucket]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(new RegExp(`table "${LIVE}" is an unfinished restore of backup set ${set.backupId}`));
  expect(refused.stderr).toMatch(/rerun with --resume to continue it, or empty it/);

  // Resuming with another backup set is refused with the fix, nothing written.
  const wrongSet = await runCli(restoreCli(), ['restore', other.backupId, '--tables', LIVE, '--into-existing', '--resume', '--confirm', '--bucket', bucket]);
  expect(wrongSet.code).toBe(1);
  expect(wrongSet.stderr).toMatch(
    new RegExp(
      `"${LIVE}" holds an unfinished restore of backup set ${set.backupId} \\(table "${LIVE}"\\), not of ${other.backupId}.*"dr restore ${set.backupId} --resume --into-existing"`,
    ),
  );
  expect(await countItems(dynamodb, LIVE)).toBe(partial);

  const resumed = await runCli(restoreCli(), ['restore', ...args, '--resume', '--confirm', '--bucket', bucket]);
  expect({ code: resumed.code, stderr: resumed.code ? resumed.stderr : '' }).toEqual({ code: 0, stderr: '' });
  await expectItemExact(LIVE, liveItems);
  expect(await readJournal(s3, bucket, LIVE)).toMatchObject({ state: 'verified', verifiedItems: ITEMS, runs: 2 });
  // Verified: the same restore again is refused as "not empty" (nothing left to resume).
  const again = await runCli(restoreCli(), ['restore', ...args, '--resume', '--confirm', '--bucket', bucket]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/"resume-live" is not empty \(--resume: no unfinished restore is recorded for it\)/);
  expect(await tableExists(dynamodb, LIVE)).toBe(true);
});
