import { Match, Template } from 'aws-cdk-lib/assertions';
import { MetricName } from '../../lambda/shared/metrics';
import type { ProductionStack } from '../../lib/stacks/production-stack';
import { build } from './app-fixture';

// Synthesised once for the whole file (bundling skipped; see app-fixture.ts).
let stack: ProductionStack;
let t: Template;
beforeAll(() => {
  const built = build();
  stack = built.stacks.production;
  t = built.production;
});

/** The configured (protected) tables: every table but the backup slots' state table. */
const protectedTables = () =>
  Object.fromEntries(Object.entries(t.findResources('AWS::DynamoDB::Table')).filter(([, r]) => r.Properties.TableName !== 'shop-dr-state'));
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
const alarm = (name: string) => Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }))[0];
/** Logical id of the one KMS key whose description matches (fails when there is not exactly one). */
const keyId = (description: RegExp) => {
  const ids = Object.keys(t.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp(description.source) } }));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('production stack: encryption key', () => {
  it('is a customer-managed key with rotation, kept on delete', () => {
    const id = keyId(/DR backups/);
    expect(t.toJSON().Resources[id]).toMatchObject({ Properties: { EnableKeyRotation: true }, DeletionPolicy: 'RetainExceptOnCreate' });
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/shop-dr-backups', TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] } });
  });
});

describe('production stack: backup bucket', () => {
  const bucket = () => t.findResources('AWS::S3::Bucket', { Properties: { BucketName: 'shop-backups-123456789012-eu-west-1' } });

  it('is named deterministically and exists once', () => {
    expect(Object.keys(bucket())).toHaveLength(1);
  });
  it('uses SSE-KMS with the backup key and an S3 bucket key', () => {
    // The key must be the stack's customer-managed backup key, not one CDK would create on its own.
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId(/DR backups/), 'Arn'] } },
          },
        ],
      },
    });
  });
  it('is versioned and blocks public access', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });
  it('denies requests without TLS', () => {
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.backupBucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
  it('sends server access logs to a separate log bucket', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('BackupsAccessLogs') },
        LogFilePrefix: 'shop-backups-123456789012-eu-west-1/',
      },
    });
  });
  it('has Object Lock in the configured mode (COMPLIANCE: the shipped config is hardened) with the configured default retention', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } },
    });
  });
  it('expires daily sets after 30 days without transitions', () => {
    const rules = Object.values(bucket())[0].Properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Id: 'daily-tier', Prefix: 'backups/daily/', ExpirationInDays: 30 }));
    expect(rules.find((r: { Id: string }) => r.Id === 'daily-tier').Transitions).toBeUndefined();
  });
  it('moves weekly sets to STANDARD_IA after 30 days and expires them after 90', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'weekly-tier',
            Prefix: 'backups/weekly/',
            ExpirationInDays: 90,
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
          }),
        ]),
      },
    });
  });
  it('moves monthly sets to STANDARD_IA then GLACIER_IR and expires them after 365 days', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'monthly-tier',
            Prefix: 'backups/monthly/',
            ExpirationInDays: 365,
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
          }),
        ]),
      },
    });
  });
  it('expires noncurrent versions and aborts incomplete multipart uploads', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'noncurrent-versions',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          }),
        ]),
      },
    });
  });
});

