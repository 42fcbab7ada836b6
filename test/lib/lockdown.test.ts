/**
 * Issue 21, items 2 and 3 on the templates: the hardened profile's locks, guards and tamper pages,
 * and the standard profile without them.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { BUCKET_GUARDED_ACTIONS, GUARD_SIDS, KEY_GUARDED_ACTIONS, VAULT_GUARDED_ACTIONS } from '../../lib/constructs/lockdown-guards';
import { build, configWith, type Built } from './app-fixture';

const BREAK_GLASS = 'arn:aws:iam::123456789012:role/dr-break-glass';
const execRole = (region: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-${region}` });

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const statements = (doc: Json): Json[] => doc.Statement;
const sorted = (a: readonly string[]) => [...a].sort();

let hardened: Built;
let standard: Built;
beforeAll(() => {
  hardened = build(configWith({ breakGlassRoleArn: BREAK_GLASS }));
  standard = build(configWith({ protection: 'standard', objectLock: { mode: 'GOVERNANCE', days: 7 } }));
});

const both = (b: Built): [string, Template, string][] => [
  ['production', b.production, 'eu-west-1'],
  ['recovery', b.recovery, 'eu-central-1'],
];

describe('hardened: locks', () => {
  it.each([
    ['production', 'shop-backups-123456789012-eu-west-1'],
    ['recovery', 'shop-replica-123456789012-eu-central-1'],
  ])('%s: bucket %s locks every object in COMPLIANCE mode for objectLock.days', (stack, name) => {
    const t = stack === 'production' ? hardened.production : hardened.recovery;
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: name,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } },
    });
  });
  it.each([
    ['production', 'shop-dr-primary'],
    ['recovery', 'shop-dr-recovery'],
  ])('%s: vault %s has Vault Lock from the shortest to the longest tier, changeable for 3 days (Vault Lock proven on the template)', (stack, name) => {
    const t = stack === 'production' ? hardened.production : hardened.recovery;
    t.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: name,
      LockConfiguration: { MinRetentionDays: 30, MaxRetentionDays: 365, ChangeableForDays: 3 },
    });
  });
  it('takes changeableForDays from the config', () => {
    const b = build(configWith({ vaultLock: { changeableForDays: 14 } }));
    b.recovery.hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: Match.objectLike({ ChangeableForDays: 14 }) });
  });
});

describe('hardened: guards', () => {
  it.each(['production', 'recovery'])(
    '%s: every KMS key denies ScheduleKeyDeletion, DisableKey, PutKeyPolicy except the deploy and break-glass roles',
    (stack) => {
      const [, t, region] = both(hardened).find(([s]) => s === stack)!;
      const keys = Object.values(t.findResources('AWS::KMS::Key'));
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) {
        const guard = statements(key.Properties.KeyPolicy).find((s) => s.Sid === GUARD_SIDS.key);
        expect(guard).toEqual({
          Sid: GUARD_SIDS.key,
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: sorted(KEY_GUARDED_ACTIONS),
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': [execRole(region), BREAK_GLASS] } },
        });
        // The account keeps the statement that delegates the key to IAM (no lock-out).
        expect(statements(key.Properties.KeyPolicy)).toContainEqual({
          Action: 'kms:*',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::123456789012:root' },
          Resource: '*',
        });
      }
    },
  );
  it.each([
    ['production', 'BackupsBucket'],
    ['recovery', 'ReplicaBucket'],
  ])('%s: the backup bucket policy denies the guarded settings and the governance bypass except the two roles', (stack, prefix) => {
    const [, t, region] = both(hardened).find(([s]) => s === stack)!;
    const policies = Object.values(t.findResources('AWS::S3::BucketPolicy')).filter((p) => JSON.stringify(p.Properties.Bucket).includes(prefix));
    expect(policies).toHaveLength(1);
    const guard = statements(policies[0].Properties.PolicyDocument).find((s) => s.Sid === GUARD_SIDS.bucket);
    expect(guard).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: sorted(BUCKET_GUARDED_ACTIONS),
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [execRole(region), BREAK_GLASS] } },
    });
    expect(JSON.stringify(guard.Resource)).toContain('/*');
  });
  it.each(['production', 'recovery'])('%s: the vault access policy denies deleting recovery points and changing the vault or its lock', (stack) => {
    const [, t, region] = both(hardened).find(([s]) => s === stack)!;
    const vault = Object.values(t.findResources('AWS::Backup::BackupVault'))[0];
    expect(statements(vault.Properties.AccessPolicy)).toContainEqual({
      Sid: GUARD_SIDS.vault,
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [...VAULT_GUARDED_ACTIONS],
      Resource: '*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [execRole(region), BREAK_GLASS] } },
    });
  });
  it('exempts only the deploy role when no break-glass role is named', () => {
    const b = build();
    const key = Object.values(b.production.findResources('AWS::KMS::Key'))[0];
    expect(statements(key.Properties.KeyPolicy).find((s) => s.Sid === GUARD_SIDS.key).Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': [execRole('eu-west-1')] },
    });
  });
  it('leaves data buckets unguarded (only backup and replica buckets)', () => {
    const policies = Object.values(hardened.recovery.findResources('AWS::S3::BucketPolicy')).filter((p) => JSON.stringify(p).includes('DataReplica'));
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) expect(statements(p.Properties.PolicyDocument).map((s) => s.Sid)).not.toContain(GUARD_SIDS.bucket);
  });
});

/** The tamper rule named `name` of a template. */
function rule(t: Template, name: string): Json {
  const found = Object.values(t.findResources('AWS::Events::Rule', { Properties: { Name: name } }));
  expect(found).toHaveLength(1);
  return found[0].Properties;
}
const criticalTopic = (t: Template) => Object.keys(t.findResources('AWS::SNS::Topic', { Properties: { TopicName: Match.stringLikeRegexp('critical') } }))[0];

