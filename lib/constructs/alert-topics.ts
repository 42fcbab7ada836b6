import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from './alarm-naming';
import { EncryptionKey } from './encryption-key';

/** Who is told, per severity. */
export interface Recipients {
  /** Email addresses (each must confirm the subscription). @default - none */
  readonly emails?: readonly string[];
  /** Phone numbers in E.164 form. @default - none */
  readonly sms?: readonly string[];
  /** HTTPS endpoints (PagerDuty / Opsgenie integrations). @default - none */
  readonly https?: readonly string[];
}

/** Props of {@link AlertTopics}. */
export interface AlertTopicsProps {
  /** Topic name prefix (the config's appName). */
  readonly appName: string;
  /** Region suffix of the topic names, so both regions' topics read apart. */
  readonly regionLabel: string;
  /** Recipients of `critical` (pages). */
  readonly critical: Recipients;
  /** Recipients of `warning` (notifies). */
  readonly warning: Recipients;
}

/**
 * The `critical` and `warning` SNS topics, encrypted with a customer-managed key whose policy
 * lets CloudWatch alarms publish, with the subscriptions of the config.
 *
 * Each topic's policy holds the SSL-only Deny (`enforceSSL`) AND an explicit Allow for
 * `cloudwatch.amazonaws.com` to `sns:Publish`: a topic policy replaces SNS's default policy,
 * so with the Deny alone no alarm could publish ("not authorized to perform SNS:Publish" in
 * the alarm history, and nobody is paged). The Allow is limited to this account's alarms in
 * this region (`aws:SourceAccount`, `aws:SourceArn`), as the SNS and CloudWatch docs advise
 * against the confused deputy.
 */
export class AlertTopics extends Construct {
  /** Pages on-call. */
  public readonly critical: sns.Topic;
  /** Notifies the team. */
  public readonly warning: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    const key = new EncryptionKey(this, 'Key', {
      alias: `${props.appName}-dr-alerts-${props.regionLabel}`,
      description: `${props.appName} DR alert topics`,
      // EventBridge publishes the tamper pages (lockdown): SNS encrypts each message with this key
      // on the publisher's behalf, so without the key grant EventBridge's publish fails and
      // nobody is paged (AWS re:Post "sns-not-getting-eventbridge-notification").
      servicePrincipals: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'],
    }).key;
    this.critical = this.topic('Critical', `${props.appName}-dr-critical-${props.regionLabel}`, key, props.critical, props.appName);
    this.warning = this.topic('Warning', `${props.appName}-dr-warning-${props.regionLabel}`, key, props.warning, props.appName);
  }

  /** Sends the alarm (and its recovery) to the topic of its severity. */
  route(alarm: cloudwatch.Alarm, severity: Severity): void {
    const action = new actions.SnsAction(severity === 'Critical' ? this.critical : this.warning);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }

  private topic(id: string, topicName: string, key: EncryptionKey['key'], r: Recipients, appName: string): sns.Topic {
    const topic = new sns.Topic(this, id, { topicName, displayName: topicName, masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(cloudWatchMayPublish(topic));
    topic.addToResourcePolicy(eventRulesMayPublish(topic, appName));
    for (const email of r.emails ?? []) topic.addSubscription(new subs.EmailSubscription(email));
    for (const phone of r.sms ?? []) topic.addSubscription(new subs.SmsSubscription(phone));
    for (const url of r.https ?? []) {
      if (!url.startsWith('https://')) throw new Error(`AlertTopics ${id.toLowerCase()} https endpoint "${url}" must start with https://`);
      topic.addSubscription(new subs.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
    }
    return topic;
  }
}

/** The topic-policy statement that lets this account's CloudWatch alarms (this region) publish. */
export function cloudWatchMayPublish(topic: sns.ITopic): iam.PolicyStatement {
  const stack = Stack.of(topic);
  return new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToPublish',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
    },
  });
}

/**
 * The topic-policy statement that lets this app's EventBridge rules (this account and region,
 * rules named `<app>-*`) publish: the tamper pages. TamperPages binds its rules to the topic by
 * ARN, so no broader statement is added beside this one.
 */
export function eventRulesMayPublish(topic: sns.ITopic, appName: string): iam.PolicyStatement {
  const stack = Stack.of(topic);
  return new iam.PolicyStatement({
    sid: 'AllowEventRulesToPublish',
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/${appName}-*` },
    },
  });
}
