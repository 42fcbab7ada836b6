/**
 * Fault suite, restore edges and corrupted sets, against DynamoDB Local and s3rver through the
 * CLI: each case checks the exit code, a message naming the problem and the fix, and that
 * nothing was written (target absent or unchanged) or, for sets that must restore, every item.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AttributeValue, DeleteTableCommand, DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { gzipSync } from 'node:zlib';
import { runBackup } from '../../lambda/backup/backup';
import { listKeys, getJson, putJson } from '../../lambda/store/s3-io';
import { registerRestoreCommand } from '../../cli/restore';
import { registerValidateCommand } from '../../cli/validate';
import { batchWriteAll, createTestTable, scanAsJson } from '../support/ddb-compare';
import { writeNativeBackupSet } from '../support/native-export-fixture';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'faults-restore-edges';
const local = useLocalServers({ buckets: [bucket] });
const cli = (...args: string[]) => runCli(testProgram(registerRestoreCommand, registerValidateCommand), ['--bucket', bucket, ...args]);
const count = async (table: string) => (await local.dynamodb.send(new ScanCommand({ TableName: table, Select: 'COUNT' }))).Count;
const exists = (table: string) =>
  local.dynamodb.send(new DescribeTableCommand({ TableName: table })).then(
    () => true,
    () => false,
  );

/** A fresh backup set of `edge_src` at `iso`; returns its `<tier>/<id>` and prefix. */
async function backupAt(iso: string, tables = ['edge_src']) {
  const m = await runBackup({ dynamodb: local.dynamodb, s3: local.s3, bucket, tables, tier: 'adhoc', engine: 'scan', segments: 2, now: new Date(iso) });
  return { ref: `adhoc/${m.backupId}`, prefix: `backups/adhoc/${m.backupId}/`, metadata: m };
}

beforeAll(async () => {
  await createTestTable(local.dynamodb, 'edge_src');
  await batchWriteAll(
    local.dynamodb,
    'edge_src',
    Array.from({ length: 300 }, (_, i) => ({ pk: { S: `o${i}` }, total: { N: String(i * 3) } })),
  );
}, 120_000);