describe('production stack: cross-region replication', () => {
  /** What each of our replication rules must say: enabled, no delete markers, SSE-KMS objects, the replica key, RTC and metrics at 15 minutes. */
  const replicationRule = (destinationBucket: string) => ({
    Status: 'Enabled',
    DeleteMarkerReplication: { Status: 'Disabled' },
    SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
    Destination: {
      Bucket: `arn:aws:s3:::${destinationBucket}`,
      EncryptionConfiguration: { ReplicaKmsKeyID: 'arn:aws:kms:eu-central-1:123456789012:alias/shop-dr-replica' },
      ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
      Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
    },
  });
  it('replicates the backup bucket to the replica bucket with RTC, metrics, the replica key and no delete markers', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-backups-123456789012-eu-west-1',
      ReplicationConfiguration: {
        Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReplicationRole'), 'Arn'] },
        Rules: [Match.objectLike(replicationRule('shop-replica-123456789012-eu-central-1'))],
      },
    });
  });
  it('replicates the existing uploads bucket through Custom::ExistingBucketReplication with our V2 rule (SSE-KMS objects selected)', () => {
    const [resource] = Object.values(t.findResources('Custom::ExistingBucketReplication'));
    expect(resource.Properties).toMatchObject({ BucketName: 'shop-uploads-example', ObjectLock: 'false' });
    expect(JSON.parse(resource.Properties.Rule)).toEqual({
      ID: 'dr-stack-to-eu-central-1',
      Priority: 1,
      Filter: { Prefix: '' },
      ...replicationRule('shop-uploads-example-dr-eu-central-1'),
    });
  });
  it('no longer puts the replication of an existing bucket through the blind PutBucketReplication of Custom::AWS', () => {
    expect(JSON.stringify(t.findResources('Custom::AWS'))).not.toContain('PutBucketReplication');
  });
  it('lets the replication role encrypt only with keys carrying the replica alias', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('ReplicationRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
            Resource: 'arn:aws:kms:eu-central-1:123456789012:key/*',
            Condition: {
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/shop-dr-replica' },
              StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' },
            },
          }),
        ]),
      },
    });
  });
});

describe('production stack: DynamoDB tables', () => {
  it('creates every configured table', () => {
    expect(Object.keys(protectedTables())).toHaveLength(9);
  });
  it('gives every table PITR and deletion protection and keeps it on stack deletion', () => {
    const tables = Object.values(protectedTables());
    expect(tables).toHaveLength(9);
    for (const table of tables) {
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      // Issue 18 item 6: switched on by Custom::TableDeletionProtection once created (table-deletion-protection.test.ts).
      expect(table.Properties.DeletionProtectionEnabled).toBeUndefined();
      expect(table.DeletionPolicy).toBe('RetainExceptOnCreate');
    }
  });
  it('creates the configured GSIs', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'orders',
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byCustomer',
          KeySchema: [
            { AttributeName: 'customerId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });
  it('sets the configured TTL attribute', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'wishlists', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
  });
});

describe('production stack: AWS Backup plan', () => {
  it('has daily, weekly and monthly rules with the configured schedules and retention, each copied to the recovery vault', () => {
    const copy = (days: number) => [
      { DestinationBackupVaultArn: 'arn:aws:backup:eu-central-1:123456789012:backup-vault:shop-dr-recovery', Lifecycle: { DeleteAfterDays: days } },
    ];
    t.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({ RuleName: 'daily', ScheduleExpression: 'cron(0 2 * * ? *)', Lifecycle: { DeleteAfterDays: 30 }, CopyActions: copy(30) }),
          Match.objectLike({ RuleName: 'weekly', ScheduleExpression: 'cron(0 3 ? * SUN *)', Lifecycle: { DeleteAfterDays: 90 }, CopyActions: copy(90) }),
          Match.objectLike({ RuleName: 'monthly', ScheduleExpression: 'cron(0 4 1 * ? *)', Lifecycle: { DeleteAfterDays: 365 }, CopyActions: copy(365) }),
        ],
      },
    });
  });
  it('selects the protected tables', () => {
    const [selection] = Object.values(t.findResources('AWS::Backup::BackupSelection'));
    const tableIds = Object.keys(protectedTables());
    expect(selection.Properties.BackupSelection.Resources).toEqual(tableIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
  });
});

