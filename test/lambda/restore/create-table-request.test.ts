/**
 * Known request constraints as tests, for requests whose rules no emulator checks: the
 * CreateTable (GSIs) and UpdateTimeToLive requests of a restore, captured with
 * aws-sdk-client-mock. Each limit is cited from the AWS API reference next to its check.
 */
import { CreateTableCommand, CreateTableCommandInput, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { TableSchema } from '../../../lambda/format/backup-set';
import { createTableFromSchema, createTableInput } from '../../../lambda/restore/tables';

const ddbMock = mockClient(DynamoDBClient);
const dynamodb = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

beforeEach(() => ddbMock.reset());

describe('CreateTable with GSIs and TTL (mocked DynamoDB table API)', () => {
  /** The saved schema of `orders` as the backup records it, plus a stray definition no key uses. */
  const schema: TableSchema = {
    keySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
    attributeDefinitions: [
      { AttributeName: 'orderId', AttributeType: 'S' },
      { AttributeName: 'customerId', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'notAKey', AttributeType: 'N' },
    ],
    globalSecondaryIndexes: [
      {
        IndexName: 'byCustomer',
        KeySchema: [
          { AttributeName: 'customerId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      { IndexName: 'by-status.v2', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
    ],
    localSecondaryIndexes: [],
    billingMode: 'PAY_PER_REQUEST',
    ttlAttribute: 'expiresAt',
  };

  /** The documented CreateTable rules on one request; empty when it keeps them all. */
  function createTableViolations(r: CreateTableCommandInput): string[] {
    const v: string[] = [];
    const keyNames = new Set(
      [r.KeySchema, ...(r.GlobalSecondaryIndexes ?? []).map((g) => g.KeySchema), ...(r.LocalSecondaryIndexes ?? []).map((l) => l.KeySchema)]
        .flatMap((k) => k ?? [])
        .map((k) => k.AttributeName),
    );
    const defined = (r.AttributeDefinitions ?? []).map((d) => d.AttributeName);
    // CreateTable: every key attribute defined, and no definition unused ("Some AttributeDefinitions are not used").
    if ([...keyNames].sort().join() !== [...defined].sort().join()) v.push(`AttributeDefinitions ${defined} != key attributes ${[...keyNames]}`);
    // CreateTable GlobalSecondaryIndexes: "the maximum is 20" (default quota per table).
    if ((r.GlobalSecondaryIndexes?.length ?? 0) > 20) v.push('more than 20 GSIs');
    for (const g of r.GlobalSecondaryIndexes ?? []) {
      // GlobalSecondaryIndex.IndexName: 3 to 255 characters, pattern [a-zA-Z0-9_.-]+; KeySchema 1 to 2; Projection required.
      if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(g.IndexName ?? '')) v.push(`index name ${g.IndexName}`);
      if (!g.KeySchema || g.KeySchema.length < 1 || g.KeySchema.length > 2) v.push(`key schema of ${g.IndexName}`);
      if (!g.Projection?.ProjectionType) v.push(`projection of ${g.IndexName}`);
      // BillingMode PAY_PER_REQUEST: an index "cannot specify" ProvisionedThroughput; PROVISIONED: must.
      if ((r.BillingMode === 'PAY_PER_REQUEST') === (g.ProvisionedThroughput !== undefined)) v.push(`throughput of ${g.IndexName}`);
    }
    if ((r.BillingMode === 'PAY_PER_REQUEST') === (r.ProvisionedThroughput !== undefined)) v.push('table throughput vs billing mode');
    return v;
  }

  it('builds a request that keeps every documented rule, leaving out the unused attribute definition', () => {
    const r = createTableInput('orders-restored', schema);
    expect(createTableViolations(r)).toEqual([]);
    expect(r.AttributeDefinitions?.map((d) => d.AttributeName).sort()).toEqual(['createdAt', 'customerId', 'orderId', 'status']);
    expect(r).not.toHaveProperty('TimeToLiveSpecification');
  });

  it('gives each index of a PROVISIONED table its throughput, as the table has', () => {
    const r = createTableInput('orders-restored', {
      ...schema,
      billingMode: 'PROVISIONED',
      provisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
    });
    expect(createTableViolations(r)).toEqual([]);
    expect(r.GlobalSecondaryIndexes?.map((g) => g.ProvisionedThroughput)).toEqual([
      { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
      { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
    ]);
  });

  it('refuses a saved schema whose key attribute has no definition, naming the table and the attribute', () => {
    expect(() => createTableInput('orders-restored', { ...schema, attributeDefinitions: schema.attributeDefinitions.slice(0, 2) })).toThrow(
      /saved schema of "orders-restored" has no attribute definition for key attribute\(s\) createdAt, status/,
    );
  });

  it('turns TTL on with a separate UpdateTimeToLive once the table is ACTIVE (CreateTable has no TTL parameter)', async () => {
    const order: string[] = [];
    ddbMock.on(CreateTableCommand).callsFake(async () => (order.push('CreateTable'), {}));
    ddbMock.on(DescribeTableCommand).callsFake(async () => (order.push('DescribeTable'), { Table: { TableStatus: 'ACTIVE' } }));
    ddbMock.on(UpdateTimeToLiveCommand).callsFake(async () => (order.push('UpdateTimeToLive'), {}));
    expect(await createTableFromSchema(dynamodb, 'orders-restored', schema)).toEqual([]);
    expect(order).toEqual(['CreateTable', 'DescribeTable', 'UpdateTimeToLive']);
    expect(createTableViolations(ddbMock.commandCalls(CreateTableCommand)[0].args[0].input)).toEqual([]);
    expect(ddbMock.commandCalls(UpdateTimeToLiveCommand)[0].args[0].input).toEqual({
      TableName: 'orders-restored',
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    });
  });
});
