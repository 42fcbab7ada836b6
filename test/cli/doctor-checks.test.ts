/**
 * Each `dr doctor` check, its PASS path (the healthy account) and its FAIL (or WARN) paths, one
 * broken thing per test, through the command (`--json`) against mocked AWS.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeContinuousBackupsCommand } from '@aws-sdk/client-dynamodb';
import {
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { registerDoctorCommand } from '../../cli/doctor';
import type { CheckResult } from '../../cli/doctor/result';
import {
  ACCOUNT,
  awsError,
  body,
  CONFIG,
  doctorJson,
  healthyAccount,
  listing,
  metadataJson,
  mocks,
  NOW,
  REPLICA_BUCKET,
  result,
  topicPolicy,
} from '../support/doctor-fixture';
import { runCli, testProgram } from '../support/run-cli';

beforeEach(() => healthyAccount());

/** Runs doctor and returns the one check starting with `prefix`. */
async function check(prefix: string): Promise<CheckResult> {
  return result((await doctorJson()).results, prefix);
}

/** A copy of the shipped config with fields replaced, in a temp dir. */
function configFile(overrides: Record<string, unknown>): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-')), 'dr.config.json');
  const raw = JSON.parse(fs.readFileSync(CONFIG, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify({ ...raw, ...overrides }));
  return file;
}

describe('account', () => {
  test('PASS names the caller (mocked AWS)', async () => {
    expect(await check('account')).toMatchObject({ status: 'PASS', detail: expect.stringContaining('assumed-role/shop-dr-operator/alice') });
  });
  test('FAIL when the credentials belong to another account than primary.account (mocked AWS)', async () => {
    const file = configFile({ primary: { region: 'eu-west-1', account: '999999999999' } });
    const run = await runCli(testProgram(registerDoctorCommand), ['--config', file, '--json', 'doctor']);
    const r = result(JSON.parse(run.stdout) as CheckResult[], 'account');
    expect(r).toMatchObject({ status: 'FAIL', detail: `credentials are for account ${ACCOUNT}, dr.config.json primary.account is 999999999999` });
    expect(run.code).toBe(1);
  });
});

describe('stacks deployed in both regions', () => {
  const stackStatus = (status: string) =>
    mocks.cloudformation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
      Stacks: [{ StackName: input.StackName, StackStatus: input.StackName === 'Shop-Production' ? status : 'CREATE_COMPLETE', CreationTime: NOW }],
    }));
  test('PASS on *_COMPLETE in each region (mocked AWS)', async () => {
    const { results } = await doctorJson();
    expect(result(results, 'stack Shop-Recovery (eu-central-1)')).toMatchObject({ status: 'PASS', detail: expect.stringMatching(/^CREATE_COMPLETE/) });
    expect(result(results, 'stack Shop-Production (eu-west-1)')).toMatchObject({ status: 'PASS', detail: expect.stringMatching(/^UPDATE_COMPLETE/) });
  });
  test('FAIL when a stack does not exist (mocked AWS)', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand, { StackName: 'Shop-Recovery' })
      .rejects(awsError('ValidationError', 'Stack with id Shop-Recovery does not exist'));
    expect(await check('stack Shop-Recovery')).toMatchObject({
      status: 'FAIL',
      detail: 'no stack of that name in eu-central-1',
      fix: expect.stringMatching(/npx cdk deploy --all/),
    });
  });
  test('FAIL on UPDATE_ROLLBACK_COMPLETE: *_COMPLETE but rolled back (mocked AWS)', async () => {
    stackStatus('UPDATE_ROLLBACK_COMPLETE');
    expect(await check('stack Shop-Production')).toMatchObject({
      status: 'FAIL',
      fix: expect.stringMatching(/describe-stack-events --stack-name Shop-Production --region eu-west-1/),
    });
  });
  test('FAIL on ROLLBACK_COMPLETE says the stack must be deleted first (mocked AWS)', async () => {
    stackStatus('ROLLBACK_COMPLETE');
    expect((await check('stack Shop-Production')).fix).toMatch(/delete the stack/);
  });
  test('WARN while a deploy is in progress (mocked AWS)', async () => {
    stackStatus('UPDATE_IN_PROGRESS');
    expect((await check('stack Shop-Production')).status).toBe('WARN');
  });
});

