/**
 * The infrastructure checks of `dr doctor`: stacks, PITR, buckets, replication, topics. Each is a
 * plain function from clients and names to one {@link CheckResult}; read-only calls only.
 */
import { DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeContinuousBackupsCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketReplicationCommand, GetBucketVersioningCommand, GetObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, type Subscription } from '@aws-sdk/client-sns';
import type { DrConfig } from '../../lib/config';
import { awsSaid, CheckResult, fail, isError, pass, warn } from './result';
import type { RegionClients, TopicTarget } from './target';
import { cloudWatchCanPublish } from './topic-policy';

const DEPLOY = 'deploy both stacks: npx cdk deploy --all (docs/deploy.md, "Before the first deploy")';

/** A stack as DescribeStacks returns it, or undefined when it does not exist. */
export async function describeStack(clients: RegionClients, name: string): Promise<Stack | undefined> {
  try {
    return (await clients.cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (e) {
    // CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist".
    if (isError(e, 'ValidationError') && /does not exist/.test((e as Error).message)) return undefined;
    throw e;
  }
}

/**
 * Deployed and settled: `*_COMPLETE` without `ROLLBACK` (a rolled-back update leaves the old
 * template running; a rolled-back create leaves nothing usable). `*_IN_PROGRESS` is a WARN.
 */
export function stackCheck(check: string, stack: Stack | undefined, region: string): CheckResult {
  if (!stack) return fail(check, `no stack of that name in ${region}`, DEPLOY);
  const status = stack.StackStatus ?? 'UNKNOWN';
  const reason = stack.StackStatusReason ? ` (${stack.StackStatusReason})` : '';
  const events = `read why: aws cloudformation describe-stack-events --stack-name ${stack.StackName} --region ${region}`;
  if (status === 'ROLLBACK_COMPLETE')
    return fail(
      check,
      `${status}: the first deploy failed and was rolled back${reason}`,
      `${events}; fix the cause, delete the stack (a rolled-back create can only be deleted) and deploy again`,
    );
  if (/ROLLBACK|FAILED/.test(status))
    return fail(check, `${status}: the last deploy failed${reason}`, `${events}; fix the cause and run npx cdk deploy --all again`);
  if (status.endsWith('_IN_PROGRESS')) return warn(check, `${status}: a deploy is running`, 'wait for it to finish, then run dr doctor again');
  if (status.endsWith('_COMPLETE')) return pass(check, `${status}, last change ${(stack.LastUpdatedTime ?? stack.CreationTime)?.toISOString() ?? 'unknown'}`);
  return fail(check, `unexpected status ${status}${reason}`, DEPLOY);
}

/** Point-in-time recovery on (DescribeContinuousBackups). */
export async function pitrCheck(clients: RegionClients, table: string): Promise<CheckResult> {
  const check = `PITR ${table}`;
  try {
    const res = await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: table }));
    const pitr = res.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
    if (pitr?.PointInTimeRecoveryStatus === 'ENABLED')
      return pass(check, `enabled, restorable from ${pitr.EarliestRestorableDateTime?.toISOString() ?? 'now on'}`);
    return fail(
      check,
      `point-in-time recovery is ${pitr?.PointInTimeRecoveryStatus ?? 'off'}: dr pitr-restore cannot restore this table`,
      `deploy the production stack (it turns PITR on for every configured table), or: aws dynamodb update-continuous-backups --table-name ${table} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true --region ${clients.region}`,
    );
  } catch (e) {
    if (isError(e, 'TableNotFoundException'))
      return fail(check, `table ${table} does not exist in ${clients.region}${awsSaid(e)}`, `create it, or correct tables[].name in dr.config.json`);
    throw e;
  }
}

/** Versioning Enabled (replication and Object Lock both need it). */
export async function versioningCheck(clients: RegionClients, bucket: string): Promise<CheckResult> {
  const check = `versioning ${bucket}`;
  try {
    const res = await clients.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    if (res.Status === 'Enabled') return pass(check, 'Enabled');
    // Status is absent on a bucket whose versioning was never turned on.
    return fail(
      check,
      `versioning is ${res.Status ?? 'off (never enabled)'}: replication and Object Lock need it`,
      `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled --region ${clients.region}, then deploy again`,
    );
  } catch (e) {
    if (isError(e, 'NoSuchBucket')) return fail(check, `bucket ${bucket} does not exist in ${clients.region}${awsSaid(e)}`, DEPLOY);
    throw e;
  }
}

