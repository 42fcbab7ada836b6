/**
 * The backup slots in the production stack: the state table, the event time in every backup
 * schedule's input, and the least grants on the table (lambda/backup/slot.ts needs PutItem,
 * GetItem, UpdateItem only).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { ProductionStack } from '../../lib/stacks/production-stack';
import { build } from './app-fixture';

let stack: ProductionStack;
let t: Template;
beforeAll(() => {
  const built = build();
  stack = built.stacks.production;
  t = built.production;
});

const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

describe('backup slots: state table', () => {
  it('is <app>-dr-state, on-demand, PITR, encrypted, deletion-protected, TTL on expiresAt, kept on update or delete', () => {
    const tables = t.findResources('AWS::DynamoDB::Table', { Properties: { TableName: 'shop-dr-state' } });
    expect(Object.keys(tables)).toHaveLength(1);
    const [table] = Object.values(tables);
    expect(table).toMatchObject({
      // RETAIN_ON_UPDATE_OR_DELETE: a rolled-back first create leaves no table that blocks the retry.
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
    expect(table.Properties.ProvisionedThroughput).toBeUndefined();
    // Issue 18 item 6: protection comes from Custom::TableDeletionProtection after create, so a failed first deploy rolls back.
    expect(table.Properties.DeletionProtectionEnabled).toBeUndefined();
  });

  it('is passed as STATE_TABLE to the backup function and the export finalizer, with the backup key for native exports', () => {
    const tableRef = { Ref: logicalId(stack.slotTable.table) };
    const env = (fn: { function: { node: { defaultChild?: unknown } } }) =>
      t.toJSON().Resources[stack.getLogicalId(fn.function.node.defaultChild as never)].Properties.Environment.Variables;
    expect(env(stack.backupFunction)).toMatchObject({ STATE_TABLE: tableRef, EXPORT_KMS_KEY_ARN: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
    expect(env(stack.exportFinalizer)).toMatchObject({ STATE_TABLE: tableRef });
  });

  it('grants exactly PutItem, GetItem and UpdateItem on it, to the three runners only (backup, export finalizer, incremental exports)', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(stack.slotTable.table), 'Arn'] };
    const grants: { policy: string; actions: string[] }[] = [];
    for (const [id, p] of Object.entries(t.findResources('AWS::IAM::Policy'))) {
      for (const s of p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        const resources = ([] as unknown[]).concat(s.Resource);
        if (resources.some((r) => JSON.stringify(r).includes(JSON.stringify(tableArn))))
          grants.push({ policy: id, actions: ([] as string[]).concat(s.Action).sort() });
      }
    }
    // Besides the two runners: the deletion-protection custom resource's role (issue 18 item 6), table settings only.
    const protection = grants.filter((g) => g.policy.startsWith('TableDeletionProtectionHandlerRole'));
    expect(protection.map((g) => g.actions)).toEqual([['dynamodb:DescribeTable', 'dynamodb:UpdateTable']]);
    const runners = grants.filter((g) => !protection.includes(g));
    // The incremental-export function claims each window as a slot (issue 19, kind 'window').
    expect(runners.map((g) => g.policy.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'BackupFunctionRoleDefaultPolicy',
      'ExportFinalizerRoleDefaultPolicy',
      expect.stringMatching(/^IncrementalExports.*RoleDefaultPolicy$/),
    ]);
    for (const g of runners) expect(g.actions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });
});

describe('backup slots: schedules pass the event time', () => {
  it('every backup rule sends {"tier", "time": <aws.events.event.time>} (an input transformer), never a constant event', () => {
    const fnArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.backupFunction.function.node.defaultChild as never), 'Arn'] };
    const rules = Object.values(t.findResources('AWS::Events::Rule')).filter((r) =>
      (r.Properties.Targets as { Arn: unknown }[]).some((x) => JSON.stringify(x.Arn) === JSON.stringify(fnArn)),
    );
    expect(rules).toHaveLength(3);
    const tiers = rules.map((r) => {
      const target = r.Properties.Targets[0];
      expect(target.Input).toBeUndefined();
      expect(target.InputTransformer.InputPathsMap).toEqual({ time: '$.time' });
      const template = String(target.InputTransformer.InputTemplate).replace('<time>', '"2026-11-23T02:00:00Z"');
      const event = JSON.parse(template) as { tier: string; time: string };
      expect(event.time).toBe('2026-11-23T02:00:00Z');
      return event.tier;
    });
    expect(tiers.sort()).toEqual(['daily', 'monthly', 'weekly']);
    t.hasResourceProperties('AWS::Events::Rule', { Targets: Match.arrayWith([Match.objectLike({ InputTransformer: Match.anyValue() })]) });
  });
});
