/**
 * `<app>-dr-operator-drill` (DrillOperatorPolicy): `dr drill` on AWS may create, write and delete
 * only its scratch tables and buckets, `<app>-drill-*`, and only in the recovery region. A
 * construct-level stack (no app synth); the drill's recorded requests are proven against it in
 * test/permissions/drill-aws.test.ts.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DrillOperatorPolicy } from '../../lib/constructs/drill-operator-policy';
import { exampleConfig } from './app-fixture';

type Statement = { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, unknown> };
const config = exampleConfig();
const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: config.primary.region } });
new DrillOperatorPolicy(stack, 'Drill', { config });
const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
const statements = policy.Properties.PolicyDocument.Statement as Statement[];
const list = (v: string | string[]) => ([] as string[]).concat(v);

test('is named shop-dr-operator-drill', () => {
  expect(policy.Properties.ManagedPolicyName).toBe('shop-dr-operator-drill');
});

test('every delete (tables, buckets, object versions) is on shop-drill-* in the recovery region only', () => {
  const deleting = statements.filter((s) => list(s.Action).some((a) => /Delete/.test(a)));
  expect(deleting.map((s) => s.Sid).sort()).toEqual(['DrillScratchBuckets', 'DrillScratchObjects', 'DrillScratchTables']);
  for (const s of deleting)
    for (const r of list(s.Resource)) expect(r).toMatch(/^arn:aws:(s3:::shop-drill-\*|dynamodb:eu-central-1:123456789012:table\/shop-drill-\*)/);
  for (const s of deleting.filter((x) => x.Sid !== 'DrillScratchTables'))
    expect(s.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': ['eu-central-1'] } });
});

test('"*" only for the two list actions without a resource type, pinned to the recovery region', () => {
  const star = statements.filter((s) => list(s.Resource).includes('*'));
  expect(star.flatMap((s) => list(s.Action)).sort()).toEqual(['dynamodb:ListTables', 's3:ListAllMyBuckets']);
  for (const s of star) expect(s.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': ['eu-central-1'] } });
});

test('grants no IAM, KMS, Object Lock bypass or change, lifecycle or bucket policy change', () => {
  const actions = statements.flatMap((s) => list(s.Action));
  expect(
    actions.filter((a) => /^iam:|^kms:|BypassGovernance|BucketPolicy|^s3:Put(BucketObjectLock|ObjectRetention|ObjectLegalHold|Lifecycle)/.test(a)),
  ).toEqual([]);
});
