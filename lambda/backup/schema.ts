/**
 * A table's schema as metadata.json saves it, read from DescribeTable and DescribeTimeToLive.
 * The restore recreates tables from it, so everything needed to rebuild the table is here.
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, TableDescription } from '@aws-sdk/client-dynamodb';
import type { KeyAttributeSchema, TableSchema } from '../format/backup-set';

/** DescribeTable's answer plus the schema built from it. */
export interface DescribedTable {
  readonly description: TableDescription;
  readonly schema: TableSchema;
}

/** Describes a table; the error names the table and the usual fix when it does not exist. */
export async function describeTable(dynamodb: DynamoDBClient, table: string): Promise<DescribedTable> {
  let description: TableDescription | undefined;
  try {
    description = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') {
      const region = await dynamodb.config.region().catch(() => 'the region used');
      throw new Error(
        `table "${table}" does not exist in ${region}: check the table list (config "tables" or --tables) and the region (--region / AWS_REGION)`,
      );
    }
    throw e;
  }
  if (!description) throw new Error(`DescribeTable returned nothing for "${table}"`);
  const ttlAttribute = await readTtlAttribute(dynamodb, table);
  return { description, schema: schemaFrom(description, ttlAttribute) };
}

/** The TTL attribute when TTL is enabled; undefined when off or when the API is missing (DynamoDB Local builds without it). */
async function readTtlAttribute(dynamodb: DynamoDBClient, table: string): Promise<string | undefined> {
  try {
    const ttl = (await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
    return ttl && (ttl.TimeToLiveStatus === 'ENABLED' || ttl.TimeToLiveStatus === 'ENABLING') ? ttl.AttributeName : undefined;
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') throw e;
    return undefined;
  }
}

function keySchema(ks: TableDescription['KeySchema']): KeyAttributeSchema[] {
  return (ks ?? []).map((k) => ({ AttributeName: k.AttributeName!, KeyType: k.KeyType as 'HASH' | 'RANGE' }));
}

/** Builds the saved schema from DescribeTable's answer (pure, for tests). */
export function schemaFrom(d: TableDescription, ttlAttribute?: string): TableSchema {
  const pt = d.ProvisionedThroughput;
  // DynamoDB Local and old tables may lack BillingModeSummary: zero capacity means on-demand.
  const billingMode = d.BillingModeSummary?.BillingMode ?? (pt?.ReadCapacityUnits ? 'PROVISIONED' : 'PAY_PER_REQUEST');
  return {
    keySchema: keySchema(d.KeySchema),
    attributeDefinitions: (d.AttributeDefinitions ?? []).map((a) => ({ AttributeName: a.AttributeName!, AttributeType: a.AttributeType as 'S' | 'N' | 'B' })),
    globalSecondaryIndexes: (d.GlobalSecondaryIndexes ?? []).map((g) => ({
      IndexName: g.IndexName!,
      KeySchema: keySchema(g.KeySchema),
      Projection: { ...(g.Projection ?? { ProjectionType: 'ALL' }) },
    })),
    localSecondaryIndexes: (d.LocalSecondaryIndexes ?? []).map((l) => ({
      IndexName: l.IndexName!,
      KeySchema: keySchema(l.KeySchema),
      Projection: { ...(l.Projection ?? { ProjectionType: 'ALL' }) },
    })),
    billingMode: billingMode as TableSchema['billingMode'],
    ...(billingMode === 'PROVISIONED' && pt
      ? { provisionedThroughput: { ReadCapacityUnits: pt.ReadCapacityUnits ?? 1, WriteCapacityUnits: pt.WriteCapacityUnits ?? 1 } }
      : {}),
    ...(ttlAttribute ? { ttlAttribute } : {}),
    ...(d.StreamSpecification
      ? { stream: { StreamEnabled: Boolean(d.StreamSpecification.StreamEnabled), StreamViewType: d.StreamSpecification.StreamViewType } }
      : {}),
    ...(d.TableArn ? { tableArn: d.TableArn } : {}),
  };
}
