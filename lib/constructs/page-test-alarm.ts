import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { Dimension, METRIC_NAMESPACE } from '../../lambda/shared/metrics';
import { pageTestAlarmName } from './alarm-naming';
import type { AlertTopics } from './alert-topics';

/**
 * Metric of the page-test alarm. Nothing emits it: the alarm only changes state when
 * `dr doctor --page-test` sets it (SetAlarmState), and CloudWatch's next evaluation finds no
 * data, which NOT_BREACHING keeps OK.
 */
export const PAGE_TEST_METRIC_NAME = 'DoctorPageTestNeverEmitted';

/** Props of {@link PageTestAlarm}. */
export interface PageTestAlarmProps {
  /** App name: the `App` dimension and the alarm name prefix. */
  readonly app: string;
  /** The topics of this region; the alarm notifies `critical`, as a real page would. */
  readonly topics: AlertTopics;
}

/**
 * An alarm that never breaches by itself, routed to the critical topic like every page:
 * `dr doctor --page-test` sets it to ALARM and back to OK so on-call sees a real page travel
 * the whole path (alarm action, topic policy, topic key, subscriptions).
 */
export class PageTestAlarm extends Construct {
  /** The alarm, named `<app>-doctor-page-test-Critical`. */
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PageTestAlarmProps) {
    super(scope, id);
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: pageTestAlarmName(props.app),
      alarmDescription:
        'Test page sent by `dr doctor --page-test` (SetAlarmState to ALARM, then OK). No action needed: it proves the critical topic reaches on-call.',
      metric: new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName: PAGE_TEST_METRIC_NAME,
        dimensionsMap: { [Dimension.App]: props.app },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.topics.route(this.alarm, 'Critical');
  }
}
