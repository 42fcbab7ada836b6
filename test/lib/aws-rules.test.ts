/**
 * Issue 13 (AWS's rules), infrastructure half: one describe per defect, each test failing on the
 * templates before the fix. #1 (existing-bucket replication) also has
 * bucket-replication.test.ts (merge logic, mocked S3) and put-bucket-replication-constraints.test.ts;
 * #8 (operator policy) has dr-operator-policy.test.ts.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { configWith, templates as synthesized, type BuiltTemplates } from './app-fixture';

let built: BuiltTemplates;
/** A config with every optional piece switched on: existing + owned data buckets, an existing table, a KMS key and Object Lock. */
let full: BuiltTemplates;
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
beforeAll(() => {
  built = synthesized();
  full = synthesized(
    configWith({
      tables: [
        { name: 'legacy_orders', existing: true },
        { name: 'carts', partitionKey: { name: 'cartId', type: 'S' }, timeToLiveAttribute: 'expiresAt' },
      ],
      dataBuckets: [
        { name: 'shop-uploads-example', existing: true, kmsKeyArn: KEY, objectLock: true },
        { name: 'shop-media-owned', existing: false, objectLock: true },
      ],
    }),
  );
});
const templates = (): [string, Template][] => [
  ['production', built.production],
  ['recovery', built.recovery],
  ['production (full config)', full.production],
  ['recovery (full config)', full.recovery],
];
type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const resources = (t: Template) => Object.entries(t.toJSON().Resources as Record<string, Resource>);

describe('issue 13 #1: existing data buckets replicate SSE-KMS objects, from a locked source into a locked replica', () => {
  const rule = () => JSON.parse(Object.values(full.production.findResources('Custom::ExistingBucketReplication'))[0].Properties.Rule as string);
  it('sends SourceSelectionCriteria.SseKmsEncryptedObjects Enabled together with ReplicaKmsKeyID', () => {
    expect(rule().Destination.EncryptionConfiguration.ReplicaKmsKeyID).toBeDefined();
    expect(rule().SourceSelectionCriteria).toEqual({ SseKmsEncryptedObjects: { Status: 'Enabled' } });
  });
  it('lets the replication role decrypt with the source bucket key, through S3 and for that bucket only', () => {
    full.production.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('ReplicationRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: KEY,
            Condition: {
              StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
              StringLike: { 'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::shop-uploads-example', 'arn:aws:s3:::shop-uploads-example/*'] },
            },
          },
        ]),
      },
    });
  });
  it('gives the replica of a locked data bucket Object Lock (and versioning)', () => {
    for (const name of ['shop-uploads-example-dr-eu-central-1', 'shop-media-owned-dr-eu-central-1']) {
      full.recovery.hasResourceProperties('AWS::S3::Bucket', { BucketName: name, ObjectLockEnabled: true, VersioningConfiguration: { Status: 'Enabled' } });
    }
  });
  it('gives the replica of an unlocked data bucket Object Lock too, without default retention (issue 18 item 4: turning objectLock on later must not replace a named bucket)', () => {
    const [replica] = Object.values(built.recovery.findResources('AWS::S3::Bucket', { Properties: { BucketName: 'shop-uploads-example-dr-eu-central-1' } }));
    expect(replica.Properties.ObjectLockEnabled).toBe(true);
    expect(replica.Properties.ObjectLockConfiguration).toBeUndefined();
  });
  it('flipping dataBuckets[].objectLock leaves the replica template unchanged (no replacement of a named bucket)', () => {
    const replicaOf = (b: BuiltTemplates) =>
      Object.values(b.recovery.findResources('AWS::S3::Bucket', { Properties: { BucketName: 'shop-uploads-example-dr-eu-central-1' } }))[0];
    expect(replicaOf(full)).toEqual(replicaOf(built));
  });
  it('tells the custom resource the source has Object Lock, so it can refuse a mismatch', () => {
    const [resource] = Object.values(full.production.findResources('Custom::ExistingBucketReplication'));
    expect(resource.Properties.ObjectLock).toBe('true');
  });
  it('lets the custom resource read the current replication configuration before it writes (no blind replace)', () => {
    const s = statementOf(full.production, /^ReplicationExistingBucketHandlerRole/, 'ReplicateShopUploadsExample');
    expect([...(s.Action as string[])].sort()).toEqual(
      [
        // Issue 18: the bucket's region and versioning are read before anything changes.
        's3:GetBucketLocation',
        's3:GetBucketVersioning',
        's3:GetBucketObjectLockConfiguration',
        's3:GetReplicationConfiguration',
        's3:PutBucketVersioning',
        's3:PutReplicationConfiguration',
      ].sort(),
    );
    expect(JSON.stringify(s.Resource)).toContain(':s3:::shop-uploads-example"');
  });
});

