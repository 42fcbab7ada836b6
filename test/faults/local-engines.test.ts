/**
 * Issue #23 defect 9 (the rest): `--engine import|bulk` against a local DynamoDB endpoint is
 * refused up front (no local engine has ImportTable or bulk put), before any read or write: no
 * journal, no table; the same target restores afterwards with the write engine.
 */
import { runBackup } from '../../lambda/backup/backup';
import { readJournal } from '../../lambda/restore/journal';
import { tableExists } from '../../lambda/restore/tables';
import { registerRestoreCommand } from '../../cli/restore';
import { refuseLocalEngine } from '../../cli/restore-engines';
import { installEngineStandIns } from '../../cli/drill/standins/engine-standins';
import { batchWriteAll, createTestTable } from '../support/ddb-compare';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'faults-local-engines';
const local = useLocalServers({ buckets: [bucket] });
const cli = (...args: string[]) => runCli(testProgram(registerRestoreCommand), ['--bucket', bucket, ...args]);
let ref: string;

beforeAll(async () => {
  await createTestTable(local.dynamodb, 'le_src');
  await batchWriteAll(
    local.dynamodb,
    'le_src',
    Array.from({ length: 50 }, (_, i) => ({ pk: { S: `l${i}` } })),
  );
  ref = `adhoc/${(await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables: ['le_src'], tier: 'adhoc', engine: 'scan', segments: 1 })).backupId}`;
}, 60_000);

test.each([
  ['import', /no local engine has DynamoDB's ImportTable API/],
  ['bulk', /no local engine has DynamoDB's bulk put \(StartBulkPutItems\) API/],
])('--engine %s on AWS_ENDPOINT_URL_DYNAMODB: refused naming the endpoint, nothing started; write works after', async (engine, api) => {
  const r = await cli('restore', ref, '--confirm', '--engine', engine, '--suffix', `-${engine}`);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(
    `--engine ${engine} cannot run against the local DynamoDB at ${process.env.AWS_ENDPOINT_URL_DYNAMODB} (AWS_ENDPOINT_URL_DYNAMODB)`,
  );
  expect(r.stderr).toMatch(api);
  expect(r.stderr).toMatch(/nothing was started or written/);
  expect(await readJournal(local.s3, bucket, `le_src-${engine}`)).toBeUndefined();
  expect(await tableExists(local.dynamodb, `le_src-${engine}`)).toBe(false);
  const w = await cli('restore', ref, '--confirm', '--engine', 'write', '--suffix', `-${engine}`);
  expect(w.code).toBe(0);
});

test('a named stand-in installed in this process answers import and bulk, so the refusal stands aside while it is installed (two installs: the last dispose brings the refusal back)', () => {
  const env = { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1' };
  expect(() => refuseLocalEngine('import', false, env)).toThrow(/no local engine has DynamoDB's ImportTable API/);
  const first = installEngineStandIns(local.dynamodb, local.s3);
  const second = installEngineStandIns(local.dynamodb, local.s3);
  expect(() => refuseLocalEngine('import', false, env)).not.toThrow();
  first.dispose();
  first.dispose(); // a second dispose of the same stand-in counts once
  expect(() => refuseLocalEngine('bulk', false, env)).not.toThrow();
  second.dispose();
  expect(() => refuseLocalEngine('bulk', false, env)).toThrow(/bulk put \(StartBulkPutItems\)/);
});