describe('production stack: backup function and schedules', () => {
  const backupFn = () => t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { TABLES: Match.anyValue() } } } });

  it('runs on Node.js 24 on arm64', () => {
    const [fn] = Object.values(backupFn());
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
  });
  it('has a dead-letter queue', () => {
    const [fn] = Object.values(backupFn());
    expect(fn.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0]).toMatch(/^BackupFunctionDeadLetterQueue/);
  });
  it('logs to an explicit log group with retention', () => {
    const [fn] = Object.values(backupFn());
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
    expect(logGroupId).toMatch(/^BackupFunctionLogs/);
    expect(t.toJSON().Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } });
  });
  it('gets the handler contract environment from the config', () => {
    const [fn] = Object.values(backupFn());
    expect(fn.Properties.Environment.Variables).toMatchObject({
      APP_NAME: 'shop',
      TABLES: 'products,product_variants,inventory,orders,order_items,users,customers,reviews,wishlists',
      ENGINE: 'auto',
      EXPORT_THRESHOLD_BYTES: '1073741824',
      SCAN_SEGMENTS: '0',
      MAX_FILE_BYTES: String(256 * 1024 * 1024),
      BACKUP_BUCKET: { Ref: logicalId(stack.backupBucket) },
    });
  });
  it('is invoked per tier with {tier, time}, retries and a dead-letter queue', () => {
    for (const [tier, cron] of [
      ['daily', 'cron(0 2 * * ? *)'],
      ['weekly', 'cron(0 3 ? * SUN *)'],
      ['monthly', 'cron(0 4 1 * ? *)'],
    ]) {
      t.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: cron,
        Targets: [
          Match.objectLike({
            // The event time fixes the slot (test/lib/backup-slots.test.ts).
            InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: `{"tier":"${tier}","time":<time>}` },
            RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
            DeadLetterConfig: Match.anyValue(),
          }),
        ],
      });
    }
  });
  it('runs the export finalizer every 5 minutes', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ExportFinalizerFunction'), 'Arn'] } })],
    });
  });
  it('lets the backup role read only the configured tables', () => {
    const policy = Object.values(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack.backupFunction.role) }] } }))[0];
    const statement = policy.Properties.PolicyDocument.Statement.find((s: { Sid?: string }) => s.Sid === 'ReadConfiguredTables');
    expect([...statement.Action].sort()).toEqual([
      'dynamodb:DescribeContinuousBackups',
      'dynamodb:DescribeTable',
      'dynamodb:DescribeTimeToLive',
      'dynamodb:ExportTableToPointInTime',
      'dynamodb:Scan',
    ]);
    expect(statement.Resource).toHaveLength(9);
    expect(statement.Resource).toContain('arn:aws:dynamodb:eu-west-1:123456789012:table/orders');
  });
  it('gives the backup role no version delete, no lock bypass, no wildcard action and no table outside the config', () => {
    const policy = JSON.stringify(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack.backupFunction.role) }] } }));
    expect(policy).not.toMatch(/DeleteObjectVersion|BypassGovernanceRetention|dynamodb:Delete|PutObjectRetention/);
    expect(policy).not.toMatch(/"(s3|dynamodb|kms):\*"/);
    expect(policy).not.toMatch(/table\/\*/);
  });
  it('has no AWS-managed policy on the function roles', () => {
    const roles = t.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] } },
    });
    const own = Object.entries(roles).filter(([id]) => /^(BackupFunction|ExportFinalizer)/.test(id));
    expect(own).toHaveLength(2);
    for (const [, role] of own) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('production stack: alert topics', () => {
  it('creates critical and warning topics encrypted with a customer-managed key', () => {
    for (const name of ['shop-dr-critical-primary', 'shop-dr-warning-primary']) {
      t.hasResourceProperties('AWS::SNS::Topic', { TopicName: name, KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlertsKey'), 'Arn'] } });
    }
  });
  it("lets CloudWatch use the topics' key", () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]),
      },
    });
  });
  it('subscribes the configured email, SMS and HTTPS endpoints', () => {
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: logicalId(stack.alerts.critical) },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sms', Endpoint: '+447700900123' });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://events.pagerduty.com/integration/EXAMPLEKEY/enqueue' });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'shop-team@example.com',
      TopicArn: { Ref: logicalId(stack.alerts.warning) },
    });
  });
});

