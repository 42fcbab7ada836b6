/**
 * The alarm `dr doctor --page-test` pages through: one per region, named exactly as the CLI and
 * the operator policy name it, routed to that region's critical topic, never breaching by itself.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { pageTestAlarmName } from '../../lib/constructs/alarm-naming';
import { AlertTopics } from '../../lib/constructs/alert-topics';
import { PAGE_TEST_METRIC_NAME, PageTestAlarm } from '../../lib/constructs/page-test-alarm';
import { build, testApp, type Built } from './app-fixture';

let built: Built;
beforeAll(() => {
  built = build();
});

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

test('the page-test alarm is named <app>-doctor-page-test-Critical', () => {
  expect(pageTestAlarmName('shop')).toBe('shop-doctor-page-test-Critical');
});

for (const which of ['production', 'recovery'] as const) {
  test(`the ${which} stack has the page-test alarm, alarm and OK actions on its critical topic`, () => {
    const stack = built.stacks[which];
    const alarms = built[which].findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'shop-doctor-page-test-Critical' } });
    const found = Object.values(alarms);
    expect(found).toHaveLength(1);
    const critical = { Ref: logicalId(stack, stack.alerts.critical) };
    expect(found[0].Properties).toMatchObject({
      AlarmActions: [critical],
      OKActions: [critical],
      MetricName: PAGE_TEST_METRIC_NAME,
      Namespace: 'DrStack',
      TreatMissingData: 'notBreaching',
    });
  });
}

test('the page-test alarm cannot breach on its own: threshold 1 on a metric nothing emits, missing data not breaching', () => {
  // Missing data is NOT_BREACHING: with no datapoint ever, CloudWatch keeps (or returns) it to OK.
  const stack = new Stack(testApp(), 'S', { env: { region: 'eu-west-1', account: '123456789012' } });
  const topics = new AlertTopics(stack, 'Alerts', { appName: 'shop', regionLabel: 'primary', critical: { emails: ['a@example.com'] }, warning: {} });
  new PageTestAlarm(stack, 'PageTest', { app: 'shop', topics });
  Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: 'shop-doctor-page-test-Critical',
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    Dimensions: [{ Name: 'App', Value: 'shop' }],
  });
});