/** Object Lock enabled with the configured default retention (GetObjectLockConfiguration). */
export async function objectLockCheck(clients: RegionClients, bucket: string, config: DrConfig): Promise<CheckResult> {
  const check = `Object Lock ${bucket}`;
  const want = `${config.objectLock.mode} ${config.objectLock.days} days`;
  try {
    const res = await clients.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    const lock = res.ObjectLockConfiguration;
    if (lock?.ObjectLockEnabled !== 'Enabled') return fail(check, 'Object Lock is not enabled', lockFix(bucket));
    const r = lock.Rule?.DefaultRetention;
    const got = r ? `${r.Mode} ${r.Days ?? `${r.Years} years`}${r.Days ? ' days' : ''}` : 'no default retention';
    if (got !== want)
      return warn(
        check,
        `enabled, default retention ${got} (dr.config.json objectLock: ${want})`,
        'deploy again so the bucket takes the configured retention, or correct objectLock in dr.config.json',
      );
    return pass(check, `enabled, default retention ${got}`);
  } catch (e) {
    // S3's error when the bucket has no Object Lock configuration at all.
    if (isError(e, 'ObjectLockConfigurationNotFoundError'))
      return fail(check, `Object Lock is not enabled: backups can be deleted or overwritten${awsSaid(e)}`, lockFix(bucket));
    if (isError(e, 'NoSuchBucket')) return fail(check, `bucket ${bucket} does not exist${awsSaid(e)}`, DEPLOY);
    throw e;
  }
}

function lockFix(bucket: string): string {
  return `the stacks create this bucket with Object Lock; a bucket without it was made elsewhere: enable it (aws s3api put-object-lock-configuration --bucket ${bucket} ...) or let the stack create the bucket`;
}

/** The backup bucket has an enabled replication rule to the replica bucket (GetBucketReplication). */
export async function replicationCheck(clients: RegionClients, source: string, destination: string, ruleId: string, partition: string): Promise<CheckResult> {
  const check = `replication ${ruleId}`;
  const destinationArn = `arn:${partition}:s3:::${destination}`;
  try {
    const res = await clients.s3.send(new GetBucketReplicationCommand({ Bucket: source }));
    const rules = res.ReplicationConfiguration?.Rules ?? [];
    const rule = rules.find((r) => r.Destination?.Bucket === destinationArn);
    if (!rule)
      return fail(
        check,
        `${source} has no replication rule to ${destinationArn} (${rules.length} other rule(s))`,
        "deploy the production stack again; if another tool replaced the replication configuration, remove that tool's rule or merge ours back",
      );
    if (rule.Status !== 'Enabled')
      return fail(check, `${source} -> ${destination}: rule ${rule.ID} is ${rule.Status}`, 'deploy the production stack again (it enables the rule)');
    const rtc = rule.Destination?.ReplicationTime?.Status === 'Enabled' ? ', Replication Time Control on' : '';
    return pass(check, `${source} -> ${destination}: rule ${rule.ID} Enabled${rtc}`);
  } catch (e) {
    if (isError(e, 'ReplicationConfigurationNotFoundError'))
      return fail(check, `the bucket has no replication configuration${awsSaid(e)}`, 'deploy the production stack again');
    if (isError(e, 'NoSuchBucket')) return fail(check, `bucket ${source} does not exist${awsSaid(e)}`, DEPLOY);
    throw e;
  }
}

/** Replication metric names that show the rule is active (AWS/S3, per source, destination and rule). */
const REPLICATION_METRICS = ['ReplicationLatency', 'OperationsPendingReplication'];

/**
 * Replication metrics present for the rule and no failed operations in the last 24 hours. S3
 * reports them in the source bucket's region once something has replicated; ListMetrics only
 * returns metrics that reported data in the past two weeks (CloudWatch ListMetrics API reference).
 */
export async function replicationMetricsCheck(clients: RegionClients, source: string, destination: string, ruleId: string, now: Date): Promise<CheckResult> {
  const check = `replication metrics ${ruleId}`;
  const dims = [
    { Name: 'SourceBucket', Value: source },
    { Name: 'DestinationBucket', Value: destination },
    { Name: 'RuleId', Value: ruleId },
  ];
  const found = new Set<string>();
  let token: string | undefined;
  do {
    const page = await clients.cloudwatch.send(new ListMetricsCommand({ Namespace: 'AWS/S3', Dimensions: dims, NextToken: token }));
    for (const m of page.Metrics ?? []) if (m.MetricName) found.add(m.MetricName);
    token = page.NextToken;
  } while (token);
  const present = REPLICATION_METRICS.filter((m) => found.has(m));
  if (present.length === 0)
    return warn(
      check,
      `no ${REPLICATION_METRICS.join(' or ')} for ${source} -> ${destination} in the last two weeks: nothing has replicated yet, or replication metrics are off`,
      'wait for the first backup (or run dr backup), then run dr doctor again; if backups exist, check the rule has Metrics Enabled (deploy the production stack again)',
    );
  // Period 3600 s over 24 h: 24 datapoints, far below GetMetricData's 100,800 per call.
  const res = await clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - 24 * 3600_000),
      EndTime: now,
      MetricDataQueries: [
        {
          Id: 'replicationFailed',
          MetricStat: { Metric: { Namespace: 'AWS/S3', MetricName: 'OperationsFailedReplication', Dimensions: dims }, Period: 3600, Stat: 'Sum' },
        },
      ],
    }),
  );
  const failed = (res.MetricDataResults?.[0]?.Values ?? []).reduce((a, b) => a + b, 0);
  if (failed > 0)
    return fail(
      check,
      `${failed} object(s) failed to replicate in the last 24 hours`,
      'check the replication role and the replica key policy (the BackupBucket-ReplicationFailed alarm says the same); S3 Batch Replication re-replicates failed objects',
    );
  return pass(check, `${present.join(', ')} reported; no failed replication in 24 h`);
}

