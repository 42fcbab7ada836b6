/**
 * Fault suite, data fidelity: every DynamoDB type and its edges backed up and restored through
 * the real engine and `dr restore`, then compared item by item with the source; and a backup
 * taken while the table is being written to.
 */
import { AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { runBackup } from '../../lambda/backup/backup';
import { itemSize, MAX_ITEM_BYTES } from '../../lambda/format/item-size';
import { registerRestoreCommand } from '../../cli/restore';
import { batchWriteAll, createTestTable, normalizeSets, scanAsJson } from '../support/ddb-compare';
import { findManifestSummary, readExport } from '../support/export-reader';
import { runCli, testProgram } from '../support/run-cli';
import { useLocalServers } from '../support/use-local-servers';

const bucket = 'faults-fidelity';
const local = useLocalServers({ buckets: [bucket] });
const keyOf = (i: Record<string, unknown>) => JSON.stringify(i.pk);

/** A map nested `depth` levels deep, a value of every kind at the bottom. */
const deep = (depth: number): AttributeValue => (depth === 0 ? { M: { leaf: { S: 'bottom' }, n: { N: '1' } } } : { M: { [`level${depth}`]: deep(depth - 1) } });

const typed: Record<string, AttributeValue>[] = [
  {
    pk: { S: 'every-type' },
    s: { S: 'text' },
    emptyS: { S: '' },
    n: { N: '-12.5e3' },
    b: { B: new Uint8Array([0, 1, 2, 255]) },
    emptyB: { B: new Uint8Array(0) },
    ss: { SS: ['a', 'b', 'ü'] },
    ns: { NS: ['1', '-2.5', '99999999999999999999999999999999999999'] },
    bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
    m: { M: { inner: { S: 'x' }, list: { L: [{ N: '1' }, { NULL: true }] } } },
    l: { L: [{ S: 'a' }, { N: '2' }, { BOOL: false }, { M: {} }, { L: [] }] },
    t: { BOOL: true },
    f: { BOOL: false },
    nul: { NULL: true },
  },
  {
    pk: { S: 'numbers-38-digits' },
    big: { N: '12345678901234567890123456789012345678' },
    small: { N: '0.00000000000000000000000000000000000001' },
    negative: { N: '-99999999999999999999999999999999999999' },
    huge: { N: '9.9999999999999999999999999999999999999E+125' },
    tiny: { N: '1E-130' },
  },
  { pk: { S: 'deep-map-10' }, deep: deep(10) },
  { pk: { S: 'ünïcödé-键-🙂' }, 名前: { S: 'テスト' }, 'émoji 🎉': { SS: ['🙂', '🙃'] }, ключ: { M: { вложенный: { N: '7' } } } },
  { pk: { S: 'max-399kb' }, body: { S: 'z'.repeat(399 * 1024 - 40) } },
];

describe('data fidelity: backup -> restore, item by item', () => {
  const table = 'fidelity.Table-1_x';
  beforeAll(async () => {
    await createTestTable(local.dynamodb, table);
    for (const Item of typed) await local.dynamodb.send(new PutItemCommand({ TableName: table, Item }));
  }, 120_000);

  it('the 399 KB item is within DynamoDB limit by the documented rules', () => {
    const size = itemSize(typed.at(-1)!);
    expect(size).toBeGreaterThan(398 * 1024);
    expect(size).toBeLessThanOrEqual(MAX_ITEM_BYTES);
  });

  it('every type (S N B SS NS BS M L BOOL NULL), empty string and binary, 38-digit numbers, 10-deep maps, unicode names, 399 KB: restored equal', async () => {
    const m = await runBackup({
      dynamodb: local.dynamodb,
      s3: local.s3,
      bucket,
      tables: [table],
      tier: 'adhoc',
      engine: 'scan',
      now: new Date('2026-12-04T00:00:00.000Z'),
    });
    expect(m.recordCounts[table]).toBe(typed.length);
    const r = await runCli(testProgram(registerRestoreCommand), ['--bucket', bucket, 'restore', `adhoc/${m.backupId}`, '--confirm', '--suffix', '-copy']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const source = await scanAsJson(local.dynamodb, table, keyOf);
    const copy = await scanAsJson(local.dynamodb, `${table}-copy`, keyOf);
    expect(copy.size).toBe(typed.length);
    for (const [k, item] of source) expect(normalizeSets(copy.get(k))).toEqual(normalizeSets(item));
    // The 38 digits survive as written (no float rounding anywhere on the way).
    expect(copy.get(JSON.stringify({ S: 'numbers-38-digits' }))?.big).toEqual({ N: '12345678901234567890123456789012345678' });
  }, 120_000);
});

describe('backup under concurrent writes', () => {
  it('every backed-up item is a version that was written, no key twice, untouched items present, the count between before and after', async () => {
    const table = 'busy';
    await createTestTable(local.dynamodb, table);
    const initial = 3000;
    await batchWriteAll(
      local.dynamodb,
      table,
      Array.from({ length: initial }, (_, i) => ({ pk: { S: `k${i}` }, v: { N: '0' }, pad: { S: 'p'.repeat(300) } })),
    );
    // Versions written per key while the backup runs: updates of the first 500, new keys n*.
    const versions = new Map<string, Set<string>>();
    let stop = false;
    let inserted = 0;
    // The backup starts once the writer is demonstrably writing (25 rounds done), not after a pause.
    let writing!: () => void;
    const underWay = new Promise<void>((r) => (writing = r));
    const writer = (async () => {
      for (let round = 1; !stop; round++) {
        if (round === 26) writing();
        const i = round % 500;
        versions.set(`k${i}`, (versions.get(`k${i}`) ?? new Set(['0'])).add(String(round)));
        await local.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `k${i}` }, v: { N: String(round) }, pad: { S: 'p'.repeat(300) } } }));
        if (round % 5 === 0) {
          await local.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `n${inserted}` }, v: { N: '0' }, pad: { S: 'p'.repeat(300) } } }));
          inserted++;
        }
      }
    })();
    await underWay;
    const m = await runBackup({
      dynamodb: local.dynamodb,
      s3: local.s3,
      bucket,
      tables: [table],
      tier: 'adhoc',
      engine: 'scan',
      segments: 4,
      now: new Date('2026-12-04T01:00:00.000Z'),
    });
    stop = true;
    await writer;
    expect(inserted).toBeGreaterThan(0);
    const read = await readExport(local.s3, bucket, await findManifestSummary(local.s3, bucket, `backups/adhoc/${m.backupId}/${table}`));
    const items = read.items as Record<string, { S?: string; N?: string }>[];
    expect(items.length).toBe(m.recordCounts[table]);
    expect(items.length).toBeGreaterThanOrEqual(initial);
    expect(items.length).toBeLessThanOrEqual(initial + inserted);
    // No key twice, every key's value one that was written.
    expect(new Set(items.map((i) => i.pk.S)).size).toBe(items.length);
    for (const it of items) {
      const pk = it.pk.S!;
      const allowed = versions.get(pk) ?? new Set(['0']);
      expect(allowed.has(it.v.N!)).toBe(true);
    }
    for (let i = 500; i < initial; i++) expect(items.some((it) => it.pk.S === `k${i}`)).toBe(true);
  }, 120_000);
});
