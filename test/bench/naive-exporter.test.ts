import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { benchItem, createBenchTable, itemSize, median, parallelBatchWrite } from '../../bench/harness';
import { rawParallelScan } from '../../bench/ceilings';
import { naiveExport } from '../../bench/naive-exporter';
import { useLocalServers } from '../support/use-local-servers';

describe('bench harness against local servers', () => {
  const table = 'bench-smoke-orders';
  const bucket = 'bench-smoke-bucket';
  const local = useLocalServers({ buckets: [bucket] });
  let ddb: DynamoDBClient;
  let s3: S3Client;

  beforeAll(async () => {
    ({ dynamodb: ddb, s3 } = local);
    await createBenchTable(ddb, table);
    await parallelBatchWrite(ddb, table, 130, benchItem, 4);
  });

  it('the naive exporter writes every item as one JSON array', async () => {
    const result = await naiveExport({ dynamodb: ddb, s3, table, bucket, key: 'naive/smoke.json' });
    const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'naive/smoke.json' }))).Body!.transformToString();
    const items = JSON.parse(body) as { orderId: string }[];
    expect(result.items).toBe(130);
    expect(items.map((i) => i.orderId).sort()).toEqual(Array.from({ length: 130 }, (_, i) => `order-${String(i).padStart(9, '0')}`));
  });

  it('the raw parallel Scan ceiling counts every item across segments', async () => {
    expect((await rawParallelScan(ddb, table, 8)).items).toBe(130);
  });
});

describe('bench helpers', () => {
  it('bench items are about 600 bytes of DynamoDB item size', () => {
    const size = itemSize(benchItem(42));
    expect(size).toBeGreaterThan(550);
    expect(size).toBeLessThan(650);
  });

  it('median takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