describe('hardened: tamper pages (one rule per watch, in both regions, to the critical topic)', () => {
  const cases: [string, string, string[], Record<string, unknown>][] = [
    ['shop-tamper-keys', 'aws.kms', ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy'], {}],
    [
      'shop-tamper-vaults',
      'aws.backup',
      ['DeleteBackupVault', 'DeleteRecoveryPoint', 'PutBackupVaultAccessPolicy', 'DeleteBackupVaultLockConfiguration'],
      { backupVaultName: expect.any(Array) },
    ],
    [
      'shop-tamper-buckets',
      'aws.s3',
      [
        'DeleteBucketReplication',
        'PutBucketReplication',
        'PutBucketLifecycle',
        'PutBucketLifecycleConfiguration',
        'PutBucketPolicy',
        'DeleteBucketPolicy',
        'PutBucketObjectLockConfiguration',
      ],
      { bucketName: expect.any(Array) },
    ],
    ['shop-tamper-tables', 'aws.dynamodb', ['DeleteTable', 'UpdateContinuousBackups'], { tableName: expect.arrayContaining(['orders', 'users']) }],
    ['shop-tamper-tableprotection', 'aws.dynamodb', ['UpdateTable'], { tableName: expect.arrayContaining(['orders']), deletionProtectionEnabled: [false] }],
  ];
  for (const [stack, t] of [
    ['production', () => hardened.production],
    ['recovery', () => hardened.recovery],
  ] as const) {
    it.each(cases)(`${stack}: %s matches %s CloudTrail events %j`, (name, source, eventNames, params) => {
      const p = rule(t(), name);
      expect(p.EventPattern).toEqual({
        source: [source],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: [source.replace('aws.', '') + '.amazonaws.com'],
          eventName: eventNames,
          ...(Object.keys(params).length ? { requestParameters: params } : {}),
        },
      });
      expect(p.Targets).toHaveLength(1);
      expect(p.Targets[0].Arn).toEqual({ Ref: criticalTopic(t()) });
    });
  }
  it('watches the backup bucket and data buckets in production, the replicas in recovery', () => {
    expect(rule(hardened.production, 'shop-tamper-buckets').EventPattern.detail.requestParameters.bucketName).toEqual([
      'shop-backups-123456789012-eu-west-1',
      'shop-uploads-example',
    ]);
    expect(rule(hardened.recovery, 'shop-tamper-buckets').EventPattern.detail.requestParameters.bucketName).toEqual([
      'shop-replica-123456789012-eu-central-1',
      'shop-uploads-example-dr-eu-central-1',
    ]);
    expect(rule(hardened.recovery, 'shop-tamper-vaults').EventPattern.detail.requestParameters.backupVaultName).toEqual(['shop-dr-recovery']);
  });
  it('says who, what, on what, where and when in plain words (input transformer)', () => {
    const transformer = rule(hardened.production, 'shop-tamper-buckets').Targets[0].InputTransformer;
    expect(transformer.InputPathsMap).toEqual({
      'detail-userIdentity-arn': '$.detail.userIdentity.arn',
      'detail-eventName': '$.detail.eventName',
      'detail-requestParameters-bucketName': '$.detail.requestParameters.bucketName',
      account: '$.account',
      region: '$.region',
      time: '$.time',
      'detail-sourceIPAddress': '$.detail.sourceIPAddress',
    });
    expect(transformer.InputTemplate).toBe(
      '"TAMPER ALERT (shop disaster recovery): <detail-userIdentity-arn> changed the policy, lifecycle, replication or Object Lock of a protected bucket ' +
        '(<detail-eventName> on <detail-requestParameters-bucketName>) in account <account>, region <region>, at <time> from <detail-sourceIPAddress>. ' +
        'If no one planned this change, treat it as an attack on the backups and follow the break-glass section of docs/threat-model.md."',
    );
  });
  it('lets EventBridge publish to the encrypted critical topic (topic policy and key policy)', () => {
    for (const t of [hardened.production, hardened.recovery]) {
      const topicPolicies = Object.values(t.findResources('AWS::SNS::TopicPolicy'));
      expect(JSON.stringify(topicPolicies)).toContain('events.amazonaws.com');
      const alertKey = Object.values(t.findResources('AWS::KMS::Key')).filter((k) => k.Properties.Description.includes('alert'));
      expect(JSON.stringify(alertKey)).toContain('events.amazonaws.com');
    }
  });
});

