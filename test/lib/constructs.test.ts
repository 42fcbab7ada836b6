import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { alarmName } from '../../lib/constructs/alarm-naming';
import { AlertTopics } from '../../lib/constructs/alert-topics';
import { AwsBackupPlan } from '../../lib/constructs/aws-backup-plan';
import { BackupAlarms } from '../../lib/constructs/backup-alarms';
import { CrossRegionReplication } from '../../lib/constructs/cross-region-replication';
import { DrFunction } from '../../lib/constructs/dr-function';
import { EncryptionKey } from '../../lib/constructs/encryption-key';
import { FunctionSchedule } from '../../lib/constructs/function-schedule';
import { constructId } from '../../lib/constructs/protected-tables';
import { renderTierLifecycle, TieredBackupBucket, type TieredBackupBucketProps } from '../../lib/constructs/tiered-backup-bucket';
import { testApp } from './app-fixture';

const env = { account: '123456789012', region: 'eu-west-1' };
let n = 0;
/** A fresh stack per test: construct validation fails in the constructor. */
const newStack = () => new Stack(testApp(), `Test${n++}`, { env });
/** A TieredBackupBucket `b-123` in a new stack with its own key and the given settings. */
const tieredBucket = (props: Pick<TieredBackupBucketProps, 'retention' | 'objectLockDays'>) => {
  const stack = newStack();
  return new TieredBackupBucket(stack, 'B', { bucketName: 'b-123', encryptionKey: new kms.Key(stack, 'K'), ...props });
};

describe('alarmName', () => {
  it('builds <app>-<what>-<Severity>', () => {
    expect(alarmName('shop', 'BackupFailed', 'Critical')).toBe('shop-BackupFailed-Critical');
  });
  it('refuses a subject with spaces, naming it', () => {
    expect(() => alarmName('shop', 'Backup failed', 'Warning')).toThrow(/alarm subject "Backup failed" may only use letters, digits/);
  });
});

describe('renderTierLifecycle', () => {
  it('adds no transition when the object would not stay the minimum days in the cheaper class', () => {
    expect(renderTierLifecycle('daily', 59).transitions).toBeUndefined();
  });
  it('adds STANDARD_IA once 30 + 30 days fit', () => {
    const rule = renderTierLifecycle('weekly', 60);
    expect(rule.transitions).toEqual([expect.objectContaining({ storageClass: s3.StorageClass.INFREQUENT_ACCESS })]);
    expect(rule.transitions![0].transitionAfter!.toDays()).toBe(30);
    expect(rule).toMatchObject({ id: 'weekly-tier', prefix: 'backups/weekly/' });
    expect(rule.expiration!.toDays()).toBe(60);
  });
  it('adds GLACIER_IR once 90 + 90 days fit, not a day earlier', () => {
    const classes = (days: number) => renderTierLifecycle('monthly', days).transitions!.map((tr) => [tr.storageClass, tr.transitionAfter!.toDays()]);
    expect(classes(180)).toEqual([
      [s3.StorageClass.INFREQUENT_ACCESS, 30],
      [s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, 90],
    ]);
    expect(classes(179)).toEqual([[s3.StorageClass.INFREQUENT_ACCESS, 30]]);
  });
});

describe('constructId', () => {
  it('turns table and bucket names into PascalCase ids', () => {
    expect(constructId('order_items')).toBe('OrderItems');
    expect(constructId('shop-uploads.example')).toBe('ShopUploadsExample');
  });
});

