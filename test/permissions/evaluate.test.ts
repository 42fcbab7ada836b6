/**
 * evaluateAll simulates once what IAM cannot tell apart (test/permissions/evaluate.ts): objects of
 * one bucket that match the same resource patterns share one simulation, each verdict still names
 * its own request, and a key that a pattern sets apart (here: a Deny on some keys) is simulated on
 * its own. A hand-made model: one operator policy, one bucket policy.
 */
import { evaluate, evaluateAll, simulationsFor, type Case, type Principal } from './evaluate';
import type { IamRequest } from './recorder';
import type { PolicyModel } from './templates';

const ACCOUNT = '111111111111';
const operatorPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::media/public/*' },
    { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::media/public/secret?.txt' },
  ],
};
const model: PolicyModel = {
  account: ACCOUNT,
  stacks: [],
  roles: new Map(),
  managedPolicies: new Map([['operator', [{ name: 'operator', policy: operatorPolicy }]]]),
  resourcePolicies: new Map(),
  bucketKeys: new Map(),
  keyAliases: new Map(),
  aliasTargets: new Map(),
};
const who: Principal = { kind: 'managed-policy', name: 'operator', label: 'operator' };
const get = (key: string, region = 'eu-west-1'): Case => ({
  who,
  request: { action: 's3:GetObject', resource: `arn:aws:s3:::media/${key}`, because: `GetObject ${key}`, region } satisfies IamRequest,
});
const cases = [get('public/a.jpg'), get('public/b/c.jpg'), get('public/secret1.txt'), get('private/x.jpg'), get('public/d.jpg', 'us-east-1')];

test('objects matching the same patterns are simulated once; other keys, and another region, on their own', () => {
  // public/a.jpg and public/b/c.jpg share one class; secret1, private and the other region are one each.
  expect(simulationsFor(model, cases)).toBe(4);
});

test('every verdict is the one evaluating its request alone gives, naming its own request', async () => {
  const together = await evaluateAll(model, cases);
  const alone = await Promise.all(cases.map((c) => evaluate(model, c.who, c.request)));
  expect(together).toEqual(alone);
  expect(together.map((v) => [v.request.resource.slice('arn:aws:s3:::media/'.length), v.allowed])).toEqual([
    ['public/a.jpg', true],
    ['public/b/c.jpg', true],
    ['public/secret1.txt', false],
    ['private/x.jpg', false],
    ['public/d.jpg', true],
  ]);
  expect(together[3].reason).toMatch(/^operator may not s3:GetObject on arn:aws:s3:::media\/private\/x\.jpg \(GetObject private\/x\.jpg\)/);
});

test('a pattern with a policy variable makes every object its own class', () => {
  const withVariable = structuredClone(operatorPolicy);
  withVariable.Statement[0].Resource = 'arn:aws:s3:::media/${aws:username}/*';
  const m = { ...model, managedPolicies: new Map([['operator', [{ name: 'operator', policy: withVariable }]]]) };
  expect(simulationsFor(m, cases)).toBe(cases.length);
});
