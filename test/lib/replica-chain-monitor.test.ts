/**
 * The replica monitor's chain age in the stacks: a critical alarm per chained table against its
 * RPO, and the dashboard's RPO-per-table widget against the targets (construct-level stacks, no app synth).
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlertTopics } from '../../lib/constructs/alert-topics';
import { DrDashboard } from '../../lib/constructs/dr-dashboard';
import { RecoveryAlarms } from '../../lib/constructs/recovery-alarms';
import { chainTargets } from '../../lib/stacks/targets';
import { loadConfig } from '../../lib/config';
import * as path from 'node:path';

const chains = [
  { table: 'orders', rpoMinutes: 60 },
  { table: 'users', rpoMinutes: 60 },
];

test('the shipped config holds its four chained tables to RPO 60', () => {
  expect(chainTargets(loadConfig(path.join(__dirname, '../../dr.config.json')))).toEqual(
    ['inventory', 'orders', 'order_items', 'users'].map((table) => ({ table, rpoMinutes: 60 })),
  );
});

test('one critical alarm per chained table on its ReplicaChainAgeMinutes above its RPO, missing data breaching', () => {
  const stack = new Stack();
  const topics = new AlertTopics(stack, 'Topics', { appName: 'shop', regionLabel: 'recovery', critical: {}, warning: {} });
  new RecoveryAlarms(stack, 'Alarms', { app: 'shop', topics, rpoMinutes: 1440, restoreTests: false, chains });
  const t = Template.fromStack(stack);
  for (const { table, name } of chains.map((c) => ({ ...c, name: c.table === 'orders' ? 'Orders' : 'Users' })))
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `shop-${name}-ReplicaChainStale-Critical`,
      MetricName: 'ReplicaChainAgeMinutes',
      Dimensions: Match.arrayWith([
        { Name: 'App', Value: 'shop' },
        { Name: 'Table', Value: table },
      ]),
      Statistic: 'Maximum',
      Threshold: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('TopicsCritical') }],
    });
  expect(Object.keys(t.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(3);
});

test('no chained table, no chain alarm', () => {
  const stack = new Stack();
  const topics = new AlertTopics(stack, 'Topics', { appName: 'shop', regionLabel: 'recovery', critical: {}, warning: {} });
  new RecoveryAlarms(stack, 'Alarms', { app: 'shop', topics, rpoMinutes: 1440, restoreTests: false });
  Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 1);
});

test("the dashboard draws each chained table's replica age against its RPO, from the recovery region", () => {
  const stack = new Stack();
  new DrDashboard(stack, 'Dashboard', { app: 'shop', rpoMinutes: 1440, rtoMinutes: 240, tables: ['orders', 'users'], recoveryRegion: 'eu-central-1', chains });
  const dashboard = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'))[0];
  // The body is a Fn::Join of strings and the region's Ref: read with the Ref as a plain string.
  const parts = dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[];
  const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REGION')).join('')) as {
    widgets: { properties: { title: string; metrics?: unknown[][]; annotations?: { horizontal: { value: number; label: string }[] } } }[];
  };
  const widget = body.widgets.find((w) => w.properties.title.startsWith('RPO across regions per chained table'))!.properties;
  expect(widget.metrics).toEqual(
    chains.map((c) => [
      'DrStack',
      'ReplicaChainAgeMinutes',
      'App',
      'shop',
      'Table',
      c.table,
      { label: c.table, region: 'eu-central-1', period: 3600, stat: 'Maximum' },
    ]),
  );
  expect(widget.annotations?.horizontal).toEqual([expect.objectContaining({ value: 60, label: 'RPO 60 min (orders, users)' })]);
});
