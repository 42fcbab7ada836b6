/**
 * Issue 18 item 6: a failed first deploy rolls back and can be retried. The tables the stack
 * creates are RetainExceptOnCreate (a rolled-back create deletes them); deletion protection is
 * switched on by `Custom::TableDeletionProtection` once each table exists and off only while a
 * rollback deletes it. DynamoDB and CloudFormation are mocked (no emulator has stack states).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { Match } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { apply, FAILED_CREATE_MARKER, type DeletionProtectionEvent } from '../../lib/custom-resources/deletion-protection/handler';
import { build, type Built } from './app-fixture';

describe('template: no table is protected before the stack has created it', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });
  const tables = () => Object.entries(built.production.findResources('AWS::DynamoDB::Table'));

  test('no RetainExceptOnCreate table carries DeletionProtectionEnabled: true (a rollback could not delete it)', () => {
    expect(tables().length).toBeGreaterThan(0);
    const blocking = tables().filter(([, r]) => r.DeletionPolicy === 'RetainExceptOnCreate' && r.Properties.DeletionProtectionEnabled === true);
    expect(blocking.map(([id]) => id)).toEqual([]);
  });
  test('every created table (config tables and <app>-dr-state) gets Custom::TableDeletionProtection naming it', () => {
    const protectedRefs = Object.values(built.production.findResources('Custom::TableDeletionProtection')).map((r) => r.Properties.TableName.Ref);
    expect(protectedRefs.sort()).toEqual(
      tables()
        .map(([id]) => id)
        .sort(),
    );
  });
  test("the handler may read its own stack's status and update only the tables it protects", () => {
    built.production.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'ReadOwnStackStatus', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } }),
        ]),
      },
    });
  });
});

describe('Custom::TableDeletionProtection handler (mocked DynamoDB and CloudFormation)', () => {
  const ddb = mockClient(DynamoDBClient);
  const cfn = mockClient(CloudFormationClient);
  const clients = { dynamodb: new DynamoDBClient({ region: 'eu-west-1' }), cloudformation: new CloudFormationClient({ region: 'eu-west-1' }) };
  const event = (RequestType: DeletionProtectionEvent['RequestType'], PhysicalResourceId?: string): DeletionProtectionEvent => ({
    RequestType,
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Shop-Production/00000000-0000-4000-8000-000000000000',
    RequestId: 'req',
    LogicalResourceId: 'OrdersDeletionProtection',
    PhysicalResourceId: PhysicalResourceId ?? (RequestType === 'Create' ? undefined : 'orders-deletion-protection'),
    ResourceProperties: { TableName: 'orders' },
  });
  const updates = () => ddb.commandCalls(UpdateTableCommand).map((c) => c.args[0].input);
  const stackIs = (StackStatus: string) =>
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Shop-Production', StackStatus: StackStatus as never, CreationTime: new Date() }] });
  beforeEach(() => {
    ddb.reset();
    cfn.reset();
  });

  test('Create: once the table is ACTIVE, switches deletion protection on', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableName: 'orders', TableStatus: 'ACTIVE', DeletionProtectionEnabled: false } });
    expect(await apply(clients, event('Create'))).toBe('orders-deletion-protection');
    expect(updates()).toEqual([{ TableName: 'orders', DeletionProtectionEnabled: true }]);
  });
  test('Delete during ROLLBACK_IN_PROGRESS (a failed first deploy) switches it off, so the rollback can delete the table it created', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableName: 'orders', TableStatus: 'ACTIVE', DeletionProtectionEnabled: true } });
    stackIs('ROLLBACK_IN_PROGRESS');
    await apply(clients, event('Delete'));
    expect(updates()).toEqual([{ TableName: 'orders', DeletionProtectionEnabled: false }]);
  });
  test('Delete during UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS (a failed update that added the table) switches it off', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableName: 'orders', TableStatus: 'ACTIVE', DeletionProtectionEnabled: true } });
    stackIs('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    await apply(clients, event('Delete'));
    expect(updates()).toEqual([{ TableName: 'orders', DeletionProtectionEnabled: false }]);
  });
  test.each(['DELETE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'])('Delete during %s (the table is retained) leaves protection on', async (status) => {
    stackIs(status);
    await apply(clients, event('Delete'));
    expect(updates()).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
  });
  test('the Delete of a failed Create (marker physical id) sends nothing', async () => {
    await apply(clients, event('Delete', `${FAILED_CREATE_MARKER}orders`));
    expect(cfn.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });
  test('a rollback Delete of a table already gone is done', async () => {
    ddb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    stackIs('ROLLBACK_IN_PROGRESS');
    await expect(apply(clients, event('Delete'))).resolves.toBe('orders-deletion-protection');
  });
});
