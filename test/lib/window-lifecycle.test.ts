/**
 * The lifecycle of the incremental export windows in the tiered backup bucket (backup bucket and
 * replica alike), construct-level stack: windows are kept `retention.windowDays`, by default a day
 * past the daily tier, never less (they would expire before the daily sets they follow) and never
 * more than a day past the longest tier (they would outlive every set they could follow).
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { TieredBackupBucket, type TierRetention } from '../../lib/constructs/tiered-backup-bucket';
import { WINDOW_AFTER_BASE_DAYS } from '../../lib/config-incremental';
import { testApp } from './app-fixture';

const retention = { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 };

function stackWith(r: TierRetention): Stack {
  const stack = new Stack(testApp(), 'WindowLifecycle', { env: { account: '123456789012', region: 'eu-west-1' } });
  new TieredBackupBucket(stack, 'Backups', { bucketName: 'shop-backups', encryptionKey: new kms.Key(stack, 'Key'), retention: r });
  return stack;
}

function rulesOf(r: TierRetention): { Id: string; Prefix?: string; ExpirationInDays?: number }[] {
  const buckets = Template.fromStack(stackWith(r)).findResources('AWS::S3::Bucket', { Properties: { BucketName: 'shop-backups' } });
  return Object.values(buckets)[0].Properties.LifecycleConfiguration.Rules;
}

const windowDaysOf = (r: TierRetention) => rulesOf(r).find((x) => x.Prefix === 'backups/incremental/')?.ExpirationInDays;

test('by default windows expire a day after the daily tier: never before a daily set they follow', () => {
  const rules = rulesOf(retention);
  const windows = rules.find((r) => r.Prefix === 'backups/incremental/');
  const daily = rules.find((r) => r.Prefix === 'backups/daily/')!;
  expect(windows).toMatchObject({ Id: 'incremental-windows', ExpirationInDays: 30 + WINDOW_AFTER_BASE_DAYS });
  expect(windows!.ExpirationInDays!).toBe(daily.ExpirationInDays! + WINDOW_AFTER_BASE_DAYS);
});

test('retention.windowDays keeps them longer: a day past the monthly tier restores every minute since the oldest monthly set', () => {
  expect(windowDaysOf({ ...retention, windowDays: 366 })).toBe(366);
});

test('windows that would expire before the daily sets they follow are refused, naming the setting', () => {
  expect(() => stackWith({ ...retention, windowDays: 30 })).toThrow(
    /TieredBackupBucket retention.windowDays \(30\) is under retention.dailyDays \+ 1 \(31\): windows would expire before the daily full sets they follow/,
  );
});

test('windows that would outlive every full set by more than a day are refused, naming the setting', () => {
  expect(() => stackWith({ ...retention, windowDays: 367 })).toThrow(
    /retention.windowDays \(367\) is over the longest tier's retention \+ 1 \(366\): windows would outlive every full set they could follow and be stored for nothing; use at most 366/,
  );
});
