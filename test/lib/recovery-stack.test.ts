import { Match, Template } from 'aws-cdk-lib/assertions';
import { MetricName } from '../../lambda/shared/metrics';
import type { RecoveryStack } from '../../lib/stacks/recovery-stack';
import { build } from './app-fixture';

// Synthesised once for the whole file (bundling skipped; see app-fixture.ts).
let stack: RecoveryStack;
let t: Template;
beforeAll(() => {
  const built = build();
  stack = built.stacks.recovery;
  t = built.recovery;
});

const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
const REPLICA = 'shop-replica-123456789012-eu-central-1';
/** Logical id of the replica key (fails when there is not exactly one). */
const replicaKeyId = () => {
  const ids = Object.keys(t.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('replicas') } }));
  expect(ids).toHaveLength(1);
  return ids[0];
};
const fnWith = (variable: string) =>
  Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [variable]: Match.anyValue() } } } }));

describe('recovery stack: replica key and buckets', () => {
  it('has a rotating replica key under the alias the production stack names', () => {
    const id = replicaKeyId();
    // The production stack's replication rule and role name the key by this alias only.
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/shop-dr-replica', TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] } });
    expect(t.toJSON().Resources[id]).toMatchObject({ Properties: { EnableKeyRotation: true }, DeletionPolicy: 'RetainExceptOnCreate' });
  });
  it('has the replica bucket, versioned and object-locked in the configured mode (COMPLIANCE, hardened), under its deterministic name', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: REPLICA,
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } },
    });
  });
  it('encrypts the replica bucket with the replica key', () => {
    const keyId = replicaKeyId();
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: REPLICA,
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } }),
        ],
      },
    });
  });
  it('applies the same tier lifecycle as the backup bucket', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: REPLICA,
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'backups/daily/', ExpirationInDays: 30 }),
          Match.objectLike({ Prefix: 'backups/weekly/', ExpirationInDays: 90 }),
          Match.objectLike({ Prefix: 'backups/monthly/', ExpirationInDays: 365 }),
        ]),
      },
    });
  });
  it('logs access to a log bucket', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: REPLICA,
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('ReplicaAccessLogs') }, LogFilePrefix: `${REPLICA}/` },
    });
  });
  it('has a versioned replica bucket per data bucket', () => {
    t.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'shop-uploads-example-dr-eu-central-1', VersioningConfiguration: { Status: 'Enabled' } });
  });
  it('keeps the replica buckets when the stack is deleted', () => {
    for (const name of [REPLICA, 'shop-uploads-example-dr-eu-central-1']) {
      const found = Object.values(t.findResources('AWS::S3::Bucket', { Properties: { BucketName: name } }));
      expect(found).toHaveLength(1);
      expect(found[0].DeletionPolicy).toBe('RetainExceptOnCreate');
    }
  });
});

