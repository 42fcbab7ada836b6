/**
 * The replication rule dr-stack puts on an existing data bucket, and how it joins the bucket's
 * current replication configuration. Pure functions (no AWS calls, no aws-cdk-lib): the
 * construct renders the rule at synth, the custom-resource handler merges it at deploy time.
 *
 * PutBucketReplication REPLACES the whole configuration, so the handler reads the current one
 * first (GetBucketReplication) and either merges our rule, keeping every other rule, or refuses
 * with a message saying what to do. It never silently drops someone else's rules.
 */
import type { ReplicationConfiguration, ReplicationRule } from '@aws-sdk/client-s3';

/** Replication Time Control and metrics threshold (the only value S3 supports). */
export const REPLICATION_TIME_MINUTES = 15;

/** What identifies our rule among others on the bucket (`dr-stack-to-<recovery region>`). */
export function ourRuleId(destinationRegion: string): string {
  return `dr-stack-to-${destinationRegion}`;
}

/** Inputs of {@link renderExistingBucketRule}. */
export interface ExistingBucketRuleInput {
  readonly ruleId: string;
  /** ARN of the replica bucket. */
  readonly destinationBucketArn: string;
  /** ARN of the replica key (an alias ARN is accepted by S3). */
  readonly replicaKmsKeyId: string;
  /** Priority among the bucket's rules. @default 1 */
  readonly priority?: number;
  /**
   * Account that owns the replica bucket when it is not the source's: the replicas then change
   * owner to it (owner override, AccessControlTranslation Destination).
   * @default - same account, no owner override
   */
  readonly destinationAccount?: string;
}

/**
 * The V2 rule (Filter + Priority + DeleteMarkerReplication) for a whole bucket: RTC 15 min with
 * metrics, SSE-KMS replicas under the replica key, delete markers NOT replicated.
 * `SourceSelectionCriteria.SseKmsEncryptedObjects` is Enabled because a rule naming a
 * `ReplicaKmsKeyID` without it is rejected (400 InvalidRequest), and without it S3 skips every
 * SSE-KMS object (aws/s3 included) of the source.
 */
export function renderExistingBucketRule(i: ExistingBucketRuleInput): ReplicationRule {
  return {
    ID: i.ruleId,
    Priority: i.priority ?? 1,
    Status: 'Enabled',
    Filter: { Prefix: '' },
    DeleteMarkerReplication: { Status: 'Disabled' },
    SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
    Destination: {
      Bucket: i.destinationBucketArn,
      ...(i.destinationAccount ? { Account: i.destinationAccount, AccessControlTranslation: { Owner: 'Destination' as const } } : {}),
      EncryptionConfiguration: { ReplicaKmsKeyID: i.replicaKmsKeyId },
      ReplicationTime: { Status: 'Enabled', Time: { Minutes: REPLICATION_TIME_MINUTES } },
      Metrics: { Status: 'Enabled', EventThreshold: { Minutes: REPLICATION_TIME_MINUTES } },
    },
  };
}

/** The bucket's replication configuration cannot take our rule without losing someone else's setup. */
export class ForeignReplicationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForeignReplicationError';
  }
}

/**
 * The configuration to put: `current` (undefined when the bucket has none) with our rule added
 * or replaced (matched by ID), every other rule kept. Refuses when keeping the others is not
 * possible: the configuration names another role (one role per bucket: replacing it would
 * break their rules), or holds V1 rules (no Filter: V1 and V2 rules cannot be mixed).
 */
export function mergeRule(bucket: string, current: ReplicationConfiguration | undefined, role: string, rule: ReplicationRule): ReplicationConfiguration {
  const others = (current?.Rules ?? []).filter((r) => r.ID !== rule.ID);
  if (others.length === 0) return { Role: role, Rules: [rule] };
  const names = others.map((r) => r.ID ?? '(no ID)').join(', ');
  if (current?.Role !== role) {
    throw new ForeignReplicationError(
      `bucket "${bucket}" already replicates (rules: ${names}) with role ${current?.Role}; a bucket has one replication role and dr-stack will not replace it. ` +
        `Either remove that replication configuration (aws s3api delete-bucket-replication --bucket ${bucket}) or set "existing": false and let dr-stack own a new bucket.`,
    );
  }
  if (others.some((r) => r.Filter === undefined)) {
    throw new ForeignReplicationError(
      `bucket "${bucket}" has V1 replication rules (no Filter: ${names}), which cannot be mixed with dr-stack's V2 rule; rewrite them with a Filter, Priority and DeleteMarkerReplication and deploy again.`,
    );
  }
  // Priorities must be unique among rules: ours goes after the highest one in use.
  const priority = Math.max(0, ...others.map((r) => r.Priority ?? 0)) + 1;
  return { Role: role, Rules: [...others, { ...rule, Priority: priority }] };
}

/** The configuration left when our rule is removed: undefined when no rule remains (delete it). */
export function removeRule(current: ReplicationConfiguration | undefined, ruleId: string): ReplicationConfiguration | undefined {
  if (!current) return undefined;
  const rules = (current.Rules ?? []).filter((r) => r.ID !== ruleId);
  return rules.length ? { ...current, Rules: rules } : undefined;
}
