/**
 * Issue 13 #1, known request constraints: every PutBucketReplication request (and the
 * ReplicationConfiguration CloudFormation sends for our own buckets) checked against the rules
 * the S3 API Reference documents, which no emulator enforces (s3rver has no replication).
 *
 * Sources: S3 API Reference PutBucketReplication, ReplicationConfiguration, ReplicationRule,
 * EncryptionConfiguration, SourceSelectionCriteria, ReplicationTime, Metrics.
 */
import type { ReplicationConfiguration, ReplicationRule } from '@aws-sdk/client-s3';
import { mergeRule, ourRuleId, renderExistingBucketRule } from '../../lib/custom-resources/bucket-replication/rules';
import { configWith, templates } from './app-fixture';

/** Every documented constraint `config` breaks (empty when it is a valid request). */
function replicationProblems(config: ReplicationConfiguration): string[] {
  const problems: string[] = [];
  const rules = config.Rules ?? [];
  // "Role ... Required: Yes" (ReplicationConfiguration).
  if (!config.Role || !/^arn:[^:]+:iam::\d{12}:role\/.+/.test(config.Role)) problems.push('Role must be an IAM role ARN (required)');
  // "A replication configuration must include at least one rule, and can contain a maximum of 1,000" (PutBucketReplication).
  if (rules.length < 1 || rules.length > 1000) problems.push(`Rules must hold 1 to 1,000 rules (got ${rules.length})`);
  const v2 = rules.filter((r) => r.Filter !== undefined);
  // V1 (Prefix) and V2 (Filter) rules cannot be mixed in one configuration.
  if (v2.length && v2.length !== rules.length) problems.push('V1 (Prefix) and V2 (Filter) rules are mixed');
  const ids = rules.map((r) => r.ID);
  if (new Set(ids).size !== ids.length) problems.push('rule IDs must be unique');
  const priorities = v2.map((r) => r.Priority);
  // Priorities decide between overlapping rules: S3 rejects two rules with the same priority.
  if (new Set(priorities).size !== priorities.length) problems.push('rule priorities must be unique');
  for (const r of rules) problems.push(...ruleProblems(r).map((p) => `rule ${r.ID}: ${p}`));
  return problems;
}

function ruleProblems(r: ReplicationRule): string[] {
  const problems: string[] = [];
  // "ID: A unique identifier for the rule. The maximum value is 255 characters."
  if (r.ID !== undefined && r.ID.length > 255) problems.push(`ID is ${r.ID.length} characters, over 255`);
  if (r.Status !== 'Enabled' && r.Status !== 'Disabled') problems.push('Status must be Enabled or Disabled (required)');
  if (!r.Destination?.Bucket?.startsWith('arn:')) problems.push('Destination.Bucket must be a bucket ARN (required)');
  // "When you add the Filter element in the configuration, you must also add the following
  // elements: DeleteMarkerReplication, Status, and Priority." (PutBucketReplication)
  if (r.Filter !== undefined) {
    if (r.Priority === undefined) problems.push('a rule with Filter needs Priority');
    if (!r.DeleteMarkerReplication?.Status) problems.push('a rule with Filter needs DeleteMarkerReplication');
    // "If your Filter includes a Tag element, the DeleteMarkerReplication Status must be set to Disabled."
    const tagged = r.Filter.Tag !== undefined || (r.Filter.And?.Tags?.length ?? 0) > 0;
    if (tagged && r.DeleteMarkerReplication?.Status !== 'Disabled') problems.push('a tag-filtered rule cannot replicate delete markers');
  }
  // A rule naming ReplicaKmsKeyID must select SSE-KMS objects (SourceSelectionCriteria.
  // SseKmsEncryptedObjects), and selecting them needs a ReplicaKmsKeyID (EncryptionConfiguration:
  // "If you're specifying a customer managed KMS key ... you must specify ReplicaKmsKeyID").
  const replicaKey = r.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID;
  const kmsSelected = r.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === 'Enabled';
  if (replicaKey && !kmsSelected) problems.push('ReplicaKmsKeyID without SourceSelectionCriteria.SseKmsEncryptedObjects Enabled (400 InvalidRequest)');
  if (kmsSelected && !replicaKey) problems.push('SseKmsEncryptedObjects Enabled without Destination.EncryptionConfiguration.ReplicaKmsKeyID');
  // S3 RTC: "ReplicationTime ... must be specified together with a Metrics block"; the only
  // supported time and event threshold is 15 minutes.
  const rtc = r.Destination?.ReplicationTime;
  if (rtc?.Status === 'Enabled') {
    if (rtc.Time?.Minutes !== 15) problems.push('ReplicationTime.Time.Minutes must be 15');
    if (r.Destination?.Metrics?.Status !== 'Enabled' || r.Destination.Metrics.EventThreshold?.Minutes !== 15) {
      problems.push('ReplicationTime needs Metrics Enabled with EventThreshold 15 minutes');
    }
  }
  return problems;
}

