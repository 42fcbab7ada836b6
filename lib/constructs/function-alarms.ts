import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { Severity } from './alarm-naming';
import type { AlertTopics } from './alert-topics';
import { severityAlarm } from './dr-metrics';
import type { DrFunction } from './dr-function';

/** Props of {@link FunctionAlarms}. */
export interface FunctionAlarmsProps {
  /** App name (alarm name prefix). */
  readonly app: string;
  /** Topics to route to. */
  readonly topics: AlertTopics;
  /** Subject of the alarm names, e.g. `BackupFunction`. */
  readonly name: string;
  /** The function watched. */
  readonly function: DrFunction;
  /** Severity of both alarms. @default 'Critical' */
  readonly severity?: Severity;
}

/** Alarms on a {@link DrFunction}: Lambda errors, and its dead-letter queue not empty. */
export class FunctionAlarms extends Construct {
  /** Lambda Errors >= 1 in 5 minutes. */
  public readonly errors: cloudwatch.Alarm;
  /** Messages visible in the DLQ. */
  public readonly deadLetters: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    const severity = props.severity ?? 'Critical';
    this.errors = severityAlarm(this, props.topics, {
      app: props.app,
      what: `${props.name}-Errors`,
      severity,
      metric: props.function.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description: `${props.name} threw. Read its log group ${props.function.logGroup.logGroupName}; scheduled runs are retried, then land in the DLQ.`,
    });
    this.deadLetters = severityAlarm(this, props.topics, {
      app: props.app,
      what: `${props.name}-DeadLetters`,
      severity,
      metric: props.function.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `${props.name} invocations failed after every retry and wait in its dead-letter queue; fix the cause, then re-run (dr backup) and purge the queue.`,
    });
  }
}
