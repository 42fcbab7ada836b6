import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** One scheduled invocation. */
export interface ScheduledInvocation {
  /** Construct id suffix and rule description, e.g. `Daily`. */
  readonly name: string;
  /** EventBridge `cron(...)` or `rate(...)` expression. */
  readonly schedule: string;
  /**
   * Event handed to the function; values may be `events.EventField` paths of the scheduled event
   * (`events.EventField.time` sends its time, which fixes a backup's slot).
   * @default - the EventBridge scheduled event
   */
  readonly input?: Readonly<Record<string, unknown>>;
}

/** Props of {@link FunctionSchedule}. */
export interface FunctionScheduleProps {
  /** Function invoked. */
  readonly function: lambda.IFunction;
  /** Schedules. */
  readonly invocations: readonly ScheduledInvocation[];
  /** Where EventBridge puts events it could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Delivery retries by EventBridge. @default 3 */
  readonly retryAttempts?: number;
}

/** EventBridge rules invoking one function on schedules, with retries and a dead-letter queue. */
export class FunctionSchedule extends Construct {
  /** The rules, in the order of `invocations`. */
  public readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: FunctionScheduleProps) {
    super(scope, id);
    if (props.invocations.length === 0) throw new Error('FunctionSchedule needs at least one invocation');
    this.rules = props.invocations.map((inv) => {
      if (!/^(cron|rate)\(.+\)$/.test(inv.schedule)) {
        throw new Error(`FunctionSchedule ${inv.name} schedule "${inv.schedule}" must be "cron(...)" or "rate(...)"`);
      }
      return new events.Rule(this, inv.name, {
        description: `${inv.name} invocation`,
        schedule: events.Schedule.expression(inv.schedule),
        targets: [
          new targets.LambdaFunction(props.function, {
            event: inv.input ? events.RuleTargetInput.fromObject(inv.input) : undefined,
            retryAttempts: props.retryAttempts ?? 3,
            maxEventAge: Duration.hours(2),
            deadLetterQueue: props.deadLetterQueue,
          }),
        ],
      });
    });
  }
}