describe('construct validation names the setting and the fix', () => {
  it('EncryptionKey refuses the reserved alias/aws/ prefix', () => {
    expect(() => new EncryptionKey(newStack(), 'K', { alias: 'alias/aws/s3', description: 'x' })).toThrow(
      /EncryptionKey alias "alias\/aws\/s3" uses the reserved prefix alias\/aws\//,
    );
  });
  it('TieredBackupBucket refuses an Object Lock longer than the daily retention', () => {
    expect(() => tieredBucket({ retention: { dailyDays: 5, weeklyDays: 90, monthlyDays: 365 }, objectLockDays: 7 })).toThrow(
      /objectLockDays \(7\) must not exceed retention\.dailyDays \(5\)/,
    );
  });
  it('TieredBackupBucket refuses a retention below one day', () => {
    expect(() => tieredBucket({ retention: { dailyDays: 0, weeklyDays: 90, monthlyDays: 365 } })).toThrow(
      /retention\.dailyDays must be a whole number of days >= 1 \(got 0\)/,
    );
  });
  it('CrossRegionReplication refuses the stack region as destination', () => {
    expect(() => new CrossRegionReplication(newStack(), 'R', { destinationRegion: 'eu-west-1', replicaKeyAlias: 'alias/x' })).toThrow(
      /destinationRegion \(eu-west-1\) must differ from the stack's region/,
    );
  });
  it('CrossRegionReplication wants the replica key as an alias', () => {
    expect(() => new CrossRegionReplication(newStack(), 'R', { destinationRegion: 'eu-central-1', replicaKeyAlias: 'my-key' })).toThrow(
      /replicaKeyAlias must start with "alias\/" \(got "my-key"\)/,
    );
  });
  it('CrossRegionReplication refuses an unversioned bucket', () => {
    const stack = newStack();
    const replication = new CrossRegionReplication(stack, 'R', { destinationRegion: 'eu-central-1', replicaKeyAlias: 'alias/x' });
    expect(() => replication.replicateOwnedBucket(new s3.Bucket(stack, 'B'), 'dest', 'Media')).toThrow(
      /bucket Media must be versioned to be replicated; set versioned: true/,
    );
  });
  it('DrFunction wants an entry under lambda/handlers/', () => {
    expect(() => new DrFunction(newStack(), 'F', { entry: 'src/x.ts', description: 'x', environment: {} })).toThrow(
      /entry must be a path under lambda\/handlers\/.*\(got "src\/x\.ts"\)/,
    );
  });
  it('FunctionSchedule refuses an expression that is neither cron nor rate', () => {
    const stack = newStack();
    const fn = lambda.Function.fromFunctionArn(stack, 'F', 'arn:aws:lambda:eu-west-1:123456789012:function:f');
    expect(
      () =>
        new FunctionSchedule(stack, 'S', { function: fn, deadLetterQueue: new sqs.Queue(stack, 'Q'), invocations: [{ name: 'Daily', schedule: '0 2 * * *' }] }),
    ).toThrow(/FunctionSchedule Daily schedule "0 2 \* \* \*" must be "cron\(\.\.\.\)" or "rate\(\.\.\.\)"/);
  });
  it('AwsBackupPlan refuses a rate() schedule, which AWS Backup does not take', () => {
    const stack = newStack();
    const table = dynamodb.Table.fromTableName(stack, 'T', 'orders');
    const tiers = {
      daily: { schedule: 'rate(1 day)', retentionDays: 30 },
      weekly: { schedule: 'cron(0 3 ? * SUN *)', retentionDays: 90 },
      monthly: { schedule: 'cron(0 4 1 * ? *)', retentionDays: 365 },
    };
    expect(
      () =>
        new AwsBackupPlan(stack, 'P', {
          appName: 'shop',
          tables: [table],
          tiers,
          encryptionKey: new kms.Key(stack, 'K'),
          copyRegion: 'eu-central-1',
          copyVaultName: 'v',
        }),
    ).toThrow(/schedules\.daily is "rate\(1 day\)" but AWS Backup takes cron expressions only/);
  });
  it('BackupAlarms refuses a warning threshold at or above the critical one', () => {
    const stack = newStack();
    const topics = new AlertTopics(stack, 'A', { appName: 'shop', regionLabel: 'primary', critical: {}, warning: {} });
    expect(
      () =>
        new BackupAlarms(stack, 'B', {
          app: 'shop',
          topics,
          rpoMinutes: 1440,
          durationWarningMinutes: 60,
          tables: ['t'],
          warningPercent: 50,
          criticalPercent: 50,
        }),
    ).toThrow(/warningPercent \(50\) must be below criticalPercent \(50\)/);
  });
  it('BackupAlarms refuses an RPO longer than CloudWatch can look back', () => {
    const stack = newStack();
    const topics = new AlertTopics(stack, 'A', { appName: 'shop', regionLabel: 'primary', critical: {}, warning: {} });
    expect(() => new BackupAlarms(stack, 'B', { app: 'shop', topics, rpoMinutes: 20000, durationWarningMinutes: 60, tables: ['t'] })).toThrow(
      /rpoMinutes \(20000\) exceeds the 7 days.*targets\.rpoMinutes <= 10080/,
    );
  });
  it('AlertTopics refuses a plain-http endpoint', () => {
    expect(
      () => new AlertTopics(newStack(), 'A', { appName: 'shop', regionLabel: 'primary', critical: { https: ['http://x.example.com'] }, warning: {} }),
    ).toThrow(/AlertTopics critical https endpoint "http:\/\/x\.example\.com" must start with https:\/\//);
  });
});
