/**
 * Issue #23 defect 13: Ctrl-C during a write-engine `dr restore` says in one line which targets
 * are left unfinished, where their journals are, and the exact command that resumes; it exits 130
 * and the journal stays resumable (on the old code the process died silently by the signal).
 *
 * The CLI runs as a child through the fault proxy, which holds the restore's first BatchWriteItem:
 * SIGINT is sent by PID while that request is held, so it lands mid-data on any machine.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { runBackup } from '../../lambda/backup/backup';
import { readJournal } from '../../lambda/restore/journal';
import { countItems } from '../../lambda/restore/tables';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { startFaultProxy } from '../support/fault-proxy';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

jest.setTimeout(120_000);

const bucket = 'faults-restore-ctrl-c';
const local = useLocalServers({ buckets: [bucket] });
const ROOT = path.resolve(__dirname, '..', '..');
const SOURCE = 'ctrlc_src';
const TARGET = `${SOURCE}-cc`;

test('Ctrl-C mid-data: one line names the target, its journal and the resume command; exit 130; --resume finishes', async () => {
  await createTestTable(local.dynamodb, SOURCE);
  await batchWriteAll(
    local.dynamodb,
    SOURCE,
    Array.from({ length: 200 }, (_, i) => ({ pk: { S: `k${i}` } })),
  );
  const set = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: [SOURCE], tier: 'adhoc', engine: 'scan', segments: 2 });
  const ref = `adhoc/${set.backupId}`;

  const proxy = await startFaultProxy({ dynamodb: local.servers.dynamodbEndpoint, s3: local.servers.s3Endpoint });
  let stderr = '';
  let code: number | null = null;
  try {
    const write = proxy.rule({ service: 'dynamodb', operation: 'BatchWriteItem' }, { kind: 'hold' });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bin', 'dr.ts'), 'restore', ref, '--confirm', '--suffix', '-cc', '--bucket', bucket],
      { cwd: ROOT, env: { ...process.env, ...local.env, ...proxy.env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const first = await Promise.race([write.arrived.then(() => 'held' as const), ended.then(() => 'ended' as const)]);
    if (first !== 'held') throw new Error(`dr restore ended before it wrote: ${stderr}`);
    process.kill(child.pid!, 'SIGINT');
    code = await ended;
    await proxy.settled();
  } finally {
    await proxy.close();
  }
  expect(code).toBe(130);
  expect(stderr).toContain(
    `Ctrl-C: restore stopped; "${TARGET}" (journal s3://${bucket}/restores/${TARGET}.json) unfinished (never verified, not restored); resume with: dr restore ${ref} --resume --tables ${SOURCE} --suffix "-cc" --confirm`,
  );
  expect((await readJournal(local.s3, bucket, TARGET))?.state).toBe('unfinished');

  const r = await runCli(testProgram(registerRestoreCommand), [
    '--bucket',
    bucket,
    'restore',
    ref,
    '--resume',
    '--tables',
    SOURCE,
    '--suffix',
    '-cc',
    '--confirm',
  ]);
  expect(r.code).toBe(0);
  expect(await countItems(local.dynamodb, TARGET)).toBe(200);
  expect((await readJournal(local.s3, bucket, TARGET))?.state).toBe('verified');
});