describe('restore edges', () => {
  let ref: string;
  beforeAll(async () => {
    ({ ref } = await backupAt('2026-12-02T00:00:00.000Z'));
  }, 60_000);

  it('--into-existing into a non-empty table: refused, the table unchanged', async () => {
    const r = await cli('restore', ref, '--confirm', '--into-existing');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/table "edge_src" is not empty.*nothing was written/);
    expect(await count('edge_src')).toBe(300);
  });

  it('--into-existing into a missing table: refused, names the table, nothing created', async () => {
    await createTestTable(local.dynamodb, 'edge_gone');
    await batchWriteAll(local.dynamodb, 'edge_gone', [{ pk: { S: 'g' } }]);
    const set = await backupAt('2026-12-02T00:10:00.000Z', ['edge_gone']);
    await local.dynamodb.send(new DeleteTableCommand({ TableName: 'edge_gone' }));
    const r = await cli('restore', set.ref, '--confirm', '--into-existing');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/table "edge_gone" does not exist/);
    expect(await exists('edge_gone')).toBe(false);
  });

  it('a new table with the name of the source (--suffix ""): refused as already existing, the source unchanged', async () => {
    const r = await cli('restore', ref, '--confirm', '--suffix', '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('table "edge_src" already exists: nothing was written; choose another --suffix, or delete it first');
    expect(await count('edge_src')).toBe(300);
  });

  it('--tables a,a: the table is restored once, no failure printed', async () => {
    const r = await cli('restore', ref, '--confirm', '--tables', 'edge_src,edge_src', '--suffix', '-dup');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('note: --tables lists "edge_src" more than once; each table is used once');
    expect(r.stdout.match(/edge_src-dup/g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/FAILED|already exists/);
    expect(await count('edge_src-dup')).toBe(300);
  });

  it('items far bigger on the wire than stored (25 x 390 KB of quotes, a 19 MB request): restored item by item', async () => {
    // A quote is 1 byte stored and 2 in the request (\"): 25 of these items are ~19.5 MB of request.
    const items = Array.from({ length: 25 }, (_, i) => ({
      pk: { S: `q${i}` },
      sk: { N: String(i) },
      name: { S: `n${i}` },
      body: { S: '"'.repeat(390 * 1024) },
    }));
    const { metadata } = await writeNativeBackupSet(local.s3, bucket, {
      tier: 'weekly',
      started: new Date('2026-12-02T01:00:00.000Z'),
      table: 'quotes',
      items,
    });
    const r = await cli('restore', `weekly/${metadata.backupId}`, '--confirm', '--suffix', '-big');
    expect(r.stderr).not.toMatch(/UnknownError/);
    expect(r.code).toBe(0);
    const scanned = await scanAsJson(local.dynamodb, 'quotes-big', (i) => JSON.stringify(i.pk));
    expect(scanned.size).toBe(25);
    for (const item of scanned.values()) expect(item.body).toEqual({ S: '"'.repeat(390 * 1024) });
  }, 120_000);

  it('an item over 400 KB in the set: validate refuses it naming its key; restore stops at it, the target unfinished and never called restored', async () => {
    const items: Record<string, AttributeValue>[] = [
      { pk: { S: 'fine' }, sk: { N: '1' }, name: { S: 'a' } },
      { pk: { S: 'huge' }, sk: { N: '2' }, name: { S: 'b' }, body: { S: 'x'.repeat(410 * 1024) } },
    ];
    const { metadata } = await writeNativeBackupSet(local.s3, bucket, {
      tier: 'weekly',
      started: new Date('2026-12-02T02:00:00.000Z'),
      table: 'oversize',
      items,
    });
    const v = await cli('validate', `weekly/${metadata.backupId}`);
    expect(v.code).toBe(1);
    expect(`${v.stdout}${v.stderr}`).toMatch(/item \{"pk":"huge","sk":"2"\} is \d+ bytes, over DynamoDB's 400 KB item limit/);
    const r = await cli('restore', `weekly/${metadata.backupId}`, '--confirm');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/item \{"pk":"huge","sk":"2"\} is \d+ bytes, over DynamoDB's 400 KB item limit/);
    expect(r.stderr).toMatch(/"oversize-restored" is unfinished .*never verified: it is not a restored table/);
    expect((await getJson<{ state: string }>(local.s3, bucket, 'restores/oversize-restored.json')).state).toBe('failed');
  });
});

describe('corrupted sets: validate says what is wrong, restore refuses before any write', () => {
  /** A new set, damaged by `damage(prefix, dataKeys)`; checks validate and restore. */
  async function corrupt(
    iso: string,
    damage: (prefix: string, dataKeys: string[]) => Promise<void>,
    problem: RegExp,
    suffix: string,
    /** Damage only reading the file finds (a flipped byte, size intact): caught as the file is written (docs/operations.md: checked while written). */
    caughtWhileWriting = false,
  ) {
    const set = await backupAt(iso);
    const dataKeys = (await listKeys(local.s3, bucket, set.prefix)).filter((k) => k.includes('/data/'));
    await damage(set.prefix, dataKeys);
    const v = await cli('validate', set.ref);
    expect(v.code).toBe(1);
    expect(`${v.stdout}${v.stderr}`).toMatch(problem);
    const r = await cli('restore', set.ref, '--confirm', '--suffix', suffix);
    expect(r.code).toBe(1);
    if (caughtWhileWriting) {
      // Stopped at the damaged file: the new table is left unfinished, never called restored, and the message says to delete it.
      expect(r.stderr).toMatch(/a data file of the backup set failed its checks: .*is unfinished .*never verified: it is not a restored table; delete it/);
      expect(r.stdout).not.toMatch(/restored and verified/);
      const journal = await getJson<{ state: string }>(local.s3, bucket, `restores/edge_src${suffix}.json`);
      expect(journal.state).toBe('failed');
    } else {
      expect(r.stderr).toMatch(/restore refused, nothing written|is incomplete|metadata\.json/);
      expect(await exists(`edge_src${suffix}`)).toBe(false);
    }
  }
  const bytesOf = async (key: string) =>
    Buffer.from(
      await (await local.s3.send(new (await import('@aws-sdk/client-s3')).GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
    );
  const put = (key: string, body: Buffer | string) => local.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  it('a flipped byte in a data file', async () => {
    await corrupt(
      '2026-12-03T00:00:00.000Z',
      async (_p, keys) => {
        const b = await bytesOf(keys[0]);
        b[Math.floor(b.length / 2)] ^= 0xff;
        await put(keys[0], b);
      },
      /PROBLEM s3:\/\/\S+\.json\.gz: .*(sha256 differs|md5 .* differs|cannot be read to the end)/,
      '-flip',
      true,
    );
  });

  it('a truncated data file', async () => {
    await corrupt(
      '2026-12-03T00:01:00.000Z',
      async (_p, keys) => {
        const b = await bytesOf(keys[0]);
        await put(keys[0], b.subarray(0, Math.floor(b.length / 2)));
      },
      /data file cannot be read to the end \(truncated or corrupt\)/,
      '-trunc',
    );
  });

  it('a deleted data file', async () => {
    await corrupt(
      '2026-12-03T00:02:00.000Z',
      (_p, keys) => local.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keys[0] })).then(() => undefined),
      /data file is missing/,
      '-del',
    );
  });

  it('a data file replaced by valid gzip of other items (checksums catch it)', async () => {
    await corrupt(
      '2026-12-03T00:03:00.000Z',
      (_p, keys) => put(keys[0], gzipSync('{"Item":{"pk":{"S":"intruder"}}}\n')).then(() => undefined),
      /sha256 differs|md5 .* differs|items read, manifest says/,
      '-swap',
    );
  });

  it('a deleted manifest-summary.json', async () => {
    await corrupt(
      '2026-12-03T00:04:00.000Z',
      async (prefix) => {
        const key = (await listKeys(local.s3, bucket, prefix)).find((k) => k.endsWith('manifest-summary.json'))!;
        await local.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      },
      /manifest unreadable/,
      '-nosum',
    );
  });

  it('an invalid manifest-files.json', async () => {
    await corrupt(
      '2026-12-03T00:05:00.000Z',
      async (prefix) => {
        const key = (await listKeys(local.s3, bucket, prefix)).find((k) => k.endsWith('manifest-files.json'))!;
        await put(key, 'this is not json lines');
      },
      /manifest unreadable|not valid JSON|data file is in metadata\.json but not in the manifest/,
      '-badmf',
    );
  });

  it('an edited item count in metadata.json (recordCounts)', async () => {
    await corrupt(
      '2026-12-03T00:06:00.000Z',
      async (prefix) => {
        const m = await getJson<{ recordCounts: Record<string, number> }>(local.s3, bucket, `${prefix}metadata.json`);
        m.recordCounts.edge_src = 299;
        await putJson(local.s3, bucket, `${prefix}metadata.json`, m);
      },
      // The catalog entry's sha256 of metadata.json finds the edit first (DAMAGED); without an entry the counts disagree.
      /table "edge_src": recordCounts says 299 items, tableDetails 300: metadata\.json was edited or damaged|DAMAGED: metadata\.json differs from the one committed/,
      '-count',
    );
  });

  it('an edited item count in a data file record of metadata.json', async () => {
    await corrupt(
      '2026-12-03T00:07:00.000Z',
      async (prefix) => {
        const m = await getJson<{ tableDetails: Record<string, { files: { itemCount: number }[] }> }>(local.s3, bucket, `${prefix}metadata.json`);
        m.tableDetails.edge_src.files[0].itemCount += 1;
        await putJson(local.s3, bucket, `${prefix}metadata.json`, m);
      },
      /metadata\.json says \d+ items, manifest \d+|DAMAGED: metadata\.json differs from the one committed/,
      '-fcount',
    );
  });

  it('a deleted metadata.json: the set is incomplete, restore refused', async () => {
    const set = await backupAt('2026-12-03T00:08:00.000Z');
    await local.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${set.prefix}metadata.json` }));
    const r = await cli('restore', set.ref, '--confirm', '--suffix', '-nometa');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/incomplete|metadata\.json is missing|not complete/);
    expect(await exists('edge_src-nometa')).toBe(false);
  });
});
