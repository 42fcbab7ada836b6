/**
 * dataBuckets[].versionsDays: the restore horizon of `dr restore-bucket`, as a noncurrent-version
 * expiration on the data buckets the stack creates and on every replica (NoncurrentDays updates
 * without interruption, per the AWS::S3::Bucket reference).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { configWith, templates } from './app-fixture';

const versionsRule = (name: string, days: number) => ({
  BucketName: name,
  LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: days } })]) },
});

describe('data bucket versions window', () => {
  test('a created data bucket and its replica keep noncurrent versions 35 days by default', () => {
    const built = templates(configWith({ dataBuckets: [{ name: 'shop-media-owned', existing: false }] }));
    built.production.hasResourceProperties('AWS::S3::Bucket', versionsRule('shop-media-owned', 35));
    built.recovery.hasResourceProperties('AWS::S3::Bucket', versionsRule(Match.stringLikeRegexp('^shop-media-owned-dr-') as unknown as string, 35));
  });

  test('versionsDays sets the window on both', () => {
    const built = templates(configWith({ dataBuckets: [{ name: 'shop-media-owned', existing: false, versionsDays: 90 }] }));
    built.production.hasResourceProperties('AWS::S3::Bucket', versionsRule('shop-media-owned', 90));
    built.recovery.hasResourceProperties('AWS::S3::Bucket', versionsRule(Match.stringLikeRegexp('^shop-media-owned-dr-') as unknown as string, 90));
  });

  test('versionsDays below 1 is refused with the setting named', () => {
    expect(() => configWith({ dataBuckets: [{ name: 'shop-media-owned', versionsDays: 0 }] })).toThrow(/versionsDays must be at least 1/);
  });
});
