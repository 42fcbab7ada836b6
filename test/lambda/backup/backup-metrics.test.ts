/** Metric data points of backup runs: names and dimensions from lambda/shared/metrics.ts. */
import { failureMetrics, successMetrics } from '../../../lambda/backup/backup-metrics';
import { buildMetadata } from '../../../lambda/backup/backup';
import { BackupMetadata, TableBackupRecord } from '../../../lambda/format/backup-set';
import { schemaFrom } from '../../../lambda/backup/schema';
import { exportLine, hasBinary, toJsonItem } from '../../../lambda/format/dynamodb-json';
import { autoSegments } from '../../../lambda/backup/scan-engine';

const record = (table: string, itemCount: number, bytes: number): TableBackupRecord => ({
  table,
  engine: 'scan',
  schema: schemaFrom({ KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] }),
  exportFolder: `x/${table}/`,
  itemCount,
  bytes,
  storedBytes: bytes / 2,
  files: [],
});

function meta(startedAt: string, counts: Record<string, [number, number]>): BackupMetadata {
  const started = new Date(startedAt);
  const records = Object.fromEntries(Object.entries(counts).map(([t, [n, b]]) => [t, record(t, n, b)]));
  return buildMetadata({
    backupId: 'id',
    tier: 'daily',
    started,
    completed: new Date(started.getTime() + 90_000),
    exportTime: started,
    tables: Object.keys(counts),
    records,
    source: { region: 'eu-west-1', bucket: 'b' },
  });
}

const value = (data: ReturnType<typeof successMetrics>, name: string, table?: string) =>
  data.find((d) => d.name === name && (!table || d.dimensions.Table === table))?.value;

describe('backup metrics', () => {
  it('emits success, duration, per-table size and count with App/Tier/Table dimensions', () => {
    const data = successMetrics('shop', meta('2026-11-23T02:00:00Z', { orders: [100, 5000] }), undefined, new Date('2026-11-23T02:10:00Z'));
    expect(data.find((d) => d.name === 'BackupSuccess')).toEqual({ name: 'BackupSuccess', value: 1, dimensions: { App: 'shop', Tier: 'daily' } });
    expect(value(data, 'BackupDurationSeconds')).toBe(90);
    expect(data.find((d) => d.name === 'BackupRecordCount')).toEqual({ name: 'BackupRecordCount', value: 100, dimensions: { App: 'shop', Table: 'orders' } });
    expect(value(data, 'BackupSizeBytes', 'orders')).toBe(5000);
    expect(value(data, 'LatestBackupAgeMinutes')).toBe(10);
    expect(value(data, 'BackupSizeChangePercent')).toBeUndefined();
  });

  it('computes change percents against the previous set', () => {
    const prev = meta('2026-11-22T02:00:00Z', { orders: [100, 5000] });
    const data = successMetrics('shop', meta('2026-11-23T02:00:00Z', { orders: [50, 7500] }), prev);
    expect(value(data, 'BackupRecordCountChangePercent', 'orders')).toBe(50);
    expect(value(data, 'BackupSizeChangePercent', 'orders')).toBe(50);
  });

  it('emits failure with the age of the latest good backup', () => {
    const data = failureMetrics('shop', 'weekly', 3000, new Date('2026-11-22T00:00:00Z'), new Date('2026-11-23T00:00:00Z'));
    expect(value(data, 'BackupFailure')).toBe(1);
    expect(value(data, 'BackupSuccess')).toBe(0);
    expect(value(data, 'LatestBackupAgeMinutes')).toBe(1440);
  });

  it('builds metadata totals and engine "mixed" when engines differ', () => {
    const m = meta('2026-11-23T02:00:00Z', { a: [1, 10], b: [2, 20] });
    expect(m).toMatchObject({ totalRecords: 3, totalBytes: 30, engine: 'scan', durationMs: 90_000, success: true });
    const mixed = buildMetadata({
      ...m,
      started: new Date(m.startedAt),
      completed: new Date(m.completedAt),
      exportTime: new Date(m.exportTime),
      records: { a: record('a', 1, 1), b: { ...record('b', 1, 1), engine: 'export' } },
    });
    expect(mixed.engine).toBe('mixed');
  });
});

describe('DynamoDB JSON and schema', () => {
  it('writes binaries as base64 and keeps numbers as strings', () => {
    expect(toJsonItem({ b: { B: Uint8Array.from([255, 0]) }, bs: { BS: [Uint8Array.from([1])] }, n: { N: '12345678901234567890123456789012345678' } })).toEqual(
      {
        b: { B: '/wA=' },
        bs: { BS: ['AQ=='] },
        n: { N: '12345678901234567890123456789012345678' },
      },
    );
  });

  it('writes the same export line with and without binaries, nested ones included', () => {
    const plain = {
      s: { S: 'a "quoted" ü' },
      n: { N: '-1.5e10' },
      bool: { BOOL: false },
      nul: { NULL: true as const },
      ss: { SS: ['x', 'y'] },
      l: { L: [{ M: { q: { N: '2' } } }, { S: '' }] },
    };
    const nested = { ...plain, m: { M: { deep: { L: [{ B: Uint8Array.from([1, 2, 3]) }] } } } };
    expect(hasBinary(plain)).toBe(false);
    expect(hasBinary(nested)).toBe(true);
    expect(hasBinary({ bs: { BS: [Uint8Array.from([9])] } })).toBe(true);
    for (const item of [plain, nested]) {
      const line = exportLine(item);
      expect(line).toBe(`${JSON.stringify({ Item: toJsonItem(item) })}\n`);
      expect(JSON.parse(line).Item).toEqual(toJsonItem(item));
    }
    expect(JSON.parse(exportLine(nested)).Item.m.M.deep.L[0]).toEqual({ B: 'AQID' });
  });

  it('saves key schema, GSIs, billing mode, TTL and streams', () => {
    const s = schemaFrom(
      {
        TableArn: 'arn:t',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        GlobalSecondaryIndexes: [{ IndexName: 'g', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 3 },
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      },
      'expiresAt',
    );
    expect(s).toMatchObject({
      billingMode: 'PROVISIONED',
      provisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 3 },
      ttlAttribute: 'expiresAt',
      stream: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    });
    expect(s.globalSecondaryIndexes[0]).toEqual({
      IndexName: 'g',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('chooses 8 to 16 scan segments from the table size', () => {
    expect(autoSegments(0)).toBe(8);
    expect(autoSegments(6 * 1024 ** 3)).toBe(12);
    expect(autoSegments(1024 ** 4)).toBe(16);
  });
});