describe('standard: the behaviour before issue 21', () => {
  it.each(['production', 'recovery'])('%s: GOVERNANCE lock, no Vault Lock, no guard, no tamper rule', (stack) => {
    const t = stack === 'production' ? standard.production : standard.recovery;
    const json = JSON.stringify(t.toJSON());
    expect(json).toContain('"Mode":"GOVERNANCE"');
    expect(json).not.toContain('COMPLIANCE');
    expect(json).not.toContain('"LockConfiguration"');
    expect(json).not.toContain('Lockdown');
    // No tamper rule (the operator policy may still read <app>-tamper-* rules: doctor's DescribeRule).
    expect(Object.values(t.findResources('AWS::Events::Rule')).filter((r) => String(r.Properties.Name).includes('-tamper-'))).toEqual([]);
  });
});

describe('hardened: log groups', () => {
  it.each(['production', 'recovery'])('%s: the log-group key lets only CloudWatch Logs of this account and region use it', (stack) => {
    const [, t, region] = both(hardened).find(([s]) => s === stack)!;
    const key = Object.values(t.findResources('AWS::KMS::Key')).find((k) => k.Properties.Description.includes('CloudWatch Logs'))!;
    expect(statements(key.Properties.KeyPolicy)).toContainEqual(
      expect.objectContaining({
        Sid: 'CloudWatchLogsOfThisAccount',
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:123456789012:log-group:*` } },
      }),
    );
  });
  it('standard leaves log groups with the CloudWatch Logs default encryption', () => {
    for (const g of Object.values(standard.production.findResources('AWS::Logs::LogGroup'))) expect(g.Properties.KmsKeyId).toBeUndefined();
  });
});

describe('hardened: X-Ray active tracing on every DrFunction', () => {
  it.each(['production', 'recovery'])('%s: each DrFunction traced, its role allowed to send the segments; standard traces none', (stack) => {
    const [, t] = both(hardened).find(([s]) => s === stack)!;
    const fns = Object.entries(t.findResources('AWS::Lambda::Function')).filter(([, f]) => f.Properties.DeadLetterConfig);
    expect(fns.length).toBeGreaterThanOrEqual(2);
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    for (const [, f] of fns) {
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      const role = f.Properties.Role['Fn::GetAtt'][0];
      const mine = policies.filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]));
      expect(mine.flatMap((p) => statements(p.Properties.PolicyDocument))).toContainEqual(
        expect.objectContaining({ Sid: 'XRayTraces', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }),
      );
    }
    const std = stack === 'production' ? standard.production : standard.recovery;
    for (const f of Object.values(std.findResources('AWS::Lambda::Function'))) expect(f.Properties.TracingConfig).toBeUndefined();
  });
});
