/**
 * The topic-policy reader of `dr doctor`: can cloudwatch.amazonaws.com publish? Pure function, no AWS.
 */
import { cloudWatchCanPublish } from '../../cli/doctor/topic-policy';

const ACCOUNT = '123456789012';
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:shop-dr-critical-primary`;
const ALARM = `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:shop-doctor-page-test-Critical`;
const verdict = (...Statement: object[]) => cloudWatchCanPublish(JSON.stringify({ Version: '2012-10-17', Statement }), TOPIC, ACCOUNT, ALARM).verdict;

const sslOnly = { Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: TOPIC, Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
const allowCloudWatch = { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: TOPIC };

test('the enforceSSL Deny alone lets nobody publish: denied', () => {
  expect(verdict(sslOnly)).toBe('denied');
});
test('an Allow for the CloudWatch service principal beside the enforceSSL Deny: allowed (CloudWatch publishes over TLS)', () => {
  expect(verdict(allowCloudWatch, sslOnly)).toBe('allowed');
});
test("SNS's default policy (AWS:* limited by AWS:SourceOwner = the account): allowed", () => {
  expect(
    verdict({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['SNS:GetTopicAttributes', 'SNS:Publish', 'SNS:Subscribe'],
      Resource: TOPIC,
      Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
    }),
  ).toBe('allowed');
});
test('an Allow limited to another account: denied', () => {
  expect(verdict({ ...allowCloudWatch, Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } } })).toBe('denied');
});
test("aws:SourceArn matching the alarm (ArnLike with wildcards): allowed; another account's alarms: denied", () => {
  expect(verdict({ ...allowCloudWatch, Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:*:${ACCOUNT}:alarm:*` } } })).toBe('allowed');
  expect(verdict({ ...allowCloudWatch, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:*:999999999999:alarm:*' } } })).toBe('denied');
});
test('an Allow for another service principal, action or topic: denied', () => {
  expect(verdict({ ...allowCloudWatch, Principal: { Service: 'events.amazonaws.com' } })).toBe('denied');
  expect(verdict({ ...allowCloudWatch, Action: 'sns:Subscribe' })).toBe('denied');
  expect(verdict({ ...allowCloudWatch, Resource: `${TOPIC}-other` })).toBe('denied');
});
test('wildcards and case: SNS:* on * allows', () => {
  expect(verdict({ ...allowCloudWatch, Action: 'SNS:*', Resource: '*' })).toBe('allowed');
});
test('an unconditional Deny wins over the Allow', () => {
  expect(verdict(allowCloudWatch, { Effect: 'Deny', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:*', Resource: TOPIC })).toBe('denied');
});
test('a condition on a key the reader does not know: unknown, never a guess', () => {
  const r = cloudWatchCanPublish(
    JSON.stringify({ Statement: [{ ...allowCloudWatch, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] }),
    TOPIC,
    ACCOUNT,
    ALARM,
  );
  expect(r.verdict).toBe('unknown');
  expect(r.reason).toMatch(/aws:SourceIp/);
});
test('no policy or invalid JSON', () => {
  expect(cloudWatchCanPublish(undefined, TOPIC, ACCOUNT, ALARM).verdict).toBe('denied');
  expect(cloudWatchCanPublish('{', TOPIC, ACCOUNT, ALARM).verdict).toBe('unknown');
});
