/**
 * The permissions proof for existing data buckets (issue 18): the role of
 * `Custom::ExistingBucketReplication` (its handler's S3 calls on Create, Update and Delete,
 * recorded from a mocked S3: no emulator implements bucket replication), and an existing bucket's
 * own KMS key (`dataBuckets[].kmsKeyArn`, the variant config test/lib/fixtures/dr.config.kms-locked.json)
 * used by the replication role (Decrypt on the source) and by the operator's `dr restore-bucket`
 * (Decrypt, GenerateDataKey); the shipped config names the same existing bucket without a key,
 * and there the same requests are denied.
 *
 * The existing key's policy is the owner's, not in our templates: the proof assumes AWS's default
 * key policy (the account root may use the key, so IAM policies can grant it; KMS developer guide,
 * "Default key policy"), as docs/deploy.md asks of the owner.
 *
 * The replication role's Decrypt statement is scoped to the bucket by
 * kms:EncryptionContext:aws:s3:arn, which the simulator drops: encryption-context.ts decides that
 * condition by hand, and the test names say so.
 */
import * as path from 'node:path';
import {
  DeleteBucketReplicationCommand,
  GetBucketLocationCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  S3Client,
  S3ServiceException,
  type ReplicationRule,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { apply, type CustomResourceEvent, type ExistingBucketReplicationProperties } from '../../lib/custom-resources/bucket-replication/handler';
import { ourRuleId } from '../../lib/custom-resources/bucket-replication/rules';
import { loadConfig, operatorPolicyName } from '../../lib/config';
import { exampleConfig, ROOT } from '../lib/config-fixture';
import { evaluateWithS3EncryptionContext } from './encryption-context';
import { measuredRow, proofRows, type ProofRow } from './proof-table';
import { evaluateAll, formatTally, tally, type Case, type Principal, type Verdict } from './evaluate';
import { denied, editedModel, operatorPrincipal } from './proof';
import { startRecorder, toIamRequests, type SdkCall } from './recorder';
import { mappingContext } from './evaluate';
import { replicationCases, S3_ENCRYPTION_CONTEXT } from './service-paths';
import { builtTemplates, logicalIds, resolve, stackOf, synthesizePolicyModel, type PolicyModel, type StackTemplate } from './templates';

jest.setTimeout(120_000);

const variant = loadConfig(path.join(ROOT, 'test', 'lib', 'fixtures', 'dr.config.kms-locked.json'));
const example = exampleConfig();
const existing = variant.dataBuckets.find((b) => b.existing && b.kmsKeyArn)!;
const KEY = existing.kmsKeyArn!;
const PRIMARY = variant.primary.region;

/** AWS's default key policy for the owner's key (the account root may use it: IAM policies can grant it). */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }],
};

/** The model of `templates`, knowing the existing bucket's key (its default SSE-KMS key, with the default key policy). */
function modelWithExistingKey(templates: readonly StackTemplate[]): PolicyModel {
  const m = synthesizePolicyModel(templates);
  m.bucketKeys.set(existing.name, KEY);
  m.resourcePolicies.set(KEY, structuredClone(DEFAULT_KEY_POLICY));
  return m;
}

const lockedTemplates = builtTemplates(variant);
const exampleTemplates = builtTemplates(example);
const locked = modelWithExistingKey(lockedTemplates);
const shipped = modelWithExistingKey(exampleTemplates);

const printed: Verdict[] = [];
afterAll(() => {
  if (printed.length) process.stdout.write(`permissions proof (existing buckets), requests evaluated per principal:\n${formatTally(tally(printed))}\n`);
});