describe('issue 13 #2: named stateful resources are kept, except when their own create rolls back', () => {
  const STATEFUL = ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::Backup::BackupVault', 'AWS::KMS::Key'];
  it.each(['production', 'recovery', 'production (full config)', 'recovery (full config)'])(
    '%s: no bucket, table, vault or key keeps itself after a failed create',
    (name) => {
      const t = templates().find(([n]) => n === name)![1];
      const stateful = resources(t).filter(([, r]) => STATEFUL.includes(r.Type));
      expect(stateful.length).toBeGreaterThan(3);
      for (const [id, r] of stateful) {
        // DeletionPolicy Retain is also applied when the stack's CREATE rolls back: the named
        // resource stays and the retry fails with "already exists". RetainExceptOnCreate does not.
        expect([id, r.DeletionPolicy]).toEqual([id, 'RetainExceptOnCreate']);
        expect([id, r.UpdateReplacePolicy]).toEqual([id, 'Retain']);
      }
    },
  );
});

describe('issue 13 #3: no reserved concurrency (rejected on accounts with the default quota of 10)', () => {
  it.each(['production', 'recovery', 'production (full config)', 'recovery (full config)'])('%s: no function has ReservedConcurrentExecutions', (name) => {
    const t = templates().find(([n]) => n === name)![1];
    const functions = resources(t).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) expect([id, fn.Properties?.ReservedConcurrentExecutions]).toEqual([id, undefined]);
  });
});