describe('PITR on every configured table', () => {
  test('FAIL for the one table without PITR, with the command that turns it on (mocked AWS)', async () => {
    mocks.dynamodb.on(DescribeContinuousBackupsCommand, { TableName: 'wishlists' }).resolves({
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } },
    });
    const { results } = await doctorJson();
    expect(results.filter((r) => r.check.startsWith('PITR ') && r.status === 'FAIL').map((r) => r.check)).toEqual(['PITR wishlists']);
    expect(result(results, 'PITR wishlists').fix).toContain('aws dynamodb update-continuous-backups --table-name wishlists');
  });
  test('FAIL when a configured table does not exist (mocked AWS)', async () => {
    mocks.dynamodb.on(DescribeContinuousBackupsCommand, { TableName: 'orders' }).rejects(awsError('TableNotFoundException', 'Table not found: orders'));
    // What AWS said stands beside the check's own words and hint.
    expect(await check('PITR orders')).toMatchObject({
      status: 'FAIL',
      detail: 'table orders does not exist in eu-west-1 (AWS said TableNotFoundException: Table not found: orders)',
      fix: 'create it, or correct tables[].name in dr.config.json',
    });
  });
});

describe('backup and replica buckets', () => {
  test('versioning: FAIL when suspended or never enabled (mocked AWS)', async () => {
    mocks.s3.on(GetBucketVersioningCommand, { Bucket: REPLICA_BUCKET }).resolves({});
    mocks.s3.on(GetBucketVersioningCommand, { Bucket: `shop-backups-${ACCOUNT}-eu-west-1` }).resolves({ Status: 'Suspended' });
    const { results } = await doctorJson();
    expect(result(results, 'versioning shop-replica')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/^versioning is off \(never enabled\)/) });
    expect(result(results, 'versioning shop-backups')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/^versioning is Suspended/) });
  });
  test('versioning: FAIL when the bucket does not exist (mocked AWS)', async () => {
    mocks.s3.on(GetBucketVersioningCommand, { Bucket: REPLICA_BUCKET }).rejects(awsError('NoSuchBucket'));
    expect((await check('versioning shop-replica')).detail).toMatch(/does not exist in eu-central-1 \(AWS said NoSuchBucket: NoSuchBucket\)$/);
  });
  test('Object Lock: FAIL without an Object Lock configuration (mocked AWS)', async () => {
    mocks.s3.on(GetObjectLockConfigurationCommand, { Bucket: REPLICA_BUCKET }).rejects(awsError('ObjectLockConfigurationNotFoundError'));
    expect(await check('Object Lock shop-replica')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/not enabled/) });
  });
  test('Object Lock: WARN when the default retention differs from the config (mocked AWS)', async () => {
    mocks.s3.on(GetObjectLockConfigurationCommand).resolves({
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
    });
    expect(await check('Object Lock shop-backups')).toMatchObject({
      status: 'WARN',
      detail: 'enabled, default retention GOVERNANCE 1 days (dr.config.json objectLock: COMPLIANCE 7 days)',
    });
  });
  test('replication: FAIL without a replication configuration (mocked AWS)', async () => {
    mocks.s3.on(GetBucketReplicationCommand).rejects(awsError('ReplicationConfigurationNotFoundError'));
    expect(await check('replication to-eu-central-1')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/no replication configuration/) });
  });
  test('replication: FAIL when the rules replicate somewhere else, or the rule is disabled (mocked AWS)', async () => {
    mocks.s3
      .on(GetBucketReplicationCommand)
      .resolves({ ReplicationConfiguration: { Role: 'r', Rules: [{ ID: 'theirs', Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::elsewhere' } }] } });
    expect((await check('replication to-')).detail).toMatch(/no replication rule to arn:aws:s3:::shop-replica-123456789012-eu-central-1 \(1 other rule\(s\)\)/);
    mocks.s3.on(GetBucketReplicationCommand).resolves({
      ReplicationConfiguration: {
        Role: 'r',
        Rules: [{ ID: 'to-eu-central-1', Status: 'Disabled', Destination: { Bucket: `arn:aws:s3:::${REPLICA_BUCKET}` } }],
      },
    });
    expect((await check('replication to-')).detail).toMatch(/rule to-eu-central-1 is Disabled/);
  });
  test('replication metrics: asks ListMetrics for the rule by its three dimensions (mocked AWS)', async () => {
    await doctorJson();
    expect(mocks.cloudwatch.commandCalls(ListMetricsCommand)[0].args[0].input).toMatchObject({
      Namespace: 'AWS/S3',
      Dimensions: [
        { Name: 'SourceBucket', Value: `shop-backups-${ACCOUNT}-eu-west-1` },
        { Name: 'DestinationBucket', Value: REPLICA_BUCKET },
        { Name: 'RuleId', Value: 'to-eu-central-1' },
      ],
    });
  });
  test('replication metrics: WARN when none reported in two weeks (mocked AWS)', async () => {
    mocks.cloudwatch.on(ListMetricsCommand).resolves({ Metrics: [] });
    expect((await check('replication metrics')).status).toBe('WARN');
  });
  test('replication metrics: FAIL when operations failed to replicate in 24 h (mocked AWS)', async () => {
    mocks.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'replicationFailed', Timestamps: [NOW], Values: [3] }] });
    expect(await check('replication metrics')).toMatchObject({ status: 'FAIL', detail: '3 object(s) failed to replicate in the last 24 hours' });
  });
});

