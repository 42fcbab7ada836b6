import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { TableConfig } from '../config';
import { TableDeletionProtection } from './table-deletion-protection';

/** Props of {@link ProtectedTables}. */
export interface ProtectedTablesProps {
  /** The tables of the config: `existing: false` ones are created, `existing: true` ones get PITR. */
  readonly tables: readonly TableConfig[];
  /**
   * What happens to created tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except when the create itself rolls back: a retry would otherwise fail with "already exists")
   */
  readonly removalPolicy?: RemovalPolicy;
}

const ATTRIBUTE_TYPES: Record<'S' | 'N' | 'B', dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

/**
 * The DynamoDB tables under protection. Created tables get point-in-time recovery, deletion
 * protection (switched on after create: {@link TableDeletionProtection}), RETAIN and their GSIs/TTL; existing tables get PITR switched on through
 * UpdateContinuousBackups (left on when the stack is deleted).
 */
export class ProtectedTables extends Construct {
  /** Every table, by name: created ones and imported existing ones. */
  public readonly tables: ReadonlyMap<string, dynamodb.ITable>;
  /** Log group of the AwsCustomResource provider that turns PITR on, when a table is existing. */
  public pitrLogGroup?: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ProtectedTablesProps) {
    super(scope, id);
    if (props.tables.length === 0) throw new Error('ProtectedTables needs at least one table (config "tables")');
    const tables = new Map<string, dynamodb.ITable>();
    for (const t of props.tables) {
      const cid = constructId(t.name);
      // PITR stays off only where the config names it ("pointInTimeRecovery": false).
      const existing = () => (t.pointInTimeRecovery ? this.enablePitr(cid, t.name) : dynamodb.Table.fromTableName(this, cid, t.name));
      tables.set(t.name, t.existing ? existing() : this.createTable(cid, t, props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE));
    }
    this.tables = tables;
  }

  private createTable(id: string, t: TableConfig, removalPolicy: RemovalPolicy): dynamodb.Table {
    if (!t.partitionKey) {
      throw new Error(`table "${t.name}" is created by the stack and needs a partitionKey; or set "existing": true`);
    }
    const table = new dynamodb.Table(this, id, {
      tableName: t.name,
      partitionKey: { name: t.partitionKey.name, type: ATTRIBUTE_TYPES[t.partitionKey.type] },
      sortKey: t.sortKey ? { name: t.sortKey.name, type: ATTRIBUTE_TYPES[t.sortKey.type] } : undefined,
      billingMode: t.billingMode === 'PROVISIONED' ? dynamodb.BillingMode.PROVISIONED : dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: t.pointInTimeRecovery },
      // Deletion protection comes from TableDeletionProtection once the table exists, so that a
      // failed first deploy can roll back (it deletes what it created) and be retried.
      timeToLiveAttribute: t.timeToLiveAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    TableDeletionProtection.of(this).protect(table);
    for (const gsi of t.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey.name, type: ATTRIBUTE_TYPES[gsi.partitionKey.type] },
        sortKey: gsi.sortKey ? { name: gsi.sortKey.name, type: ATTRIBUTE_TYPES[gsi.sortKey.type] } : undefined,
      });
    }
    return table;
  }

  private enablePitr(id: string, tableName: string): dynamodb.ITable {
    const table = dynamodb.Table.fromTableName(this, id, tableName);
    const call: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'UpdateContinuousBackups',
      parameters: { TableName: tableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
      physicalResourceId: cr.PhysicalResourceId.of(`${tableName}-pitr`),
    };
    // The provider Lambda is a singleton per stack: the first AwsCustomResource's logGroup is
    // the one it logs to, with retention (without it, /aws/lambda/... would never expire).
    this.pitrLogGroup ??= new logs.LogGroup(this, 'PitrProviderLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    new cr.AwsCustomResource(this, `${id}Pitr`, {
      logGroup: this.pitrLogGroup,
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['dynamodb:UpdateContinuousBackups'],
          resources: [Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName })],
        }),
      ]),
      installLatestAwsSdk: false,
    });
    return table;
  }
}

/** `order_items` -> `OrderItems`: table names may hold characters construct ids read badly. */
export function constructId(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