describe('issue 13 #4: CloudWatch alarms may publish to the SSL-only alert topics', () => {
  it.each([
    ['production', 'eu-west-1'],
    ['recovery', 'eu-central-1'],
  ])('%s: each topic policy keeps the SSL deny and allows cloudwatch.amazonaws.com and the app event rules to publish for this account', (name, region) => {
    const t = name === 'production' ? built.production : built.recovery;
    const policies = Object.values(t.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const topic = (policy.Properties.Topics as unknown[])[0];
      expect(policy.Properties.PolicyDocument.Statement).toEqual([
        {
          Sid: 'AllowPublishThroughSSLOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: topic,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topic,
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${region}:123456789012:alarm:*` },
          },
        },
        {
          // The tamper pages (EventBridge rules named shop-*), this account and region only.
          Sid: 'AllowEventRulesToPublish',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topic,
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': `arn:aws:events:${region}:123456789012:rule/shop-*` },
          },
        },
      ]);
    }
  });
  // CloudWatch (alarm actions) and EventBridge (the tamper pages) publish to the SSE-KMS alert topics.
  it.each([
    ['production', 'CloudWatch', 'aws:SourceAccount', 'cloudwatch'],
    ['recovery', 'CloudWatch', 'aws:SourceAccount', 'cloudwatch'],
    ['production', 'EventBridge', 'tamper pages publish to an SSE-KMS topic', 'events'],
    ['recovery', 'EventBridge', 'tamper pages publish to an SSE-KMS topic', 'events'],
  ])('%s: the alert key lets %s use it for this account only (%s)', (name, _who, _why, service) => {
    const t = name === 'production' ? built.production : built.recovery;
    t.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('alert topics'),
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: `Allow${service}ToUseTheKey`,
            Effect: 'Allow',
            Principal: { Service: `${service}.amazonaws.com` },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ]),
      },
    });
  });
  it.each(['production', 'recovery'])('%s: tamper rules target the critical topic by ARN with their own message', (name) => {
    const t = name === 'production' ? built.production : built.recovery;
    const rules = Object.values(t.findResources('AWS::Events::Rule')).filter((r) => /tamper/.test(String(r.Properties.Name)));
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.Properties.Targets).toHaveLength(1);
      expect(r.Properties.Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/AlertsCritical/) });
      expect(r.Properties.Targets[0].RoleArn).toBeUndefined();
    }
  });
});

/** The statement with this Sid in the policies of the role whose logical id matches. */
function statementOf(t: Template, roleMatch: RegExp, sid: string): { Action: string[] | string; Resource: unknown } {
  const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as { Ref: string }[]).some((r) => roleMatch.test(r.Ref)),
  );
  const statement = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).find((s: { Sid?: string }) => s.Sid === sid);
  expect(statement).toBeDefined();
  return statement;
}

describe('issue 13 #5: the weekly restore test may do what it calls on *-drtest-* tables', () => {
  it('allows UpdateTimeToLive (wishlists has TTL) next to the calls of lambda/restore/restore-test.ts; TagResource only for what the import engine re-applies', () => {
    const s = statementOf(built.recovery, /^RestoreTestRole/, 'OnlyDrTestTables');
    expect([...(s.Action as string[])].sort()).toEqual(
      [
        'dynamodb:BatchWriteItem',
        'dynamodb:CreateTable',
        'dynamodb:DeleteTable',
        'dynamodb:DescribeTable',
        // The import engine (restore.engine "import" or auto above the threshold): ImportTable, then
        // it reads and re-applies TTL and tags ImportTable does not carry (lambda/restore/engines/).
        'dynamodb:DescribeTimeToLive',
        'dynamodb:GetItem',
        'dynamodb:ImportTable',
        'dynamodb:Scan',
        'dynamodb:TagResource',
        'dynamodb:UpdateTimeToLive',
      ].sort(),
    );
    expect(s.Resource).toBe('arn:aws:dynamodb:eu-central-1:123456789012:table/*-drtest-*');
  });
});

describe('issue 13 #7: no unused grants, and a log group with retention for the custom resources', () => {
  it('the export finalizer may not PutObjectAcl, AbortMultipartUpload or kms:Encrypt (lambda/core/export-finalize.ts calls none)', () => {
    const write = statementOf(built.production, /^ExportFinalizerRole/, 'WriteBackupSets');
    expect([...write.Action].sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    const key = statementOf(built.production, /^ExportFinalizerRole/, 'UseTheKey');
    expect([...key.Action].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });
  it('the backup function keeps what native exports need as the caller (s3:AbortMultipartUpload, s3:PutObjectAcl, kms:GenerateDataKey)', () => {
    const write = statementOf(built.production, /^BackupFunctionRole/, 'WriteBackupSets');
    expect([...write.Action].sort()).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectAcl']);
    const key = statementOf(built.production, /^BackupFunctionRole/, 'UseTheKey');
    expect([...key.Action].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });
  it('the replication role may not ReplicateDelete: delete markers are not replicated', () => {
    for (const t of [built.production, full.production]) {
      const replicationPolicy = JSON.stringify(
        Object.values(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ReplicationRole') }] } })),
      );
      expect(replicationPolicy).toContain('s3:ReplicateObject');
      expect(replicationPolicy).not.toContain('s3:ReplicateDelete');
    }
    for (const b of Object.values(built.production.findResources('AWS::S3::Bucket', { Properties: { ReplicationConfiguration: Match.anyValue() } }))) {
      for (const r of b.Properties.ReplicationConfiguration.Rules) expect(r.DeleteMarkerReplication).toEqual({ Status: 'Disabled' });
    }
  });
  it('every custom-resource Lambda logs to a log group with retention', () => {
    const fns = resources(full.production).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && /AWS679f53fac002430cb0da5b7982bd2287|ExistingBucketHandler/.test(id),
    );
    expect(fns).toHaveLength(2);
    for (const [, fn] of fns) {
      const logGroupId = (fn.Properties!.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(full.production.toJSON().Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } });
    }
  });
});