describe('alert topics', () => {
  const critical = `arn:aws:sns:eu-west-1:${ACCOUNT}:shop-dr-critical-primary`;
  test('subscriptions: FAIL when the critical topic has none, the fix names onCall in dr.config.json (mocked AWS)', async () => {
    mocks.sns.on(ListSubscriptionsByTopicCommand, { TopicArn: critical }).resolves({ Subscriptions: [] });
    expect(await check('subscriptions shop-dr-critical-primary')).toMatchObject({
      status: 'FAIL',
      fix: 'add a recipient under onCall.critical in dr.config.json (emails, sms or https), then npx cdk deploy --all',
    });
  });
  test('subscriptions: FAIL when the only subscription is PendingConfirmation: nobody is paged (mocked AWS)', async () => {
    mocks.sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: critical })
      .resolves({ Subscriptions: [{ Protocol: 'email', Endpoint: 'oncall@example.com', SubscriptionArn: 'PendingConfirmation' }] });
    const r = await check('subscriptions shop-dr-critical-primary');
    expect(r).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(/1 subscription\(s\) pending confirmation \(email oncall@example.com\), none confirmed/),
    });
    expect(r.fix).toMatch(/Subscription Confirmation/);
  });
  test('subscriptions: reads every page (NextToken) before deciding (mocked AWS)', async () => {
    mocks.sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: critical })
      .resolves({ Subscriptions: [{ Protocol: 'email', Endpoint: 'a@example.com', SubscriptionArn: 'PendingConfirmation' }], NextToken: 'p2' })
      .on(ListSubscriptionsByTopicCommand, { TopicArn: critical, NextToken: 'p2' })
      .resolves({ Subscriptions: [{ Protocol: 'https', Endpoint: 'https://events.pagerduty.com/x', SubscriptionArn: `${critical}:1` }] });
    expect(await check('subscriptions shop-dr-critical-primary')).toMatchObject({
      status: 'PASS',
      detail: '1 confirmed (https); 1 still pending (a@example.com)',
    });
  });
  test('topic policy: FAIL on the enforceSSL-only policy, where nothing lets CloudWatch publish (mocked AWS)', async () => {
    mocks.sns.on(GetTopicAttributesCommand, { TopicArn: critical }).resolves({ Attributes: { Policy: topicPolicy(critical, false) } });
    const r = await check('topic policy shop-dr-critical-primary');
    expect(r).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/no statement allows sns:Publish to cloudwatch.amazonaws.com/) });
    expect(r.fix).toMatch(/Allow sns:Publish to the service principal cloudwatch.amazonaws.com/);
  });
  test('topic policy: FAIL when an unconditional Deny overrides the Allow (mocked AWS)', async () => {
    const doc = JSON.parse(topicPolicy(critical)) as { Statement: object[] };
    doc.Statement.push({ Sid: 'NoOne', Effect: 'Deny', Principal: '*', Action: 'SNS:*', Resource: '*' });
    mocks.sns.on(GetTopicAttributesCommand, { TopicArn: critical }).resolves({ Attributes: { Policy: JSON.stringify(doc) } });
    expect((await check('topic policy shop-dr-critical-primary')).detail).toMatch(/^statement "NoOne" denies sns:Publish/);
  });
  test('topic policy: FAIL when the topic does not exist (mocked AWS)', async () => {
    mocks.sns.on(GetTopicAttributesCommand, { TopicArn: critical }).rejects(awsError('NotFoundException', 'Topic does not exist'));
    expect((await check('topic policy shop-dr-critical-primary')).status).toBe('FAIL');
  });
});

