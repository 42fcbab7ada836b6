/**
 * Issue 21, item 5: the recovery stack in a second account. Its bucket, key and vault policies
 * trust only the primary account's replication role and AWS Backup's copy; replication hands the
 * replicas to the recovery account (owner override); the copy vault lives there.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { GUARD_SIDS } from '../../lib/constructs/lockdown-guards';
import { build, type Built } from './app-fixture';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BREAK_GLASS, PRIMARY_ACCOUNT, RECOVERY_ACCOUNT, TWO_ACCOUNT_CONFIG, twoAccountConfig } from './two-account-fixture';
import { ROOT } from './app-fixture';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROLE = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/shop-dr-replication`;
const REPLICA = `shop-replica-${RECOVERY_ACCOUNT}-eu-central-1`;
let built: Built;
beforeAll(() => {
  built = build(twoAccountConfig());
});

const policyOf = (name: string): Json[] => {
  const found = Object.values(built.recovery.findResources('AWS::S3::BucketPolicy')).filter((p) =>
    String(built.recovery.toJSON().Resources[p.Properties.Bucket.Ref].Properties.BucketName ?? '').includes(name),
  );
  expect(found).toHaveLength(1);
  return found[0].Properties.PolicyDocument.Statement;
};

describe('two accounts', () => {
  it('puts each stack in its own account', () => {
    expect(built.stacks.production.account).toBe(PRIMARY_ACCOUNT);
    expect(built.stacks.recovery.account).toBe(RECOVERY_ACCOUNT);
  });
  it('names the replication role, so the recovery account can trust it by ARN', () => {
    built.production.hasResourceProperties('AWS::IAM::Role', { RoleName: 'shop-dr-replication' });
  });
  it('replicates into the recovery account with owner override', () => {
    built.production.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `shop-backups-${PRIMARY_ACCOUNT}-eu-west-1`,
      ReplicationConfiguration: {
        Rules: [
          Match.objectLike({
            Destination: Match.objectLike({
              Bucket: `arn:aws:s3:::${REPLICA}`,
              Account: RECOVERY_ACCOUNT,
              AccessControlTranslation: { Owner: 'Destination' },
              EncryptionConfiguration: { ReplicaKmsKeyID: `arn:aws:kms:eu-central-1:${RECOVERY_ACCOUNT}:alias/shop-dr-replica` },
            }),
          }),
        ],
      },
    });
  });
  it('lets the replication role take owner override on the replicas (existing data buckets too)', () => {
    const policies = JSON.stringify(built.production.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('s3:ObjectOwnerOverrideToBucketOwner');
    const custom = Object.values(built.production.findResources('Custom::ExistingBucketReplication'))[0];
    expect(JSON.parse(custom.Properties.Rule).Destination).toMatchObject({ Account: RECOVERY_ACCOUNT, AccessControlTranslation: { Owner: 'Destination' } });
  });
  it('copies AWS Backup recovery points to the vault of the recovery account', () => {
    expect(JSON.stringify(built.production.findResources('AWS::Backup::BackupPlan'))).toContain(
      `arn:aws:backup:eu-central-1:${RECOVERY_ACCOUNT}:backup-vault:shop-dr-recovery`,
    );
  });
});

describe("the recovery account's policies trust only the primary's replication role and AWS Backup's copy", () => {
  it('replica bucket: the role may replicate, take ownership and read versioning; nothing else of the primary account', () => {
    const statements = policyOf(REPLICA);
    const primary = statements.filter((s) => JSON.stringify(s.Principal ?? '').includes(PRIMARY_ACCOUNT));
    expect(primary.map((s) => ({ Effect: s.Effect, Principal: s.Principal, Action: s.Action }))).toEqual([
      { Effect: 'Allow', Principal: { AWS: ROLE }, Action: ['s3:ObjectOwnerOverrideToBucketOwner', 's3:ReplicateObject', 's3:ReplicateTags'] },
      { Effect: 'Allow', Principal: { AWS: ROLE }, Action: 's3:GetBucketVersioning' },
    ]);
  });
  it('data replica buckets trust the same role the same way', () => {
    const primary = policyOf('shop-uploads-example-dr').filter((s) => JSON.stringify(s.Principal ?? '').includes(PRIMARY_ACCOUNT));
    expect(primary).toHaveLength(2);
  });
  it('replica key: the role may encrypt through S3 of the recovery region only', () => {
    const key = Object.values(built.recovery.findResources('AWS::KMS::Key')).find((k) => k.Properties.Description.includes('replicas'))!;
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Sid: 'PrimaryReplicationEncryptsReplicas',
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' } },
    });
  });
  it('vault: the primary account may copy in (CopyIntoBackupVault) and nothing else', () => {
    const vault = Object.values(built.recovery.findResources('AWS::Backup::BackupVault'))[0];
    const primary = vault.Properties.AccessPolicy.Statement.filter((s: Json) => JSON.stringify(s.Principal).includes(PRIMARY_ACCOUNT));
    expect(primary).toEqual([
      {
        Sid: 'PrimaryAwsBackupCopiesIn',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${PRIMARY_ACCOUNT}:root` },
        Action: 'backup:CopyIntoBackupVault',
        Resource: '*',
      },
    ]);
  });
  it("guards in the recovery account exempt only its own deploy role, not the primary's break-glass role", () => {
    const json = JSON.stringify(built.recovery.toJSON());
    expect(json).toContain(GUARD_SIDS.key);
    expect(json).not.toContain(BREAK_GLASS);
    expect(json).toContain(`cdk-hnb659fds-cfn-exec-role-${RECOVERY_ACCOUNT}-eu-central-1`);
    expect(JSON.stringify(built.production.toJSON())).toContain(BREAK_GLASS);
  });
  it('pages the tamper events of the recovery account to its own critical topic', () => {
    built.recovery.hasResourceProperties('AWS::Events::Rule', { Name: 'shop-tamper-keys' });
  });
});

describe('operators in the recovery account', () => {
  it('the recovery stack creates <app>-dr-operator-recovery: replica reads, journal, restore targets in its own account and region only', () => {
    const policies = Object.values(built.recovery.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'shop-dr-operator-recovery' } }));
    expect(policies).toHaveLength(1);
    const statements: Json[] = policies[0].Properties.PolicyDocument.Statement;
    expect(statements.find((s) => s.Sid === 'ReadReplicaObjects')).toMatchObject({ Action: 's3:GetObject', Resource: `arn:aws:s3:::${REPLICA}/backups/*` });
    const targets = statements.find((s) => s.Sid === 'RestoreTargets');
    expect(targets.Resource).toContain(`arn:aws:dynamodb:eu-central-1:${RECOVERY_ACCOUNT}:table/orders-*`);
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    expect(resources).not.toContain(PRIMARY_ACCOUNT);
    expect(resources).not.toContain('eu-west-1');
    const actions = statements.flatMap((s) => [].concat(s.Action));
    expect(actions.filter((a: string) => /^backup:|Delete(Object|Bucket|Table)|Bypass|ScheduleKeyDeletion|PutKeyPolicy/.test(a))).toEqual([]);
  });
  it('<app>-dr-operator-recovery-doctor holds every Doctor* and PageTestAlarm statement of <app>-dr-operator with the same actions (one function builds both), plus the chain-age reads', () => {
    const doctorActions = (t: Built['production'], name: string): Record<string, string[]> => {
      const policy = Object.values(t.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: name } }))[0];
      const statements: Json[] = policy.Properties.PolicyDocument.Statement;
      return Object.fromEntries(statements.filter((s) => /^(Doctor|PageTestAlarm)/.test(s.Sid)).map((s) => [s.Sid, [].concat(s.Action).sort()]));
    };
    const primary = doctorActions(built.production, 'shop-dr-operator');
    const { DoctorChainAge, DoctorChainAgeKey, ...recovery } = doctorActions(built.recovery, 'shop-dr-operator-recovery-doctor');
    expect({ DoctorChainAge, DoctorChainAgeKey }).toEqual({ DoctorChainAge: ['s3:GetObject'], DoctorChainAgeKey: ['kms:Decrypt'] });
    // The backup bucket's replication rule is read in the primary region only.
    expect(recovery).toEqual({ ...primary, DoctorBuckets: primary.DoctorBuckets.filter((a) => a !== 's3:GetReplicationConfiguration') });
    expect(primary.DoctorSettings).toContain('backup:ListBackupVaults');
  });
  it('<app>-dr-operator-recovery-doctor lets dr doctor --recovery-profile read the recovery stack, tamper rules and vault of its own account', () => {
    const policy = Object.values(
      built.recovery.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'shop-dr-operator-recovery-doctor' } }),
    )[0];
    const statements: Json[] = policy.Properties.PolicyDocument.Statement;
    expect(statements.find((s) => s.Sid === 'DoctorStacks')).toMatchObject({
      Action: 'cloudformation:DescribeStacks',
      Resource: `arn:aws:cloudformation:eu-central-1:${RECOVERY_ACCOUNT}:stack/Shop-Recovery/*`,
    });
    expect([...statements.find((s) => s.Sid === 'DoctorProtection').Resource].sort()).toEqual([
      `arn:aws:backup:eu-central-1:${RECOVERY_ACCOUNT}:backup-vault:shop-dr-recovery`,
      `arn:aws:events:eu-central-1:${RECOVERY_ACCOUNT}:rule/shop-tamper-*`,
    ]);
    expect(JSON.stringify(statements)).not.toContain(PRIMARY_ACCOUNT);
  });
  it("each operator policy of the recovery account stays within IAM's 6,144-character limit for a managed policy (whitespace not counted)", () => {
    const sizes = Object.values(built.recovery.findResources('AWS::IAM::ManagedPolicy')).map(
      (p) => [p.Properties.ManagedPolicyName, JSON.stringify(p.Properties.PolicyDocument).replace(/\s/g, '').length] as [string, number],
    );
    expect(sizes.map(([name]) => name).sort()).toEqual(['shop-dr-operator-drill', 'shop-dr-operator-recovery', 'shop-dr-operator-recovery-doctor']);
    for (const [name, size] of sizes) expect({ name, under: size < 6144 }).toEqual({ name, under: true });
  });
  it("the recovery account has its own shop-dr-operator-drill (a drill runs where a recovery would): the recovery account's shop-drill-* resources in the recovery region, attached beside shop-dr-operator-recovery", () => {
    const [drill] = Object.values(built.recovery.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'shop-dr-operator-drill' } }));
    expect(drill.Properties.Description).toMatch(/attach with shop-dr-operator-recovery$/);
    const statements = drill.Properties.PolicyDocument.Statement as { Sid: string; Resource: unknown }[];
    expect(statements.find((s) => s.Sid === 'DrillScratchTables')!.Resource).toEqual(`arn:aws:dynamodb:eu-central-1:${RECOVERY_ACCOUNT}:table/shop-drill-*`);
    expect(JSON.stringify(statements)).not.toContain(PRIMARY_ACCOUNT);
  });
  it('a one-account deployment has no recovery operator policy (the primary one covers both regions)', () => {
    const one = build();
    expect(Object.keys(one.recovery.findResources('AWS::IAM::ManagedPolicy'))).toEqual([]);
  });
});

describe('the two-account config file (DR_CONFIG=test/lib/fixtures/dr.config.two-account.json npx cdk synth)', () => {
  it('is the shipped dr.config.json with both accounts, offAccount and a break-glass role, nothing else', () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8'));
    const file = JSON.parse(fs.readFileSync(TWO_ACCOUNT_CONFIG, 'utf8'));
    expect(file).toEqual({
      ...shipped,
      primary: { ...shipped.primary, account: PRIMARY_ACCOUNT },
      recovery: { ...shipped.recovery, account: RECOVERY_ACCOUNT, offAccount: true },
      breakGlassRoleArn: BREAK_GLASS,
    });
  });
});
