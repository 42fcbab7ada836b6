/**
 * Issue #23 defect 10: forged but internally consistent sets (checksums and counts right) whose
 * items DynamoDB cannot store. `dr validate` names the file, the line and the item; the restore
 * stops before that item's batch is sent, the journal records a data failure, and `--resume`
 * refuses instead of pretending a rerun could pass it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { registerRestoreCommand } from '../../cli/restore';
import { registerValidateCommand } from '../../cli/validate';
import { getJson } from '../../lambda/store/s3-io';
import { writeNativeBackupSet } from '../support/native-export-fixture';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'faults-data-errors';
const local = useLocalServers({ buckets: [bucket] });
const cli = (...args: string[]) => runCli(testProgram(registerRestoreCommand, registerValidateCommand), ['--bucket', bucket, ...args]);
const fine = (i: number): Record<string, AttributeValue> => ({ pk: { S: `p${i}` }, sk: { N: String(i) }, name: { S: `n${i}` } });

let minute = 0;
/** A forged set of table `table`: 9 good items and `bad` as the 5th (the second line of the second data file). */
async function forged(table: string, bad: Record<string, AttributeValue>) {
  const items = Array.from({ length: 9 }, (_, i) => fine(i));
  items.splice(4, 0, bad);
  const { metadata, fixture } = await writeNativeBackupSet(local.s3, bucket, {
    tier: 'weekly',
    started: new Date(Date.UTC(2026, 11, 3, 1, minute++)),
    table,
    items,
  });
  return { ref: `weekly/${metadata.backupId}`, dataKeys: fixture.dataKeys };
}

describe('dr validate checks each item against the saved key schema and DynamoDB type rules', () => {
  it.each<[string, Record<string, AttributeValue>, RegExp]>([
    ['a missing sort key', { pk: { S: 'bad' }, name: { S: 'b' } }, /\{"pk":"bad","sk":"\?"\}: the table's sort key "sk" is missing/],
    ['a key of the wrong type', { pk: { S: 'bad' }, sk: { S: 'one' } }, /the table's sort key "sk" is of type S, the table defines it as N/],
    ['an empty string key', { pk: { S: '' }, sk: { N: '4' } }, /the table's partition key "pk" is empty/],
    ['a number with 39 digits', { pk: { S: 'bad' }, sk: { N: '4' }, n: { N: '1'.repeat(39) } }, /attribute n: number .* 39 significant digits/],
    ['a duplicate set member', { pk: { S: 'bad' }, sk: { N: '4' }, s: { SS: ['a', 'a'] } }, /attribute s: SS set holds "a" twice/],
    ['an empty set', { pk: { S: 'bad' }, sk: { N: '4' }, s: { NS: [] } }, /attribute s: empty NS set/],
    ['a number over 9.99E+125', { pk: { S: 'bad' }, sk: { N: '4' }, n: { N: '1E+126' } }, /attribute n: number "1E\+126" is outside DynamoDB's range/],
    ['a number under 1E-130', { pk: { S: 'bad' }, sk: { N: '4' }, n: { N: '1E-131' } }, /attribute n: number "1E-131" is outside DynamoDB's range/],
  ])('%s: INVALID, naming the data file, the line and the item', async (name, bad, message) => {
    const { ref, dataKeys } = await forged(`de_v${name.length}${minute}`, bad);
    const r = await cli('validate', ref);
    expect(r.code).toBe(1);
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toContain(`s3://${bucket}/${dataKeys[1]}`);
    expect(out).toMatch(new RegExp(`data error: line 2: item .*${message.source}`));
  });
});

describe('a restore that meets a data error', () => {
  it('stops before writing that item, calls it a data error (not resumable); --resume refuses and writes nothing', async () => {
    const { ref, dataKeys } = await forged('de_restore', { pk: { S: 'bad' }, name: { S: 'b' } });
    const r = await cli('restore', ref, '--confirm');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `stopped on a data error: s3://${bucket}/${dataKeys[1]}: line 2: item {"pk":"bad","sk":"?"}: the table's sort key "sk" is missing`,
    );
    expect(r.stderr).toMatch(/no rerun or --resume can write it/);
    expect(r.stderr).not.toMatch(/rerun the same command with --resume|resume with --resume/);
    const journal = await getJson<{ state: string; failure?: string }>(local.s3, bucket, 'restores/de_restore-restored.json');
    expect(journal).toMatchObject({ state: 'failed', failure: 'data' });
    const before = (await local.dynamodb.send(new ScanCommand({ TableName: 'de_restore-restored', Select: 'COUNT' }))).Count;

    const resumed = await cli('restore', ref, '--confirm', '--resume');
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/stopped on a data error .*--resume would stop at the same item, so nothing was written/);
    expect((await local.dynamodb.send(new ScanCommand({ TableName: 'de_restore-restored', Select: 'COUNT' }))).Count).toBe(before);
  });
});