/** The custom resource's properties and the role of the function behind its ServiceToken. */
function customResourceOf(m: PolicyModel): { props: ExistingBucketReplicationProperties; role: Principal } {
  const stack = stackOf(m, 'production');
  const [id] = logicalIds(stack, 'Custom::ExistingBucketReplication');
  const raw = stack.template.Resources[id].Properties;
  const fnId = (raw.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const roleArn = resolve(stack, stack.template.Resources[fnId].Properties.Role) as string;
  const { ServiceToken: _t, ...props } = resolve(stack, raw) as ExistingBucketReplicationProperties & { ServiceToken: string };
  return { props, role: { kind: 'role', arn: roleArn, label: `Custom::ExistingBucketReplication handler (role ${roleArn.split('/').pop()})` } };
}

const s3Error = (name: string) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 404 }, message: name });

/**
 * Runs the handler's apply() for Create (versioning off, no replication yet), Update (the recovery
 * region changed: the old rule goes, a rule of the owner stays) and Delete (our rule the only one)
 * against a mocked S3 in the primary region; returns the recorded calls, labelled by request type.
 */
async function recordHandler(m: PolicyModel, objectLock: boolean): Promise<SdkCall[]> {
  const { props } = customResourceOf(m);
  const ours = JSON.parse(props.Rule) as ReplicationRule;
  const oldRule = JSON.stringify({ ...ours, ID: ourRuleId('us-east-2') });
  const owners: ReplicationRule = { ...ours, ID: 'owner-rule', Priority: 5 };
  const s3 = mockClient(S3Client);
  const client = new S3Client({ region: PRIMARY });
  const recorder = startRecorder();
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const base = { ResponseURL: 'https://example.invalid', StackId: 'stack', RequestId: 'r', LogicalResourceId: 'UploadsReplication' };
  const phases: [CustomResourceEvent, () => void][] = [
    [
      { ...base, RequestType: 'Create', ResourceProperties: props },
      () => s3.on(GetBucketReplicationCommand).rejects(s3Error('ReplicationConfigurationNotFoundError')),
    ],
    [
      { ...base, RequestType: 'Update', PhysicalResourceId: 'x', ResourceProperties: props, OldResourceProperties: { ...props, Rule: oldRule } },
      () => s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: props.Role, Rules: [JSON.parse(oldRule), owners] } }),
    ],
    [
      { ...base, RequestType: 'Delete', PhysicalResourceId: 'x', ResourceProperties: props },
      () => s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: props.Role, Rules: [ours] } }),
    ],
  ];
  try {
    for (const [event, replication] of phases) {
      s3.reset();
      s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'EU' });
      if (objectLock) s3.on(GetObjectLockConfigurationCommand).resolves({ ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } });
      else s3.on(GetObjectLockConfigurationCommand).rejects(s3Error('ObjectLockConfigurationNotFoundError'));
      s3.on(GetBucketVersioningCommand).resolves(event.RequestType === 'Create' ? {} : { Status: 'Enabled' });
      s3.on(PutBucketVersioningCommand).resolves({});
      s3.on(PutBucketReplicationCommand).resolves({});
      s3.on(DeleteBucketReplicationCommand).resolves({});
      replication();
      await apply(client, event);
      await recorder.recordMocked(s3, event.RequestType);
    }
  } finally {
    recorder.stop();
    warn.mockRestore();
    s3.restore();
  }
  return recorder.calls;
}

const casesOfCalls = (m: PolicyModel, calls: readonly SdkCall[], who: Principal): Case[] =>
  calls.flatMap((c) => toIamRequests(c, mappingContext(m)).map((request) => ({ who, request })));

/** The custom resource's rows of the proof table, one per config (filled by the describe.each below). */
const customResourceRows: ProofRow[] = [];