describe('recovery stack: AWS Backup vault', () => {
  it('receives the copies under the name the production plan targets, encrypted with the replica key', () => {
    t.hasResource('AWS::Backup::BackupVault', {
      Properties: { BackupVaultName: 'shop-dr-recovery', EncryptionKeyArn: { 'Fn::GetAtt': [replicaKeyId(), 'Arn'] } },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
  });
});

describe('recovery stack: topics and alarms', () => {
  it('has its own critical and warning topics, encrypted with its alerts key', () => {
    for (const name of ['shop-dr-critical-recovery', 'shop-dr-warning-recovery']) {
      t.hasResourceProperties('AWS::SNS::Topic', { TopicName: name, KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertsKey'), 'Arn'] } });
    }
  });
  it('routes each alarm, and its recovery, to the topic of its severity', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    const names = alarms.map((a) => a.Properties.AlarmName as string);
    // The three data alarms are Critical; the monitor/restore-test function alarms are Warning.
    expect(names).toEqual(
      expect.arrayContaining([
        'shop-ReplicaBackupStale-Critical',
        'shop-RestoreTestFailed-Critical',
        'shop-RestoreTestMissing-Critical',
        'shop-ReplicaMonitor-Errors-Warning',
      ]),
    );
    for (const a of alarms) {
      const name = a.Properties.AlarmName as string;
      expect(name).toMatch(/^shop-[A-Za-z0-9-]+-(Critical|Warning)$/);
      const topic = name.endsWith('-Critical') ? stack.alerts.critical : stack.alerts.warning;
      expect(a.Properties.AlarmActions).toEqual([{ Ref: logicalId(topic) }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: logicalId(topic) }]);
    }
  });
  it('pages when no backup arrived within RPO plus the replication window, missing data breaching', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-ReplicaBackupStale-Critical',
      MetricName: MetricName.ReplicaBackupAgeMinutes,
      Threshold: 1440 + 15,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.critical) }],
    });
  });
  it('pages when a restore test failed', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-RestoreTestFailed-Critical',
      MetricName: MetricName.RestoreTestFailure,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: logicalId(stack.alerts.critical) }],
    });
  });
  it('pages when no restore test passed for 7 days, missing data breaching', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-RestoreTestMissing-Critical',
      MetricName: MetricName.RestoreTestSuccess,
      Period: 6 * 3600,
      EvaluationPeriods: 28,
      TreatMissingData: 'breaching',
      ComparisonOperator: 'LessThanThreshold',
      AlarmActions: [{ Ref: logicalId(stack.alerts.critical) }],
    });
  });
  it('warns on replica monitor errors', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-ReplicaMonitor-Errors-Warning',
      AlarmActions: [{ Ref: logicalId(stack.alerts.warning) }],
    });
  });
});

describe('recovery stack: restore test', () => {
  it('runs on the configured weekly schedule', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 5 ? * MON *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('RestoreTestFunction'), 'Arn'] } })],
    });
  });
  it('gets the replica bucket, sample size and the configured tables', () => {
    const [fn] = fnWith('SAMPLE_SIZE');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      APP_NAME: 'shop',
      SAMPLE_SIZE: '100',
      REPLICA_BUCKET: { Ref: logicalId(stack.replicaBucket) },
      TABLES: 'products,product_variants,inventory,orders,order_items,users,customers,reviews,wishlists',
    });
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });
  it('may create, fill, scan and delete only *-drtest-* tables', () => {
    const policy = Object.values(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack.restoreTest!.role) }] } }))[0];
    const tables = policy.Properties.PolicyDocument.Statement.find((s: { Sid?: string }) => s.Sid === 'OnlyDrTestTables');
    expect(tables.Action).toEqual(expect.arrayContaining(['dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']));
    expect(tables.Action).not.toContain('dynamodb:UpdateTable');
    expect(tables.Resource).toBe('arn:aws:dynamodb:eu-central-1:123456789012:table/*-drtest-*');
  });
  it('reads the replica bucket and decrypts with the replica key, nothing more', () => {
    const policy = JSON.stringify(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack.restoreTest!.role) }] } }));
    expect(policy).toContain('s3:GetObject');
    expect(policy).toContain('kms:Decrypt');
    expect(policy).not.toMatch(/s3:PutObject|s3:Delete|kms:Encrypt/);
  });
});

describe('recovery stack: replica monitor', () => {
  it('runs hourly with the replica bucket', () => {
    const [fn] = fnWith('REPLICA_BUCKET').filter((f) => f.Properties.Environment.Variables.SAMPLE_SIZE === undefined);
    expect(fn.Properties.Environment.Variables).toMatchObject({ APP_NAME: 'shop', REPLICA_BUCKET: { Ref: logicalId(stack.replicaBucket) } });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReplicaMonitorFunction'), 'Arn'] } })],
    });
  });
});

describe('recovery stack: outputs', () => {
  it('outputs the replica bucket name the region-down runbook passes to dr --bucket', () => {
    t.hasOutput('ReplicaBucketName', { Value: Match.anyValue() });
    expect(JSON.stringify(t.findOutputs('ReplicaBucketName'))).toContain(logicalId(stack.replicaBucket));
  });
});
