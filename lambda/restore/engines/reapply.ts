/**
 * What ImportTable and bulk put do not carry, put back once the data is in. ImportTable's
 * TableCreationParameters hold keys, GSIs, billing mode, throughput and SSE only (API reference,
 * TableCreationParameters): TTL, point-in-time recovery, deletion protection, tags and streams
 * are not part of it. A bulk put writes items into a table as it is: a GSI of the saved schema
 * the existing table lacks is created afterwards (never before: "You cannot start an operation
 * while the table is creating a secondary index", BulkPutItems.Considerations).
 *
 * Calls an emulator does not support become warnings (tryOptional), as on the write path.
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  TagResourceCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableSchema } from '../../format/backup-set';
import { createTableInput, protectTable, tryOptional } from '../tables';
import type { RestoreEngineName } from './engine-types';

/** What {@link reapplySettings} is asked to do. */
export interface ReapplyOptions {
  readonly engine: RestoreEngineName;
  /** PITR and deletion protection (new tables unless the caller turns it off). */
  readonly protect: boolean;
  /** Tags added to the saved ones, e.g. where the data came from. */
  readonly extraTags?: { Key: string; Value: string }[];
  /**
   * The restore created the table (not --into-existing): the write engine puts the saved TTL and
   * tags on it here, after the data, so a resumed restore sets them too.
   * @default false
   */
  readonly newTable?: boolean;
}

/** What was set, for the report, and the warnings of calls the endpoint refused. */
export interface ReapplyResult {
  readonly applied: string[];
  readonly warnings: string[];
}

/** TTL as saved, unless already on. */
async function reapplyTtl(dynamodb: DynamoDBClient, table: string, schema: TableSchema, r: { applied: string[]; warnings: string[] }): Promise<void> {
  if (!schema.ttlAttribute) return;
  await tryOptional(r.warnings, `TTL on "${table}"`, async () => {
    const ttl = (await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;
    if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: schema.ttlAttribute! } }));
    r.applied.push(`TTL on ${schema.ttlAttribute}`);
  });
}

/** GSIs of the saved schema the table lacks (bulk put into an existing table), created now. */
async function reapplyIndexes(dynamodb: DynamoDBClient, table: string, schema: TableSchema, r: { applied: string[]; warnings: string[] }): Promise<void> {
  const desc = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table;
  const have = new Set((desc?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
  const wanted = createTableInput(table, schema).GlobalSecondaryIndexes ?? [];
  for (const g of wanted.filter((x) => !have.has(x.IndexName))) {
    // One index per UpdateTable call (DynamoDB's rule); it backfills from the items now in the table.
    await tryOptional(r.warnings, `index "${g.IndexName}" on "${table}"`, async () => {
      await dynamodb.send(
        new UpdateTableCommand({ TableName: table, AttributeDefinitions: schema.attributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: g }] }),
      );
      r.applied.push(`index ${g.IndexName} (building)`);
      r.warnings.push(`index "${g.IndexName}" of the saved schema was missing on "${table}": created, DynamoDB is backfilling it`);
    });
  }
}

/** Tags saved with the schema plus `extraTags`. */
async function reapplyTags(
  dynamodb: DynamoDBClient,
  table: string,
  schema: TableSchema,
  extra: { Key: string; Value: string }[],
  r: { applied: string[]; warnings: string[] },
): Promise<void> {
  const tags = [...(schema.tags ?? []), ...extra];
  if (!tags.length) return;
  await tryOptional(r.warnings, `tags on "${table}"`, async () => {
    const arn = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableArn;
    if (!arn) throw new Error(`DescribeTable "${table}" returned no TableArn`);
    await dynamodb.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }));
    r.applied.push(`${tags.length} tag(s)`);
  });
}

/**
 * Re-applies what the engine did not set, each step idempotent (a resumed restore runs it again).
 * `write`: on a table it created TTL and tags (the stream came with CreateTable), then PITR and
 * deletion protection; `import`: TTL, tags, PITR, deletion protection; `bulk`: TTL and missing
 * GSIs (an existing table keeps its own protection and tags).
 */
export async function reapplySettings(dynamodb: DynamoDBClient, table: string, schema: TableSchema, opts: ReapplyOptions): Promise<ReapplyResult> {
  const r = { applied: [] as string[], warnings: [] as string[] };
  const ownTable = opts.engine === 'import' || (opts.engine === 'write' && opts.newTable === true);
  if (opts.engine !== 'write' || ownTable) await reapplyTtl(dynamodb, table, schema, r);
  if (opts.engine === 'bulk') await reapplyIndexes(dynamodb, table, schema, r);
  if (ownTable) await reapplyTags(dynamodb, table, schema, opts.extraTags ?? [], r);
  if (opts.protect) {
    const w = await protectTable(dynamodb, table);
    r.warnings.push(...w);
    if (!w.length) r.applied.push('point-in-time recovery and deletion protection');
  }
  return r;
}
