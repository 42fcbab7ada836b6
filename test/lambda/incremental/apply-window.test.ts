/**
 * Applying a window with several BatchWriteItem requests in flight (lambda/incremental/apply-window.ts),
 * against DynamoDB Local and s3rver: a window file written here in AWS's incremental export line
 * format, its sha256 and line count in the window.json passed in.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { applyWindow } from '../../../lambda/incremental/apply-window';
import type { WindowMetadata } from '../../../lambda/format/window';
import { createTestTable, scanAsJson } from '../../support/ddb-compare';
import { useLocalServers } from '../../support/use-local-servers';

const bucket = 'apply-window-test';
const local = useLocalServers({ buckets: [bucket] });
const FROM = Date.parse('2026-11-23T14:00:00Z');

type Change = { pk: string; v?: number; minute: number };
const line = (c: Change) =>
  JSON.stringify({
    Metadata: { WriteTimestampMicros: { N: String((FROM + c.minute * 60_000) * 1000) } },
    Keys: { pk: { S: c.pk } },
    ...(c.v === undefined ? {} : { NewImage: { pk: { S: c.pk }, v: { N: String(c.v) } } }),
  });

/** Writes one data file of `changes` and returns the window.json that names it. */
async function windowOf(name: string, changes: Change[]): Promise<WindowMetadata> {
  const body = gzipSync(Buffer.from(changes.map(line).join('\n') + '\n'));
  const key = `backups/incremental/${name}/data/part-0.json.gz`;
  await local.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const from = new Date(FROM).toISOString();
  const to = new Date(FROM + 15 * 60_000).toISOString();
  return {
    formatVersion: 1,
    kind: 'window',
    table: name,
    from,
    to,
    baseSet: 'daily/2026-11-23T02-00-00-000Z',
    exportArn: 'standin:test',
    exportFolder: `backups/incremental/${name}/`,
    files: [{ key, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), lines: changes.length }],
    counts: { puts: changes.filter((c) => c.v !== undefined).length, deletes: changes.filter((c) => c.v === undefined).length },
    committedAt: to,
  };
}

const values = async (table: string) =>
  new Map(
    [...(await scanAsJson(local.dynamodb, table, (i) => JSON.stringify(i.pk))).values()].map((i) => [(i.pk as { S: string }).S, (i.v as { N: string }).N]),
  );

test('200 changed keys go out as 8 batches in flight and all land; a delete removes the item', async () => {
  await createTestTable(local.dynamodb, 'apply-many');
  const changes: Change[] = Array.from({ length: 200 }, (_, i) => ({ pk: `k${i}`, v: i, minute: 1 }));
  changes.push({ pk: 'k0', minute: 2 }); // a key seen twice: the delete comes after its put
  const spy = jest.spyOn(local.dynamodb, 'send');
  const applied = await applyWindow({
    s3: local.s3,
    dynamodb: local.dynamodb,
    bucket,
    window: await windowOf('apply-many', changes),
    target: 'apply-many',
    concurrency: 8,
  });
  const batches = spy.mock.calls.filter(([c]) => c instanceof BatchWriteItemCommand).length;
  spy.mockRestore();
  expect(applied).toEqual({ puts: 200, deletes: 1, skipped: 0 });
  expect(batches).toBe(9); // 8 full batches, then the batch holding k0 again
  const got = await values('apply-many');
  expect(got.size).toBe(199);
  expect(got.has('k0')).toBe(false);
  expect(got.get('k199')).toBe('199');
});

test('a key changed twice in one window ends as its later change, whatever batches are in flight', async () => {
  await createTestTable(local.dynamodb, 'apply-twice');
  const changes: Change[] = [
    { pk: 'a', v: 1, minute: 1 },
    ...Array.from({ length: 60 }, (_, i) => ({ pk: `f${i}`, v: 0, minute: 1 })),
    { pk: 'a', v: 2, minute: 2 },
    { pk: 'b', v: 1, minute: 2 },
    { pk: 'b', minute: 3 },
  ];
  await applyWindow({ s3: local.s3, dynamodb: local.dynamodb, bucket, window: await windowOf('apply-twice', changes), target: 'apply-twice', concurrency: 16 });
  const got = await values('apply-twice');
  expect(got.get('a')).toBe('2');
  expect(got.has('b')).toBe(false);
});

test('changes written after the point are skipped', async () => {
  await createTestTable(local.dynamodb, 'apply-at');
  const changes: Change[] = [
    { pk: 'early', v: 1, minute: 1 },
    { pk: 'late', v: 1, minute: 10 },
  ];
  const w = await windowOf('apply-at', changes);
  const applied = await applyWindow({ s3: local.s3, dynamodb: local.dynamodb, bucket, window: w, target: 'apply-at', at: new Date(FROM + 5 * 60_000) });
  expect(applied).toEqual({ puts: 1, deletes: 0, skipped: 1 });
  expect([...(await values('apply-at')).keys()]).toEqual(['early']);
});
