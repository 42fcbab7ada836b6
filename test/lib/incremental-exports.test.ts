/**
 * The chain of incremental exports in the production stack: one schedule per interval that exports
 * the due windows of its tables, one that commits finished windows, and a role that may export
 * only the chained tables and write only under backups/incremental/.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { templates } from './app-fixture';

const t = templates().production;

test('one EventBridge schedule per interval exports the windows of the tables on it', () => {
  t.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(30 minutes)',
    Targets: [
      // The event's time goes in through an input transformer (events.EventField.time).
      Match.objectLike({
        InputTransformer: Match.objectLike({
          InputTemplate: Match.stringLikeRegexp(
            '"action":"export","intervalMinutes":30,"tables":\\["inventory","orders","order_items","users"\\],"time":<time>',
          ),
        }),
      }),
    ],
  });
});

test('a schedule every 5 minutes commits the finished windows of every chained table', () => {
  t.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(5 minutes)',
    Targets: [
      Match.objectLike({ Input: Match.stringLikeRegexp('"action":"finalize","intervals":\\{"inventory":30,"orders":30,"order_items":30,"users":30\\}') }),
    ],
  });
});

test('the role starts and follows exports of the chained tables only, and writes only windows', () => {
  const policies = JSON.stringify(t.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('IncrementalExports') } }));
  expect(policies).toContain('StartWindowExports');
  expect(policies).toMatch(/table\/orders"/);
  expect(policies).not.toMatch(/table\/products"/);
  expect(policies).toContain('/backups/incremental/*');
  expect(policies).not.toMatch(/"s3:PutObject"[^\]]*\][^}]*backups\/\*"/);
});
