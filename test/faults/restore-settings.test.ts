/**
 * Issue #23 defect 5: a restore killed after its data was written but before the table's settings
 * (TTL, tags, PITR, deletion protection) leaves a journal with every part done and the restore
 * unfinished; `--resume` goes on into the settings, so TTL is on and the table protected.
 *
 * The CLI runs as a child process through the fault proxy, which holds the restore's first
 * UpdateTimeToLive (the first settings call): the child is killed by its PID while that request
 * is held, so the kill lands between the data and the settings on any machine.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { runBackup } from '../../lambda/backup/backup';
import { readJournal } from '../../lambda/restore/journal';
import { countItems, createTableFromSchema } from '../../lambda/restore/tables';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { FIXTURE_SCHEMA, makeItems } from '../support/native-export-fixture';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(180_000);

const bucket = 'faults-restore-settings';
const local = useLocalServers({ buckets: [bucket] });
const ROOT = path.resolve(__dirname, '..', '..');
const SOURCE = 'settings_src';
const TARGET = `${SOURCE}-restored`;

test('killed after the data, before TTL: the journal says unfinished with every file done; --resume turns TTL and deletion protection on', async () => {
  await createTableFromSchema(local.dynamodb, SOURCE, FIXTURE_SCHEMA);
  await batchWriteAll(local.dynamodb, SOURCE, makeItems(300, 'set'));
  const set = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: [SOURCE], tier: 'adhoc', engine: 'scan', segments: 2 });
  expect(set.tableDetails[SOURCE].schema.ttlAttribute).toBe('ttl');

  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  try {
    const ttl = proxy.rule({ service: 'dynamodb', operation: 'UpdateTimeToLive' }, { kind: 'hold' });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bin', 'dr.ts'), 'restore', `adhoc/${set.backupId}`, '--confirm', '--bucket', bucket],
      {
        cwd: ROOT,
        env: { ...process.env, ...local.env, ...proxy.env, NODE_NO_WARNINGS: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const first = await Promise.race([ttl.arrived.then(() => 'held' as const), ended.then(() => 'ended' as const)]);
    if (first !== 'held') throw new Error(`dr restore ended before it set TTL: ${stderr}`);
    child.kill('SIGKILL');
    expect(await ended).toBe('SIGKILL');
    await proxy.settled();
  } finally {
    await proxy.close();
  }

  const killed = await readJournal(local.s3, bucket, TARGET);
  expect(killed?.state).toBe('unfinished');
  expect(killed?.parts.every((p) => p.done)).toBe(true);
  expect(await countItems(local.dynamodb, TARGET)).toBe(300);
  const ttlOf = async () => (await local.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: TARGET }))).TimeToLiveDescription?.TimeToLiveStatus;
  expect(await ttlOf()).toBe('DISABLED');

  const r = await runCli(testProgram(registerRestoreCommand), ['--bucket', bucket, 'restore', `adhoc/${set.backupId}`, '--confirm', '--resume']);
  expect(r.stderr).not.toMatch(/FAILED/);
  expect(r.code).toBe(0);
  expect(await ttlOf()).toBe('ENABLED');
  expect((await local.dynamodb.send(new DescribeTableCommand({ TableName: TARGET }))).Table?.DeletionProtectionEnabled).toBe(true);
  expect((await readJournal(local.s3, bucket, TARGET))?.state).toBe('verified');
});
