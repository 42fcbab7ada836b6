import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStacks, PLACEHOLDER_ACCOUNT, resolveAccount } from '../../lib/dr-app';
import { build, configWith, exampleConfig, testApp, type Built } from './app-fixture';

describe('app: accounts and regions', () => {
  it('uses the account of the credentials when the config names none', () => {
    expect(resolveAccount(exampleConfig(), { CDK_DEFAULT_ACCOUNT: '210987654321' })).toEqual({
      account: '210987654321',
      recoveryAccount: '210987654321',
      placeholder: false,
    });
  });
  it("prefers the config's primary.account over the credentials", () => {
    const config = configWith({ primary: { region: 'eu-west-1', account: '111122223333' } });
    expect(resolveAccount(config, { CDK_DEFAULT_ACCOUNT: '210987654321' }).account).toBe('111122223333');
  });
  it('falls back to the placeholder account without credentials, so synth works on a fresh clone', () => {
    expect(resolveAccount(exampleConfig(), {})).toEqual({ account: PLACEHOLDER_ACCOUNT, recoveryAccount: PLACEHOLDER_ACCOUNT, placeholder: true });
  });
  it('refuses a recovery account different from the primary one (from the credentials) unless offAccount, naming both', () => {
    const config = configWith({ recovery: { region: 'eu-central-1', account: '444455556666' } });
    expect(() => resolveAccount(config, { CDK_DEFAULT_ACCOUNT: '111122223333' })).toThrow(
      /recovery\.account \(444455556666\) differs from primary\.account \(111122223333\); set "offAccount": true/,
    );
  });
});

describe('app: stacks', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  it('puts production in the primary region and recovery in the recovery region', () => {
    expect(built.stacks.production.region).toBe('eu-west-1');
    expect(built.stacks.recovery.region).toBe('eu-central-1');
    expect(built.stacks.production.stackName).toBe('Shop-Production');
    expect(built.stacks.recovery.stackName).toBe('Shop-Recovery');
  });
  it('deploys recovery first: production depends on it', () => {
    expect(built.stacks.production.dependencies).toContain(built.stacks.recovery);
    expect(built.stacks.recovery.dependencies).toHaveLength(0);
  });
  it('turns termination protection on for real accounts', () => {
    expect(built.stacks.production.terminationProtection).toBe(true);
  });
  it('passes nothing between the stacks but deterministic names (no cross-stack exports)', () => {
    expect(JSON.stringify(built.production.toJSON())).not.toContain('Fn::ImportValue');
    expect(Object.keys(built.recovery.toJSON().Outputs ?? {}).filter((k) => k.startsWith('ExportsOutput'))).toEqual([]);
    expect(built.production.findResources('Custom::CrossRegionExportReader')).toEqual({});
  });
  it('warns, without failing, when synthesised for the placeholder account', () => {
    const app = testApp();
    const stacks = buildStacks(app, exampleConfig(), {});
    const warnings = app
      .synth()
      .getStackArtifact(stacks.production.artifactId)
      .messages.filter((m) => m.level === 'warning');
    expect(warnings.map((w) => String(w.entry.data))).toContainEqual(expect.stringMatching(/No AWS account found.*synthesised for 000000000000/));
  });
});

describe('app: existing tables, owned data buckets and switched-off features', () => {
  let production: Template;
  let recovery: Template;
  beforeAll(() => {
    const built = build(
      configWith({
        tables: [
          { name: 'legacy_orders', existing: true },
          { name: 'carts', partitionKey: { name: 'cartId', type: 'S' } },
        ],
        dataBuckets: [{ name: 'shop-media-owned', existing: false }],
        restoreTest: { enabled: false },
        awsBackup: { enabled: false },
      }),
    );
    production = built.production;
    recovery = built.recovery;
  });

  it('switches PITR on for an existing table through UpdateContinuousBackups', () => {
    const calls = Object.values(production.findResources('Custom::AWS')).map((r) => JSON.parse(r.Properties.Create as string) as Record<string, unknown>);
    expect(calls).toContainEqual(
      expect.objectContaining({
        service: 'DynamoDB',
        action: 'UpdateContinuousBackups',
        parameters: { TableName: 'legacy_orders', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
      }),
    );
  });
  it('does not create the existing table', () => {
    expect(production.findResources('AWS::DynamoDB::Table', { Properties: { TableName: 'legacy_orders' } })).toEqual({});
    // carts, and the backup slots' state table.
    production.resourceCountIs('AWS::DynamoDB::Table', 2);
  });
  it('still creates the other table with PITR and deletion protection (after create, issue 18 item 6), kept on delete', () => {
    production.hasResourceProperties('Custom::TableDeletionProtection', { TableName: Match.objectLike({ Ref: Match.stringLikeRegexp('Carts') }) });
    production.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        TableName: 'carts',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });
  it('creates an owned data bucket with its replication rule in the template', () => {
    production.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-media-owned',
      VersioningConfiguration: { Status: 'Enabled' },
      ReplicationConfiguration: { Rules: [Match.objectLike({ Destination: Match.objectLike({ Bucket: 'arn:aws:s3:::shop-media-owned-dr-eu-central-1' }) })] },
    });
  });
  it('leaves out the AWS Backup plan when awsBackup.enabled is false', () => {
    // The example config (awsBackup on) has one plan and one selection (production-stack.test.ts).
    production.resourceCountIs('AWS::Backup::BackupPlan', 0);
    production.resourceCountIs('AWS::Backup::BackupSelection', 0);
    expect(JSON.stringify(production.toJSON())).not.toContain('backup-vault:shop-dr-recovery');
    // The rest of the backup path is still there.
    production.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TABLES: 'legacy_orders,carts' }) } });
  });
  it('leaves out the restore test, its schedule and its alarms when restoreTest.enabled is false, but keeps the replica monitor', () => {
    expect(recovery.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { SAMPLE_SIZE: Match.anyValue() } } } })).toEqual({});
    expect(Object.keys(recovery.toJSON().Resources).filter((id) => id.startsWith('RestoreTest'))).toEqual([]);
    expect(recovery.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('RestoreTest') } })).toEqual({});
    recovery.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'shop-ReplicaBackupStale-Critical' });
    recovery.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReplicaMonitorFunction'), 'Arn'] } })],
    });
  });
});
