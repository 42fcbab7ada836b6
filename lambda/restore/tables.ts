/**
 * Target tables of a restore: created from the saved schema, checked for emptiness, protected
 * afterwards, counted at the end.
 */
import {
  AttributeValue,
  CreateTableCommand,
  CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type StreamViewType,
  type Tag,
} from '@aws-sdk/client-dynamodb';
import type { TableSchema } from '../format/backup-set';

/** True when DynamoDB answered that the table does not exist. */
export function isTableMissing(e: unknown): boolean {
  return (e as { name?: string })?.name === 'ResourceNotFoundException';
}

/** True for the error an emulator (DynamoDB Local) gives for an API it does not have. */
export function isUnsupportedApi(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  return err?.name === 'UnknownOperationException' || /unknown ?operation|not (yet )?supported|not implemented/i.test(err?.message ?? '');
}

/** True when the table exists. */
export async function tableExists(dynamodb: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (e) {
    if (isTableMissing(e)) return false;
    throw e;
  }
}

/** True when the table holds at least one item (a few Limit=1 pages: a Scan page may come back empty). */
export async function tableHasItems(dynamodb: DynamoDBClient, table: string): Promise<boolean> {
  let start: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await dynamodb.send(new ScanCommand({ TableName: table, Limit: 1, ExclusiveStartKey: start }));
    if ((res.Items?.length ?? 0) > 0) return true;
    start = res.LastEvaluatedKey;
    if (!start) return false;
  }
  return true;
}

/**
 * CreateTable input from a saved schema (pure, for tests). PITR, TTL and protection come later.
 * AttributeDefinitions are exactly the key attributes of the table and its indexes: DynamoDB
 * refuses a definition no key uses ("Some AttributeDefinitions are not used"), and a key
 * attribute without one.
 */
export function createTableInput(table: string, schema: TableSchema): CreateTableCommandInput {
  const provisioned = schema.billingMode === 'PROVISIONED';
  const throughput = provisioned ? (schema.provisionedThroughput ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 }) : undefined;
  const keyNames = new Set(
    [schema.keySchema, ...schema.globalSecondaryIndexes.map((g) => g.KeySchema), ...schema.localSecondaryIndexes.map((l) => l.KeySchema)]
      .flatMap((k) => k ?? [])
      .map((k) => k.AttributeName!),
  );
  const definitions = schema.attributeDefinitions.filter((d) => keyNames.has(d.AttributeName!));
  const undefinedKeys = [...keyNames].filter((n) => !definitions.some((d) => d.AttributeName === n));
  if (undefinedKeys.length > 0) {
    throw new Error(
      `the saved schema of "${table}" has no attribute definition for key attribute(s) ${undefinedKeys.join(', ')}: the backup's metadata.json is damaged`,
    );
  }
  return {
    TableName: table,
    KeySchema: schema.keySchema,
    AttributeDefinitions: definitions,
    BillingMode: schema.billingMode,
    ProvisionedThroughput: throughput,
    GlobalSecondaryIndexes: schema.globalSecondaryIndexes.length
      ? schema.globalSecondaryIndexes.map((g) => ({
          IndexName: g.IndexName,
          KeySchema: g.KeySchema,
          Projection: g.Projection,
          ProvisionedThroughput: throughput,
        }))
      : undefined,
    LocalSecondaryIndexes: schema.localSecondaryIndexes.length
      ? schema.localSecondaryIndexes.map((l) => ({ IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection }))
      : undefined,
  };
}

/**
 * Creates a table from the saved schema (its stream too: CreateTable carries StreamSpecification,
 * so no later UpdateTable has to wait for it), waits for ACTIVE, and turns TTL on unless `ttl` is
 * false (a restore sets it after the data, with the other settings, so a resume sets it too).
 * Returns warnings. `tags` go with CreateTable (the restore journal's mark, there from the table's first second).
 */
export async function createTableFromSchema(
  dynamodb: DynamoDBClient,
  table: string,
  schema: TableSchema,
  tags?: Tag[],
  opts: { readonly ttl?: boolean } = {},
): Promise<string[]> {
  const stream = schema.stream?.StreamEnabled
    ? { StreamSpecification: { StreamEnabled: true, StreamViewType: schema.stream.StreamViewType as StreamViewType } }
    : {};
  await dynamodb.send(new CreateTableCommand({ ...createTableInput(table, schema), ...stream, Tags: tags?.length ? tags : undefined }));
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 600, minDelay: 1, maxDelay: 10 }, { TableName: table });
  const warnings: string[] = [];
  if (schema.ttlAttribute && opts.ttl !== false) {
    await tryOptional(warnings, `TTL on "${table}"`, () =>
      dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: schema.ttlAttribute! } })),
    );
  }
  return warnings;
}

/** Turns PITR and deletion protection on (after the data is in). Returns warnings. */
export async function protectTable(dynamodb: DynamoDBClient, table: string): Promise<string[]> {
  const warnings: string[] = [];
  await tryOptional(warnings, `point-in-time recovery on "${table}"`, () =>
    dynamodb.send(new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })),
  );
  await tryOptional(warnings, `deletion protection on "${table}"`, () =>
    dynamodb.send(new UpdateTableCommand({ TableName: table, DeletionProtectionEnabled: true })),
  );
  return warnings;
}

/** Runs a call an emulator may not support: that one error becomes a warning, others throw. */
export async function tryOptional(warnings: string[], what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!isUnsupportedApi(e)) throw e;
    warnings.push(`${what} not set: this DynamoDB endpoint does not support it (${(e as Error).message}); set it by hand on real AWS`);
  }
}

/** Items in a table, counted with a parallel COUNT scan (8 segments). */
export async function countItems(dynamodb: DynamoDBClient, table: string, segments = 8): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let n = 0;
      let start: Record<string, AttributeValue> | undefined;
      do {
        const res = await dynamodb.send(
          new ScanCommand({ TableName: table, Select: 'COUNT', Segment: segment, TotalSegments: segments, ExclusiveStartKey: start }),
        );
        n += res.Count ?? 0;
        start = res.LastEvaluatedKey;
      } while (start);
      return n;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}
