import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DrFunction } from './dr-function';
import { FunctionSchedule } from './function-schedule';
import type { SlotTable } from './slot-table';

/** Props of {@link IncrementalExports}. */
export interface IncrementalExportsProps {
  readonly appName: string;
  /** Tables with a chain, and their interval in minutes (config: `incremental`). */
  readonly tables: readonly { readonly name: string; readonly intervalMinutes: number }[];
  /** The backup bucket: windows go under `backups/incremental/`. */
  readonly bucket: s3.IBucket;
  /** The backup key: the exports encrypt with it, and the function reads them back. */
  readonly key: kms.IKey;
  /** The slots' state table: each window is a slot. */
  readonly slots: SlotTable;
}

/**
 * The chain of incremental exports: a function (lambda/handlers/incremental-export.ts), one
 * EventBridge schedule per distinct interval that exports the due windows, and one every 5
 * minutes that commits the finished ones. Its role may start and follow exports of the chained
 * tables only, and write only under `backups/incremental/`.
 */
export class IncrementalExports extends Construct {
  /** The function. */
  public readonly function: DrFunction;
  /** The schedules: one per interval, then the finalizing one. */
  public readonly schedule: FunctionSchedule;
  /** Names of the chained tables. */
  public readonly tables: readonly string[];

  constructor(scope: Construct, id: string, props: IncrementalExportsProps) {
    super(scope, id);
    if (props.tables.length === 0) throw new Error('IncrementalExports needs at least one table with "incremental" (config tables[].incremental)');
    const stack = Stack.of(this);
    this.tables = props.tables.map((t) => t.name);
    const tableArnPrefix = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '' });
    const fn = (this.function = new DrFunction(this, 'Function', {
      entry: 'lambda/handlers/incremental-export.ts',
      description: `${props.appName}: exports and commits the windows of the tables' incremental export chains`,
      timeout: Duration.minutes(5),
      environment: {
        BACKUP_BUCKET: props.bucket.bucketName,
        STATE_TABLE: props.slots.table.tableName,
        TABLE_ARN_PREFIX: tableArnPrefix,
        EXPORT_KMS_KEY_ARN: props.key.keyArn,
      },
    }));
    const tableArns = props.tables.map((t) => stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: t.name }));
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'StartWindowExports', actions: ['dynamodb:ExportTableToPointInTime'], resources: tableArns }));
    fn.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'FollowWindowExports', actions: ['dynamodb:DescribeExport'], resources: tableArns.map((a) => `${a}/export/*`) }),
    );
    // The catalog (base full sets) is read under backups/; windows are written under backups/incremental/.
    // The export writes as the caller: the DynamoDB docs ask for PutObject, PutObjectAcl and AbortMultipartUpload.
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListBackups', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadBackups', actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects('backups/*')] }));
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteWindows',
        actions: ['s3:PutObject', 's3:PutObjectAcl', 's3:AbortMultipartUpload'],
        resources: [props.bucket.arnForObjects('backups/incremental/*')],
      }),
    );
    fn.grantKeyUse(props.key, 'read-write');
    props.slots.grantSlots(fn.role);
    const intervals = [...new Set(props.tables.map((t) => t.intervalMinutes))].sort((a, b) => a - b);
    this.schedule = new FunctionSchedule(this, 'Schedule', {
      function: fn.function,
      deadLetterQueue: fn.deadLetterQueue,
      invocations: [
        ...intervals.map((minutes) => ({
          name: `Every${minutes}Minutes`,
          schedule: `rate(${minutes} minutes)`,
          input: {
            action: 'export',
            intervalMinutes: minutes,
            tables: props.tables.filter((t) => t.intervalMinutes === minutes).map((t) => t.name),
            time: events.EventField.time,
          },
        })),
        {
          name: 'Finalize',
          schedule: 'rate(5 minutes)',
          input: { action: 'finalize', intervals: Object.fromEntries(props.tables.map((t) => [t.name, t.intervalMinutes])) },
        },
      ],
    });
  }
}