/** Every subscription of a topic (ListSubscriptionsByTopic returns up to 100 per call). */
async function subscriptions(clients: RegionClients, topicArn: string): Promise<Subscription[]> {
  const all: Subscription[] = [];
  let token: string | undefined;
  do {
    const page = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }));
    all.push(...(page.Subscriptions ?? []));
    token = page.NextToken;
  } while (token);
  return all;
}

/**
 * At least one confirmed subscription. An unconfirmed one is listed with the SubscriptionArn
 * `PendingConfirmation`: SNS delivers nothing to it, so a topic with only those pages nobody.
 * The critical topic FAILs; the warning topic WARNs (notifications, not pages).
 */
export async function subscriptionsCheck(clients: RegionClients, topic: TopicTarget): Promise<CheckResult> {
  const check = `subscriptions ${topic.name}`;
  const bad = topic.severity === 'critical' ? fail : warn;
  const recipients = `onCall.${topic.severity} in dr.config.json (emails, sms or https), then npx cdk deploy --all`;
  try {
    const subs = await subscriptions(clients, topic.arn);
    const confirmed = subs.filter((s) => s.SubscriptionArn?.startsWith('arn:'));
    const pending = subs.filter((s) => s.SubscriptionArn === 'PendingConfirmation');
    if (subs.length === 0)
      return bad(check, `no subscriptions: nobody receives ${topic.severity} alerts in ${topic.region}`, `add a recipient under ${recipients}`);
    if (confirmed.length === 0)
      return bad(
        check,
        `${pending.length} subscription(s) pending confirmation (${pending.map((s) => `${s.Protocol} ${s.Endpoint}`).join(', ')}), none confirmed: nobody receives ${topic.severity} alerts`,
        `each recipient confirms with the link in the "AWS Notification - Subscription Confirmation" email; if it expired, subscribe again: aws sns subscribe --topic-arn ${topic.arn} --protocol email --notification-endpoint <address> --region ${topic.region}`,
      );
    const note = pending.length ? `; ${pending.length} still pending (${pending.map((s) => s.Endpoint).join(', ')})` : '';
    return pass(check, `${confirmed.length} confirmed (${confirmed.map((s) => s.Protocol).join(', ')})${note}`);
  } catch (e) {
    if (isError(e, 'NotFoundException', 'NotFound')) return fail(check, `topic ${topic.arn} does not exist${awsSaid(e)}`, DEPLOY);
    throw e;
  }
}

/** The topic policy lets cloudwatch.amazonaws.com publish (GetTopicAttributes `Policy`). */
export async function topicPolicyCheck(clients: RegionClients, topic: TopicTarget, account: string, alarmArn: string): Promise<CheckResult> {
  const check = `topic policy ${topic.name}`;
  try {
    const res = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topic.arn }));
    const v = cloudWatchCanPublish(res.Attributes?.Policy, topic.arn, account, alarmArn);
    const fix = `the topic policy must Allow sns:Publish to the service principal cloudwatch.amazonaws.com on ${topic.arn}: deploy the current stacks (AlertTopics adds that statement), or add it to the topic's access policy`;
    if (v.verdict === 'allowed') return pass(check, v.reason);
    if (v.verdict === 'unknown') return warn(check, v.reason, `check by hand that CloudWatch can publish: dr doctor --page-test, then the alarm's history`);
    return fail(check, `${v.reason}: alarms cannot publish, nobody is paged`, fix);
  } catch (e) {
    if (isError(e, 'NotFoundException', 'NotFound')) return fail(check, `topic ${topic.arn} does not exist${awsSaid(e)}`, DEPLOY);
    throw e;
  }
}
