/**
 * Fault (issue #23, defect 2, at the CLI): two `dr restore` runs aimed at one target while the
 * first is writing. Restore A runs as a child through the fault proxy, which holds its first
 * BatchWriteItem: A has claimed the target (its journal says `unfinished`) but the table is still
 * empty. Restore B then runs in this process against the servers directly.
 * - `--into-existing` with another set: on the old code B found an empty table and wrote, and both
 *   runs printed "verified" over a table mixing two sets. B is refused; A finishes item-exact.
 * - new-table mode, same set and suffix: on the old code B told the operator to resume or delete
 *   the table A was still writing. B's refusal now says the restore may still be running and that
 *   a table another restore writes must not be resumed or deleted.
 * (Two claims at the same instant are decided by S3's conditional PUT: the journal's contract
 * test, mocked, since s3rver ignores If-None-Match / If-Match.)
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteTableCommand, waitUntilTableNotExists } from '@aws-sdk/client-dynamodb';
import { runBackup } from '../../lambda/backup/backup';
import { readJournal } from '../../lambda/restore/journal';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll, createTestTable, scanAsJson } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'faults-restore-exclusive';
const local = useLocalServers({ buckets: [bucket] });
const ROOT = path.resolve(__dirname, '..', '..');

/** `count` items whose `v` says which set they belong to. */
const items = (count: number, v: string): Record<string, AttributeValue>[] => Array.from({ length: count }, (_, i) => ({ pk: { S: `k${i}` }, v: { S: v } }));

/** The table's items as `pk -> v`. */
async function contents(table: string): Promise<Map<string, string>> {
  const got = await scanAsJson(local.dynamodb, table, (i) => String((i.pk as { S: string }).S));
  return new Map([...got.entries()].map(([k, item]) => [k, String((item.v as { S: string }).S)]));
}

/**
 * Runs `dr restore <args>` as a child through a fault proxy holding its first BatchWriteItem;
 * `whileHeld` runs once that request is held, then the request is released and the child's exit
 * code returned.
 */
async function withRestoreHeld(args: string[], whileHeld: () => Promise<void>): Promise<{ code: number | null; stderr: string }> {
  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  let stderr = '';
  try {
    const write = proxy.rule({ service: 'dynamodb', operation: 'BatchWriteItem' }, { kind: 'hold' });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin', 'dr.ts'), 'restore', ...args, '--confirm', '--bucket', bucket], {
      cwd: ROOT,
      env: { ...process.env, ...local.env, ...proxy.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const first = await Promise.race([write.arrived.then(() => 'held' as const), ended.then(() => 'ended' as const)]);
    if (first !== 'held') throw new Error(`dr restore ended before it wrote: ${stderr}`);
    try {
      await whileHeld();
    } finally {
      write.release();
    }
    return { code: await ended, stderr };
  } finally {
    await proxy.close();
  }
}

const restoreCli = () => testProgram(registerRestoreCommand);

test('--into-existing restores of two sets into one table: the second is refused while the first writes; the first finishes item-exact and alone', async () => {
  const table = 'excl_live';
  await createTestTable(local.dynamodb, table);
  await batchWriteAll(local.dynamodb, table, items(120, 'set-x'));
  const x = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: [table], tier: 'adhoc', engine: 'scan', segments: 1 });
  await batchWriteAll(local.dynamodb, table, items(150, 'set-y'));
  const y = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: [table], tier: 'adhoc', engine: 'scan', segments: 1 });
  await local.dynamodb.send(new DeleteTableCommand({ TableName: table }));
  await waitUntilTableNotExists({ client: local.dynamodb, maxWaitTime: 60 }, { TableName: table });
  await createTestTable(local.dynamodb, table);

  let second = { code: 0, stderr: '' };
  const first = await withRestoreHeld([`adhoc/${x.backupId}`, '--tables', table, '--into-existing'], async () => {
    second = await runCli(restoreCli(), ['--bucket', bucket, 'restore', `adhoc/${y.backupId}`, '--tables', table, '--into-existing', '--confirm']);
  });

  expect(second.code).not.toBe(0);
  expect(second.stderr).toMatch(
    new RegExp(
      `"${table}" holds an unfinished restore of backup set ${x.backupId} \\(table "${table}"\\), not of ${y.backupId} \\("${table}"\\): nothing was written`,
    ),
  );
  expect(second.stderr).toMatch(/if that restore is still running, let it finish first .*never resume or delete a table another restore is writing/);
  expect(first.code).toBe(0);
  const got = await contents(table);
  expect(got.size).toBe(120);
  expect(new Set(got.values())).toEqual(new Set(['set-x']));
  expect(await readJournal(local.s3, bucket, table)).toMatchObject({ state: 'verified', backupId: x.backupId, runs: 1 });
});

test('new-table mode, a second restore of the same target while the first writes: refused, and told not to resume or delete the table being written', async () => {
  const source = 'excl_src';
  const target = `${source}-ex`;
  await createTestTable(local.dynamodb, source);
  await batchWriteAll(local.dynamodb, source, items(80, 'set-x'));
  const x = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: [source], tier: 'adhoc', engine: 'scan', segments: 1 });

  let second = { code: 0, stderr: '' };
  const first = await withRestoreHeld([`adhoc/${x.backupId}`, '--tables', source, '--suffix', '-ex'], async () => {
    second = await runCli(restoreCli(), ['--bucket', bucket, 'restore', `adhoc/${x.backupId}`, '--tables', source, '--suffix', '-ex', '--confirm']);
  });

  expect(second.code).not.toBe(0);
  expect(second.stderr).toMatch(new RegExp(`"${target}" is an unfinished restore of backup set ${x.backupId} .*it was never verified`));
  expect(second.stderr).toMatch(
    /Its journal was last written at \d{4}-\d\d-\d\dT[\d:.]+Z \(run 1\): if that restore is still running, let it finish first \("dr list" shows its progress\); never resume or delete a table another restore is writing/,
  );
  expect(first.code).toBe(0);
  expect((await contents(target)).size).toBe(80);
  expect(await readJournal(local.s3, bucket, target)).toMatchObject({ state: 'verified', runs: 1 });
});