describe('newest complete backup set vs RPO', () => {
  test('FAIL when the newest complete set is older than the RPO; an incomplete newer set does not count (mocked AWS)', async () => {
    mocks.s3
      .on(ListObjectsV2Command)
      .callsFake(listing(['backups/daily/2026-11-29T02-00-00-000Z/metadata.json', 'backups/daily/2026-12-01T02-00-00-000Z/orders/data/x.json.gz']));
    mocks.s3.on(GetObjectCommand).callsFake(() => body(metadataJson('2026-11-29T02-00-00-000Z', '2026-11-29T02:00:00.000Z')));
    expect(await check('newest backup')).toMatchObject({
      status: 'FAIL',
      detail: 'daily/2026-11-29T02-00-00-000Z is 2 d 7 h old (RPO 24 h 0 min): a disaster now would lose more data than the RPO allows',
    });
  });
  test('FAIL when no set is complete, with the command that takes one (mocked AWS)', async () => {
    mocks.s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    expect(await check('newest backup')).toMatchObject({
      status: 'FAIL',
      fix: expect.stringMatching(/dr --region eu-west-1 --bucket shop-backups-123456789012-eu-west-1 backup$/),
    });
  });
});

describe('last restore test', () => {
  const restoreMetrics = (ok: Date[], failed: Date[]) =>
    mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string }[] }) => ({
      MetricDataResults: input.MetricDataQueries.map((q) => {
        const ts = q.Id === 'ok' ? ok : q.Id === 'failed' ? failed : [];
        return { Id: q.Id, Timestamps: ts, Values: ts.map(() => 1) };
      }),
    }));
  test('reads RestoreTestSuccess and RestoreTestFailure (DrStack, App=shop) over 8 days in the recovery region (mocked AWS)', async () => {
    await doctorJson();
    const calls = mocks.cloudwatch.commandCalls(GetMetricDataCommand).filter((c) => c.args[0].input.MetricDataQueries?.[0].Id === 'ok');
    expect(calls).toHaveLength(1);
    expect(await calls[0].thisValue.config.region()).toBe('eu-central-1');
    const input = calls[0].args[0].input;
    expect(input.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.MetricName)).toEqual(['RestoreTestSuccess', 'RestoreTestFailure']);
    expect(input.MetricDataQueries?.[0].MetricStat?.Metric).toMatchObject({ Namespace: 'DrStack', Dimensions: [{ Name: 'App', Value: 'shop' }] });
    expect((NOW.getTime() - input.StartTime!.getTime()) / 86_400_000).toBe(8);
  });
  test('FAIL when the last result is a failure (mocked AWS)', async () => {
    restoreMetrics([new Date('2026-11-23T05:00:00Z')], [new Date('2026-11-30T05:00:00Z')]);
    expect(await check('last restore test')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/FAILED at 2026-11-30T05:00:00.000Z/) });
  });
  test('FAIL when no result in 8 days and the stack is older than that (mocked AWS)', async () => {
    restoreMetrics([], []);
    expect(await check('last restore test')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/no restore test result in the last 8 days/) });
  });
  test('WARN without asking CloudWatch when restore tests are off in the config (mocked AWS)', async () => {
    const file = configFile({ restoreTest: { enabled: false } });
    const run = await runCli(testProgram(registerDoctorCommand), ['--config', file, '--json', 'doctor']);
    expect(result(JSON.parse(run.stdout) as CheckResult[], 'last restore test')).toMatchObject({
      status: 'WARN',
      fix: expect.stringMatching(/restoreTest.enabled/),
    });
    expect(mocks.cloudwatch.commandCalls(GetMetricDataCommand).filter((c) => c.args[0].input.MetricDataQueries?.[0].Id === 'ok')).toHaveLength(0);
  });
  test('WARN when no result yet and the recovery stack is younger than 8 days (mocked AWS)', async () => {
    restoreMetrics([], []);
    mocks.cloudformation.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
      Stacks: [{ StackName: input.StackName, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date('2026-11-29T09:00:00Z') }],
    }));
    expect(await check('last restore test')).toMatchObject({ status: 'WARN', detail: expect.stringMatching(/recovery stack is 2 d 0 h old/) });
  });
});

test('every check runs as the caller STS names (mocked AWS): GetCallerIdentity once', async () => {
  await doctorJson();
  expect(mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
});