describe.each([
  ['the shipped config', shipped, false],
  ['the kms-locked variant (Object Lock)', locked, true],
] as const)('Custom::ExistingBucketReplication, its own role, %s (mocked S3)', (_name, m, objectLock) => {
  let calls: SdkCall[];
  let verdicts: Verdict[];
  const { role, props } = customResourceOf(m);
  beforeAll(async () => {
    calls = await recordHandler(m, objectLock);
    verdicts = await evaluateAll(m, casesOfCalls(m, calls, role));
    printed.push(...verdicts);
    customResourceRows.push(
      measuredRow({
        principal: "Custom::ExistingBucketReplication's own role",
        ran: `its Create, Update and Delete on a mocked S3, ${_name}`,
        verdicts,
        negative: 'negative: without PassTheReplicationRole, PutBucketReplication cannot pass the replication role to S3 (named)',
      }),
    );
  });

  test('Create, Update and Delete sent every call of the handler (location, lock, versioning, replication read, put and delete)', () => {
    const ops = (phase: string) => calls.filter((c) => c.who === phase).map((c) => c.operation);
    expect(ops('Create')).toEqual([
      'GetBucketLocation',
      'GetObjectLockConfiguration',
      'GetBucketVersioning',
      'PutBucketVersioning',
      'GetBucketReplication',
      'PutBucketReplication',
    ]);
    expect(ops('Update')).toEqual(['GetBucketLocation', 'GetObjectLockConfiguration', 'GetBucketVersioning', 'GetBucketReplication', 'PutBucketReplication']);
    expect(ops('Delete')).toEqual(['GetBucketReplication', 'DeleteBucketReplication']);
  });

  test("every request (15) is allowed by the handler's role, iam:PassRole of the replication role included", () => {
    expect(verdicts.map((v) => v.request.action)).toContain('iam:PassRole');
    expect(verdicts.length).toBe(15);
    expect(denied(verdicts)).toEqual([]);
  });

  test('negative: without PassTheReplicationRole, PutBucketReplication cannot pass the replication role to S3 (named)', async () => {
    const e = editedModel(lockedOrShipped(m), 'production', 'AWS::IAM::Policy', (p) => {
      p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'PassTheReplicationRole');
    });
    expect(denied(await evaluateAll(e, casesOfCalls(e, calls, role)))).toEqual([
      expect.stringMatching(new RegExp(`may not iam:PassRole on ${props.Role.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `)),
    ]);
  });
});

/** The templates a model was built from (the negative tests edit a copy). */
function lockedOrShipped(m: PolicyModel): StackTemplate[] {
  return (m === locked ? lockedTemplates : exampleTemplates) as StackTemplate[];
}

/** The operator's `dr restore-bucket` reads of a version and its in-place copy of the existing bucket (SSE-KMS with its own key). */
function restoreBucketCalls(m: PolicyModel): Case[] {
  const who = operatorPrincipal(operatorPolicyName(variant), 'restore-bucket');
  const call = (operation: string, input: Record<string, unknown>): SdkCall => ({ who: 'cli', service: 's3', operation, input, region: PRIMARY });
  return casesOfCalls(
    m,
    [
      call('GetObject', { Bucket: existing.name, Key: 'img/a.jpg', VersionId: 'v1' }),
      call('CopyObject', { Bucket: existing.name, Key: 'img/a.jpg', CopySource: `${existing.name}/img/a.jpg?versionId=v1` }),
    ],
    who,
  ).filter((c) => c.request.action.startsWith('kms:'));
}

/** The replication role's Decrypt of the existing bucket's objects (one case per rule of that bucket). */
const sourceDecrypts = (m: PolicyModel) =>
  replicationCases(m).filter((c) => c.request.action === 'kms:Decrypt' && c.request.resource === KEY && c.request.context?.[S3_ENCRYPTION_CONTEXT]);

test('the proof table in docs/security.md says what this file measured (UPDATE_PROOF_TABLE=1 regenerates)', () => {
  const { documented, measured } = proofRows('existing-buckets.test.ts', customResourceRows);
  expect(documented).toEqual(measured);
});

