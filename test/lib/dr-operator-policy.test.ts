/**
 * Issue 13 #8: the operator managed policy `<app>-dr-operator` (DrOperatorPolicy). Exact
 * statements per command; the permissions proof (test/permissions) evaluates the CLI's recorded
 * requests against it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { DrOperatorPolicy, MANAGED_POLICY_MAX_CHARS, operatorPolicyName, operatorRestorePolicyName } from '../../lib/constructs/dr-operator-policy';
import { configWith, exampleConfig, templates, type BuiltTemplates } from './app-fixture';

type Statement = { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, unknown> };
let built: BuiltTemplates;
let statements: Statement[];
beforeAll(() => {
  built = templates();
  // The operators hold both policies: every statement of either counts.
  statements = ['shop-dr-operator', 'shop-dr-operator-restore'].flatMap((name) => {
    const [policy] = Object.values(built.production.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: name } }));
    return policy.Properties.PolicyDocument.Statement as Statement[];
  });
});
const sid = (s: string) => {
  const found = statements.find((x) => x.Sid === s);
  expect(found).toBeDefined();
  return found!;
};
const list = (v: string | string[]) => ([] as string[]).concat(v).sort();
const inRegions = { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } };

describe('issue 13 #8: operator managed policy <app>-dr-operator', () => {
  it('exists once per account, as shop-dr-operator and shop-dr-operator-restore in the production stack, beside shop-dr-operator-drill (IAM names are global: none in the recovery stack)', () => {
    const names = Object.values(built.production.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.ManagedPolicyName as string);
    expect(names.sort()).toEqual(['shop-dr-operator', 'shop-dr-operator-drill', 'shop-dr-operator-restore']);
    expect(Object.keys(built.recovery.findResources('AWS::IAM::ManagedPolicy'))).toEqual([]);
    expect(operatorPolicyName(exampleConfig())).toBe('shop-dr-operator');
    expect(operatorRestorePolicyName(exampleConfig())).toBe('shop-dr-operator-restore');
  });
  it('dr restore: the journal and bulk error reports under their own prefixes, encrypted with the bucket keys; import with a customer key only for AWS resources', () => {
    expect(list(sid('RestoreJournal').Action)).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(list(sid('RestoreJournal').Resource)).toEqual([
      'arn:aws:s3:::shop-backups-123456789012-eu-west-1/restores/*',
      'arn:aws:s3:::shop-replica-123456789012-eu-central-1/restores/*',
    ]);
    expect(list(sid('BulkErrorReports').Resource)).toEqual([
      'arn:aws:s3:::shop-backups-123456789012-eu-west-1/restore-reports/*',
      'arn:aws:s3:::shop-replica-123456789012-eu-central-1/restore-reports/*',
    ]);
    expect(sid('JournalKeys')).toMatchObject({
      Action: 'kms:GenerateDataKey',
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/shop-dr-backups', 'alias/shop-dr-replica'] } },
    });
    // Issue 18 item 1: DescribeKey apart from the grant condition (present on grant operations only).
    expect(sid('ImportDescribeKey')).toMatchObject({ Action: 'kms:DescribeKey', Condition: { 'ForAnyValue:StringEquals': expect.any(Object) } });
    expect(sid('ImportWithCustomerKey').Action).toBe('kms:CreateGrant');
    expect(sid('ImportWithCustomerKey').Condition).toEqual({
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/shop-dr-backups', 'alias/shop-dr-replica'] },
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
    });
  });
  it('dr list / validate / restore: read backup sets in both buckets and decrypt with the backup and replica keys only', () => {
    expect(sid('ReadBackupSets').Action).toBe('s3:ListBucket');
    expect(list(sid('ReadBackupSets').Resource)).toEqual([
      'arn:aws:s3:::shop-backups-123456789012-eu-west-1',
      'arn:aws:s3:::shop-replica-123456789012-eu-central-1',
    ]);
    expect(list(sid('ReadBackupObjects').Resource)).toEqual([
      'arn:aws:s3:::shop-backups-123456789012-eu-west-1/backups/*',
      'arn:aws:s3:::shop-replica-123456789012-eu-central-1/backups/*',
    ]);
    expect(sid('DecryptBackupSets')).toMatchObject({
      Action: 'kms:Decrypt',
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/shop-dr-backups', 'alias/shop-dr-replica'] } },
    });
  });
  it('dr restore (write, import and bulk engines) and pitr-restore: create, fill, tag and protect <table> and <table>-* in the two regions', () => {
    const s = sid('RestoreTargets');
    expect(list(s.Action)).toEqual(
      [
        'dynamodb:BatchWriteItem',
        'dynamodb:CreateTable',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:DescribeTimeToLive',
        'dynamodb:GetItem',
        'dynamodb:ImportTable',
        'dynamodb:ListTagsOfResource',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:StartBulkPutItems',
        'dynamodb:TagResource',
        'dynamodb:UntagResource',
        'dynamodb:UpdateContinuousBackups',
        'dynamodb:UpdateItem',
        'dynamodb:UpdateTable',
        'dynamodb:UpdateTimeToLive',
      ].sort(),
    );
    expect(s.Resource).toContain('arn:aws:dynamodb:*:123456789012:table/wishlists');
    expect(s.Resource).toContain('arn:aws:dynamodb:*:123456789012:table/wishlists-*');
    expect(s.Resource).toHaveLength(18);
    expect(s.Condition).toEqual(inRegions);
    expect(list(sid('FollowOperations').Action)).toEqual(['dynamodb:DescribeExport', 'dynamodb:DescribeImport']);
    expect(sid('ImportLogs').Resource).toBe('arn:aws:logs:*:123456789012:log-group:/aws-dynamodb/*');
    // Issue 18 item 2: AWS's documented import policy has PutRetentionPolicy; DescribeLogGroups has no resource type.
    expect(sid('ImportLogs').Action).toContain('logs:PutRetentionPolicy');
    expect(sid('ImportLogGroupsList')).toMatchObject({ Action: 'logs:DescribeLogGroups', Resource: '*', Condition: inRegions });
    // Issue 18 item 3: DescribeBulkOperation's resource type is unpublished: read-only on "*", in the two regions.
    expect(sid('ListImports')).toMatchObject({
      Action: ['dynamodb:CancelBulkOperation', 'dynamodb:DescribeBulkOperation', 'dynamodb:ListImports'],
      Resource: '*',
      Condition: inRegions,
    });
  });
  it('dr backup and pitr-restore: read, export and restore-to-a-point-in-time the configured tables of the primary region only', () => {
    const s = sid('SourceTables');
    expect(list(s.Action)).toEqual(
      [
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:DescribeTable',
        'dynamodb:DescribeTimeToLive',
        'dynamodb:ExportTableToPointInTime',
        'dynamodb:RestoreTableToPointInTime',
        'dynamodb:Scan',
      ].sort(),
    );
    expect(s.Resource).toHaveLength(9);
    for (const r of list(s.Resource)) expect(r).toMatch(/^arn:aws:dynamodb:eu-west-1:123456789012:table\/[a-z_]+$/);
    expect(list(sid('WriteBackupSets').Action)).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject', 's3:PutObjectAcl']);
    expect(sid('WriteBackupSets').Resource).toBe('arn:aws:s3:::shop-backups-123456789012-eu-west-1/backups/*');
  });
  it('dr doctor: read-only checks, and SetAlarmState on the page-test alarm alone', () => {
    expect(list(sid('DoctorStacks').Resource)).toEqual(
      [
        'arn:aws:cloudformation:eu-west-1:123456789012:stack/Shop-Production/*',
        'arn:aws:cloudformation:eu-central-1:123456789012:stack/Shop-Recovery/*',
      ].sort(),
    );
    // GetLifecycleConfiguration: the restore window of each data bucket (dr restore-bucket's horizon).
    expect(list(sid('DoctorBuckets').Action)).toEqual([
      's3:GetBucketObjectLockConfiguration',
      's3:GetBucketVersioning',
      's3:GetLifecycleConfiguration',
      's3:GetReplicationConfiguration',
    ]);
    expect(sid('DoctorBuckets').Resource).toContain('arn:aws:s3:::shop-uploads-example-dr-eu-central-1');
    expect(list(sid('DoctorTopics').Resource)).toEqual(
      [
        'arn:aws:sns:eu-west-1:123456789012:shop-dr-critical-primary',
        'arn:aws:sns:eu-west-1:123456789012:shop-dr-warning-primary',
        'arn:aws:sns:eu-central-1:123456789012:shop-dr-critical-recovery',
        'arn:aws:sns:eu-central-1:123456789012:shop-dr-warning-recovery',
      ].sort(),
    );
    expect(sid('PageTestAlarm').Action).toBe('cloudwatch:SetAlarmState');
    expect(list(sid('PageTestAlarm').Resource)).toEqual(
      [
        'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-doctor-page-test-Critical',
        'arn:aws:cloudwatch:eu-central-1:123456789012:alarm:shop-doctor-page-test-Critical',
      ].sort(),
    );
    const setters = statements.filter((s) => list(s.Action).includes('cloudwatch:SetAlarmState'));
    expect(setters).toHaveLength(1);
  });
  it('allows no delete of tables, buckets, keys or backups and no IAM change', () => {
    const actions = statements.flatMap((s) => list(s.Action));
    expect(actions.filter((a) => /DeleteTable|DeleteBucket|DeleteObjectVersion|BypassGovernance|ScheduleKeyDeletion|^iam:|PutBucketPolicy/.test(a))).toEqual(
      [],
    );
  });
  it(`stays under the ${MANAGED_POLICY_MAX_CHARS}-character managed policy quota for the example config`, () => {
    const docs = Object.values(built.production.findResources('AWS::IAM::ManagedPolicy'));
    expect(docs).toHaveLength(3);
    for (const doc of docs) expect(JSON.stringify(doc.Properties.PolicyDocument).replace(/\s/g, '').length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
  });
  it('refuses at synth a config whose policy would exceed the quota, naming the setting', () => {
    const tables = Array.from({ length: 60 }, (_, i) => ({ name: `table_number_${i}`, partitionKey: { name: 'id', type: 'S' } }));
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(() => new DrOperatorPolicy(stack, 'P', { config: configWith({ tables }) })).toThrow(
      /shop-dr-operator(-restore)? would be \d+ characters, over the 6144 IAM allows a managed policy \(60 tables in config "tables"\)/,
    );
  });
});
