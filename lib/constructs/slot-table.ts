import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TableDeletionProtection } from './table-deletion-protection';

/** Props of {@link SlotTable}. */
export interface SlotTableProps {
  /** Table name, e.g. `<app>-dr-state`. */
  readonly tableName: string;
  /**
   * What happens to the table when the stack deletes it.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE - kept, and a failed first create does not leave a table that blocks the retry
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The state table of the backup slots (lambda/backup/slot.ts): one small item per slot (a tier's
 * scheduled set; later each incremental window), claimed by a conditional PutItem before any
 * work. On-demand, PITR, encrypted, deletion protection; items expire by TTL (`expiresAt`).
 */
export class SlotTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: SlotTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      // Deletion protection from TableDeletionProtection once created: a failed first deploy rolls back and retries.
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    TableDeletionProtection.of(this).protect(this.table);
  }

  /** What a slot's runner needs: claim (PutItem), read (GetItem), renew, take over and settle (UpdateItem); nothing else. */
  grantSlots(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }
}