/** CloudFormation's ReplicationConfiguration (Id, camel-cased by CDK) as the API's shape. */
function fromTemplate(cfn: { Role: unknown; Rules: Record<string, unknown>[] }): ReplicationConfiguration {
  const role = typeof cfn.Role === 'string' ? cfn.Role : 'arn:aws:iam::123456789012:role/ReplicationRole';
  return { Role: role, Rules: cfn.Rules.map(({ Id, ...rest }) => ({ ID: Id as string, ...rest }) as ReplicationRule) };
}

const ROLE = 'arn:aws:iam::123456789012:role/Shop-Production-ReplicationRole';
const OURS = renderExistingBucketRule({
  ruleId: ourRuleId('eu-central-1'),
  destinationBucketArn: 'arn:aws:s3:::uploads-dr-eu-central-1',
  replicaKmsKeyId: 'arn:aws:kms:eu-central-1:123456789012:alias/shop-dr-replica',
});

describe('PutBucketReplication request constraints (documented by S3, enforced by no emulator)', () => {
  it('the checker catches the request that failed the first deploy: ReplicaKmsKeyID without SseKmsEncryptedObjects', () => {
    const { SourceSelectionCriteria: _dropped, ...broken } = OURS;
    expect(replicationProblems({ Role: ROLE, Rules: [broken] })).toEqual([
      `rule ${OURS.ID}: ReplicaKmsKeyID without SourceSelectionCriteria.SseKmsEncryptedObjects Enabled (400 InvalidRequest)`,
    ]);
  });
  it('the checker catches a V2 rule without Priority or DeleteMarkerReplication, duplicate priorities and a long ID', () => {
    const { Priority: _p, DeleteMarkerReplication: _d, ...noPriority } = OURS;
    expect(replicationProblems({ Role: ROLE, Rules: [noPriority] })).toEqual([
      `rule ${OURS.ID}: a rule with Filter needs Priority`,
      `rule ${OURS.ID}: a rule with Filter needs DeleteMarkerReplication`,
    ]);
    expect(replicationProblems({ Role: ROLE, Rules: [OURS, { ...OURS, ID: 'other' }] })).toEqual(['rule priorities must be unique']);
    expect(replicationProblems({ Role: ROLE, Rules: [{ ...OURS, ID: 'x'.repeat(256) }] })).toEqual([`rule ${'x'.repeat(256)}: ID is 256 characters, over 255`]);
    expect(replicationProblems({ Role: undefined, Rules: [OURS] })).toEqual(['Role must be an IAM role ARN (required)']);
  });
  it('our rule alone on an existing bucket is a valid request', () => {
    expect(replicationProblems(mergeRule('uploads', undefined, ROLE, OURS))).toEqual([]);
  });
  it('our rule merged with another V2 rule of the same role is a valid request (unique IDs and priorities)', () => {
    const other: ReplicationRule = {
      ID: 'analytics',
      Priority: 1,
      Status: 'Enabled',
      Filter: { Tag: { Key: 'copy', Value: 'yes' } },
      DeleteMarkerReplication: { Status: 'Disabled' },
      Destination: { Bucket: 'arn:aws:s3:::analytics' },
    };
    const merged = mergeRule('uploads', { Role: ROLE, Rules: [other] }, ROLE, OURS);
    expect(merged.Rules).toHaveLength(2);
    expect(replicationProblems(merged)).toEqual([]);
  });
  it('the replication configuration of every bucket the stack owns is a valid request', () => {
    const built = templates(configWith({ dataBuckets: [{ name: 'shop-media-owned', existing: false }] }));
    const buckets = Object.values(built.production.findResources('AWS::S3::Bucket')).filter((b) => b.Properties.ReplicationConfiguration);
    expect(buckets).toHaveLength(2);
    for (const b of buckets) expect(replicationProblems(fromTemplate(b.Properties.ReplicationConfiguration))).toEqual([]);
  });
});