describe('production stack: alarms', () => {
  it('names every alarm <app>-<what>-<Severity>', () => {
    const names = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName as string);
    expect(names.length).toBeGreaterThan(40);
    for (const name of names) expect(name).toMatch(/^shop-[A-Za-z0-9-]+-(Critical|Warning)$/);
  });
  it('routes each alarm, and its recovery, to the topic of its severity', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    const critical = alarms.filter((a) => (a.Properties.AlarmName as string).endsWith('-Critical'));
    // Both severities are present, so both branches of the routing are exercised.
    expect(critical.length).toBeGreaterThan(10);
    expect(alarms.length - critical.length).toBeGreaterThan(10);
    for (const a of alarms) {
      const topic = critical.includes(a) ? stack.alerts.critical : stack.alerts.warning;
      expect(a.Properties.AlarmActions).toEqual([{ Ref: logicalId(topic) }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: logicalId(topic) }]);
    }
  });
  it('pages when a backup failed, over every tier', () => {
    const a = alarm('shop-BackupFailed-Critical');
    expect(a.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(JSON.stringify(a.Properties.Metrics)).toContain(MetricName.BackupFailure);
  });
  it('pages when no backup succeeded within the RPO, missing data breaching', () => {
    const a = alarm('shop-NoRecentBackup-Critical');
    expect(a.Properties).toMatchObject({
      TreatMissingData: 'breaching',
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(JSON.stringify(a.Properties.Metrics)).toContain(MetricName.BackupSuccess);
  });
  it('warns when a backup runs longer than the configured duration', () => {
    const a = alarm('shop-BackupDuration-Warning');
    expect(a.Properties).toMatchObject({ Threshold: 3600, ComparisonOperator: 'GreaterThanThreshold' });
    expect(JSON.stringify(a.Properties.Metrics)).toContain(MetricName.BackupDurationSeconds);
  });
  it('warns over 25% and pages over 50% size change per table', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-Orders-SizeChange-Warning',
      Threshold: 25,
      MetricName: MetricName.BackupSizeChangePercent,
      Dimensions: Match.arrayWith([{ Name: 'Table', Value: 'orders' }]),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-Orders-SizeChange-Critical',
      Threshold: 50,
      MetricName: MetricName.BackupSizeChangePercent,
    });
  });
  it('warns over 25% and pages over 50% record count change per table', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-OrderItems-RecordCountChange-Warning',
      Threshold: 25,
      MetricName: MetricName.BackupRecordCountChangePercent,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-OrderItems-RecordCountChange-Critical',
      Threshold: 50,
      MetricName: MetricName.BackupRecordCountChangePercent,
    });
  });
  it('pages when replication lags more than 15 minutes', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-BackupBucket-ReplicationLatency-Critical',
      Namespace: 'AWS/S3',
      MetricName: 'ReplicationLatency',
      Threshold: 900,
      Dimensions: Match.arrayWith([{ Name: 'DestinationBucket', Value: 'shop-replica-123456789012-eu-central-1' }]),
    });
  });
  it('pages on failed replication operations of the data bucket', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-ShopUploadsExample-ReplicationFailed-Critical',
      Namespace: 'AWS/S3',
      MetricName: 'OperationsFailedReplication',
      Threshold: 0,
      Dimensions: Match.arrayWith([
        { Name: 'RuleId', Value: 'dr-stack-to-eu-central-1' },
        { Name: 'SourceBucket', Value: 'shop-uploads-example' },
      ]),
    });
  });
  it('pages on backup function errors', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'shop-BackupFunction-Errors-Critical', Namespace: 'AWS/Lambda', MetricName: 'Errors' });
  });
  it('pages when the backup dead-letter queue is not empty', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-BackupFunction-DeadLetters-Critical',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('production stack: dashboard', () => {
  const body = () => JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);

  it('draws the latest backup age against the RPO', () => {
    expect(body()).toContain(MetricName.LatestBackupAgeMinutes);
    expect(body()).toMatch(/\\"value\\":1440,\\"label\\":\\"RPO\\"/);
  });
  it('draws durations, sizes and record counts per table', () => {
    expect(body()).toContain(MetricName.BackupDurationSeconds);
    expect(body()).toContain(MetricName.BackupSizeBytes);
    expect(body()).toContain(MetricName.BackupRecordCount);
    expect(body()).toContain('product_variants');
  });
  it('draws replication latency and the restore-test duration from the recovery region', () => {
    expect(body()).toContain('ReplicationLatency');
    expect(body()).toMatch(new RegExp(`${MetricName.RestoreTestDurationSeconds}.*eu-central-1`));
  });
});

describe('production stack: outputs', () => {
  it('outputs the backup bucket name the dr CLI takes as --bucket', () => {
    t.hasOutput('BackupBucketName', { Value: Match.anyValue() });
    expect(JSON.stringify(t.findOutputs('BackupBucketName'))).toContain(logicalId(stack.backupBucket));
  });
});
