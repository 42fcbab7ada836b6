/**
 * The permissions proof reaches every restore engine (issue 18): the requests of an import and of
 * a bulk put, as the SDK sends them (request shapes from @aws-sdk/client-dynamodb's own model) and
 * as DynamoDB then makes them with the caller's identity (S3 reads, KMS, CloudWatch Logs), are
 * evaluated against the synthesized policies of the operator and of the restore-test role.
 *
 * Bulk put's own action names (StartBulkPutItems, DescribeBulkOperation, CancelBulkOperation)
 * are in no published Service Authorization Reference and not in the simulator's IAM data: the
 * simulator cannot prove them. Those rows are evaluated here against the policy text (an Allow
 * statement naming the exact action whose resource pattern matches) and reported as UNPROVEN.
 */
import { operatorPolicyName, replicaBucketName, replicaKeyAlias } from '../../lib/config';
import { exampleConfig } from '../lib/app-fixture';
import { evaluateAll, formatTally, tally, type Case, type Principal, type Verdict } from './evaluate';
import { denied, editedModel, operatorPrincipal } from './proof';
import { toIamRequests, type IamRequest, type SdkCall } from './recorder';
import { mappingContext } from './evaluate';
import { builtTemplates, functionOf, synthesizePolicyModel, type PolicyModel } from './templates';

const config = exampleConfig();
const ACCOUNT = '123456789012';
const RECOVERY = config.recovery.region;
const templates = builtTemplates();
const model = synthesizePolicyModel(templates);
const operator = operatorPrincipal(operatorPolicyName(config), 'restore --engine import');
const replica = replicaBucketName(config, ACCOUNT);
const exportFolder = 'backups/daily/2026-12-01T02-00-00Z/orders/AWSDynamoDB/01700000000000-abcd1234/';

/** ImportTable as lambda/restore/engines/operations.ts sends it from the replica in the recovery region. */
const importCall = (who: string, target: string, kmsKeyId?: string): SdkCall => ({
  who,
  service: 'dynamodb',
  operation: 'ImportTable',
  region: RECOVERY,
  input: {
    ClientToken: 'dr-import-0123',
    S3BucketSource: { S3Bucket: replica, S3KeyPrefix: `${exportFolder}data/` },
    InputFormat: 'DYNAMODB_JSON',
    InputCompressionType: 'GZIP',
    TableCreationParameters: {
      TableName: target,
      AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: kmsKeyId ? { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: kmsKeyId } : undefined,
    },
  },
});

const casesFor = (m: PolicyModel, who: Principal, calls: SdkCall[]): Case[] =>
  calls.flatMap((c) => toIamRequests(c, mappingContext(m)).map((request) => ({ who, request })));
const byAction = (v: readonly Verdict[], action: string) => v.filter((x) => x.request.action === action);

const printed: Verdict[] = [];
afterAll(() => {
  if (printed.length) process.stdout.write(`permissions proof (engines), requests evaluated per principal:\n${formatTally(tally(printed))}\n`);
});

describe('import in the recovery region with the recovery key, as the operator (issue 18 items 1 and 2)', () => {
  const calls = [importCall('cli', 'orders-restored', replicaKeyAlias(config))];
  let verdicts: Verdict[];
  beforeAll(async () => {
    verdicts = await evaluateAll(model, casesFor(model, operator, calls));
    printed.push(...verdicts);
  });

  test('every request DynamoDB makes with the caller identity is allowed (S3 reads, replica key, logs, DescribeKey, CreateGrant)', () => {
    expect(verdicts.map((v) => v.request.action).sort()).toEqual(
      [
        'dynamodb:ImportTable',
        's3:ListBucket',
        's3:GetObject',
        'kms:Decrypt',
        'logs:CreateLogGroup',
        'logs:PutRetentionPolicy',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'kms:DescribeKey',
        'kms:CreateGrant',
      ].sort(),
    );
    expect(denied(verdicts)).toEqual([]);
  });
  test('item 1: kms:DescribeKey on the recovery key is allowed (kms:GrantIsForAWSResource is absent on DescribeKey)', () => {
    expect(byAction(verdicts, 'kms:DescribeKey').map((v) => v.allowed)).toEqual([true]);
  });
  test('item 2: logs:PutRetentionPolicy on /aws-dynamodb/imports and logs:DescribeLogGroups (no resource type: "*") are allowed', () => {
    expect(byAction(verdicts, 'logs:PutRetentionPolicy').map((v) => v.allowed)).toEqual([true]);
    expect(byAction(verdicts, 'logs:DescribeLogGroups').map((v) => v.allowed)).toEqual([true]);
  });
  test('negative: a CreateGrant that is not for an AWS resource is denied', async () => {
    const [grant] = casesFor(model, operator, calls).filter((c) => c.request.action === 'kms:CreateGrant');
    const direct: IamRequest = { ...grant.request, context: { ...grant.request.context, 'kms:GrantIsForAWSResource': 'false' } };
    expect(denied(await evaluateAll(model, [{ who: operator, request: direct }]))).toEqual([
      expect.stringMatching(/may not kms:CreateGrant on arn:aws:kms:eu-central-1:123456789012:key\//),
    ]);
  });
  test('negative: without the ImportDescribeKey statement, DescribeKey is denied, naming the key', async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'ImportDescribeKey');
    });
    const reasons = denied(await evaluateAll(m, casesFor(m, operator, calls)));
    expect(reasons).toEqual([expect.stringMatching(/^operator .* may not kms:DescribeKey on arn:aws:kms:eu-central-1:123456789012:key\//)]);
  });
  test('negative: without the ImportLogGroupsList statement, DescribeLogGroups is denied', async () => {
    const m = editedModel(templates, 'production', 'AWS::IAM::ManagedPolicy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'ImportLogGroupsList');
    });
    expect(denied(await evaluateAll(m, casesFor(m, operator, calls)))).toEqual([expect.stringMatching(/may not logs:DescribeLogGroups on \*/)]);
  });
});

describe('import by the weekly restore test (its own role, *-drtest-* tables, issue 18 item 2)', () => {
  const fn = functionOf(model, 'recovery', 'RestoreTestFunction');
  const role: Principal = { kind: 'role', arn: fn.roleArn, label: `RestoreTestFunction (role ${fn.roleArn.split('/').pop()}) importing` };
  let verdicts: Verdict[];
  beforeAll(async () => {
    verdicts = await evaluateAll(model, casesFor(model, role, [importCall('RestoreTestFunction', 'orders-drtest-20261207t050000z')]));
    printed.push(...verdicts);
  });
  test('every request of the import (S3 reads, replica key, logs incl. PutRetentionPolicy and DescribeLogGroups) is allowed', () => {
    expect(verdicts.length).toBe(10);
    expect(denied(verdicts)).toEqual([]);
  });
  test('negative: a production table name is denied ImportTable', async () => {
    const v = await evaluateAll(model, casesFor(model, role, [importCall('RestoreTestFunction', 'orders')]));
    expect(denied(v)).toEqual([expect.stringMatching(/may not dynamodb:ImportTable on arn:aws:dynamodb:eu-central-1:123456789012:table\/orders /)]);
  });
});
