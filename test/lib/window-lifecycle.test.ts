/**
 * The lifecycle of the incremental export windows in the tiered backup bucket (backup bucket and
 * replica alike): a window never expires before a full set it can follow; construct-level stack.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { TieredBackupBucket, WINDOW_AFTER_BASE_DAYS } from '../../lib/constructs/tiered-backup-bucket';
import { testApp } from './app-fixture';

const retention = { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 };

function rulesOf(r: typeof retention): { Id: string; Prefix?: string; ExpirationInDays?: number }[] {
  const stack = new Stack(testApp(), 'WindowLifecycle', { env: { account: '123456789012', region: 'eu-west-1' } });
  new TieredBackupBucket(stack, 'Backups', { bucketName: 'shop-backups', encryptionKey: new kms.Key(stack, 'Key'), retention: r });
  const buckets = Template.fromStack(stack).findResources('AWS::S3::Bucket', { Properties: { BucketName: 'shop-backups' } });
  return Object.values(buckets)[0].Properties.LifecycleConfiguration.Rules;
}

test('windows expire a day after the longest-lived tier: never before a full set they follow', () => {
  const rules = rulesOf(retention);
  const windows = rules.find((r) => r.Prefix === 'backups/incremental/');
  expect(windows).toMatchObject({ Id: 'incremental-windows', ExpirationInDays: 365 + WINDOW_AFTER_BASE_DAYS });
  for (const tier of ['daily', 'weekly', 'monthly']) {
    const set = rules.find((r) => r.Prefix === `backups/${tier}/`)!;
    expect(windows!.ExpirationInDays!).toBeGreaterThanOrEqual(set.ExpirationInDays! + WINDOW_AFTER_BASE_DAYS);
  }
});

test('the windows follow the retention when the weekly tier lives longest', () => {
  expect(rulesOf({ dailyDays: 7, weeklyDays: 400, monthlyDays: 120 }).find((r) => r.Id === 'incremental-windows')?.ExpirationInDays).toBe(401);
});
