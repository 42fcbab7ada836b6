import * as path from 'node:path';
import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';

/** Handler of `Custom::TableDeletionProtection` (bundled by esbuild like the DR functions). */
const HANDLER_ENTRY = path.join(__dirname, '..', 'custom-resources', 'deletion-protection', 'handler.ts');
const ID = 'TableDeletionProtection';

/**
 * Deletion protection for the tables a stack creates, switched on by a custom resource once the
 * stack has created each table, instead of `DeletionProtectionEnabled: true` in the template.
 *
 * Why: the tables are RetainExceptOnCreate, so a failed first deploy deletes them while rolling
 * back; DynamoDB refuses to delete a protected table, so protection in the template makes the
 * rollback leave them behind and the retry fail with "already exists". The custom resource turns
 * protection on after CREATE of the table, and turns it off only when CloudFormation deletes it
 * during ROLLBACK_IN_PROGRESS or UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS (the table is then
 * deleted by the same rollback); on a stack delete or a table removed from the config the table is
 * retained, protected (lib/custom-resources/deletion-protection/handler.ts).
 *
 * The property is left out of the template (not `false`), so a later stack update never sends
 * DeletionProtectionEnabled and cannot switch it off. One handler per stack ({@link of}).
 */
export class TableDeletionProtection extends Construct {
  /** The stack's one instance (created on first use). */
  static of(scope: IConstruct): TableDeletionProtection {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(ID) as TableDeletionProtection | undefined) ?? new TableDeletionProtection(stack, ID);
  }

  /** The function behind every `Custom::TableDeletionProtection` of the stack. */
  public readonly handler: nodejs.NodejsFunction;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom::TableDeletionProtection: deletion protection on once a table is created, off only while a rollback deletes it',
    });
    logGroup.grantWrite(role);
    // The stack's own status tells a rollback from a stack delete (DescribeStacks on the stack ARN).
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadOwnStackStatus', actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }));
    this.handler = new nodejs.NodejsFunction(this, 'Handler', {
      entry: HANDLER_ENTRY,
      handler: 'handler',
      description: 'Custom::TableDeletionProtection: deletion protection of the tables this stack creates',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // The Create waits up to 10 minutes for the table to be ACTIVE.
      timeout: Duration.minutes(12),
      role,
      logGroup,
      bundling: { forceDockerBundling: false, minify: true, target: 'node24', format: nodejs.OutputFormat.CJS, bundleAwsSDK: true },
    });
  }

  /** Protects `table` once the stack has created it. */
  protect(table: dynamodb.Table): CustomResource {
    // On the table only (table.grant would add its indexes, which these actions never touch).
    this.handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable', 'dynamodb:UpdateTable'], resources: [table.tableArn] }));
    const resource = new CustomResource(table, 'DeletionProtection', {
      serviceToken: this.handler.functionArn,
      resourceType: 'Custom::TableDeletionProtection',
      properties: { TableName: table.tableName },
    });
    // The role's policy must exist before the first request, and outlive the last (the rollback's Delete).
    resource.node.addDependency(this.handler.role!);
    return resource;
  }
}