describe("an existing bucket's own KMS key (dataBuckets[].kmsKeyArn; the key policy assumed AWS's default)", () => {
  test('the replication role may Decrypt the source objects with it (kms:EncryptionContext:aws:s3:arn evaluated by hand: the simulator drops it)', async () => {
    const [c] = sourceDecrypts(locked);
    expect(c.request.context).toMatchObject({
      'kms:ViaService': `s3.${PRIMARY}.amazonaws.com`,
      [S3_ENCRYPTION_CONTEXT]: `arn:aws:s3:::${existing.name}/replicated-object`,
    });
    const v = await evaluateWithS3EncryptionContext(locked, c.who, c.request);
    printed.push(v);
    expect(v.decisions).toEqual([expect.objectContaining({ operator: 'StringLike', holds: true })]);
    expect({ allowed: v.allowed, reason: v.reason }).toEqual({ allowed: true, reason: '' });
  });

  test('negative: an object of a foreign bucket under the same key is denied (kms:EncryptionContext:aws:s3:arn evaluated by hand)', async () => {
    const [c] = sourceDecrypts(locked);
    const foreign = { ...c.request, context: { ...c.request.context, [S3_ENCRYPTION_CONTEXT]: 'arn:aws:s3:::someone-elses-bucket/replicated-object' } };
    const v = await evaluateWithS3EncryptionContext(locked, c.who, foreign);
    expect(v.decisions).toEqual([expect.objectContaining({ holds: false, value: 'arn:aws:s3:::someone-elses-bucket/replicated-object' })]);
    expect(v.allowed).toBe(false);
    expect(v.reason).toMatch(new RegExp(`may not kms:Decrypt on ${KEY}`));
  });

  test('the simulator alone denies even the right bucket (why the hand evaluation exists)', async () => {
    const [c] = sourceDecrypts(locked);
    expect((await evaluateAll(locked, [c]))[0].allowed).toBe(false);
  });

  test('the replication role may Encrypt the replicas with the replica key in the recovery region', async () => {
    const encrypts = replicationCases(locked).filter((c) => c.request.action === 'kms:Encrypt' && c.request.because.includes(existing.name));
    expect(encrypts.map((c) => c.request.resource.split(':')[3])).toEqual([variant.recovery.region]);
    const v = await evaluateAll(locked, encrypts);
    printed.push(...v);
    expect(denied(v)).toEqual([]);
  });

  test("dr restore-bucket as the operator may Decrypt a version and GenerateDataKey for its in-place copy with the bucket's key", async () => {
    const cases = restoreBucketCalls(locked);
    expect(cases.map((c) => `${c.request.action} ${c.request.resource}`)).toEqual([`kms:Decrypt ${KEY}`, `kms:Decrypt ${KEY}`, `kms:GenerateDataKey ${KEY}`]);
    const v = await evaluateAll(locked, cases);
    printed.push(...v);
    expect(denied(v)).toEqual([]);
  });

  test('negative: the shipped config names the same bucket without kmsKeyArn: the replication role has no Decrypt on that key', async () => {
    const inShipped = replicationCases(shipped).find((x) => x.request.action === 'kms:Decrypt' && x.request.resource === KEY)!;
    expect(inShipped).toBeDefined();
    const v = await evaluateWithS3EncryptionContext(shipped, inShipped.who, inShipped.request);
    expect(v.decisions).toEqual([]);
    expect(v.allowed).toBe(false);
    expect(v.reason).toMatch(new RegExp(`may not kms:Decrypt on ${KEY}.*no Allow in the identity policies`));
  });

  test('negative: the shipped config (no kmsKeyArn): dr restore-bucket is denied Decrypt and GenerateDataKey on that key', async () => {
    const reasons = denied(await evaluateAll(shipped, restoreBucketCalls(shipped)));
    // One verdict per request: the read (GetObject) and the copy (CopyObject) each need Decrypt.
    expect(reasons).toEqual([
      expect.stringMatching(new RegExp(`may not kms:Decrypt on ${KEY} \\(s3 GetObject`)),
      expect.stringMatching(new RegExp(`may not kms:Decrypt on ${KEY} \\(s3 CopyObject`)),
      expect.stringMatching(new RegExp(`may not kms:GenerateDataKey on ${KEY} \\(s3 CopyObject`)),
    ]);
  });
});
