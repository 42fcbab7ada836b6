/**
 * Custom resource `Custom::ExistingBucketReplication`: turns on versioning of an existing bucket
 * and merges dr-stack's replication rule into its replication configuration (see rules.ts).
 *
 * Create/Update: the bucket must be in this function's region (GetBucketLocation; refused with
 * the fix otherwise); checks Object Lock against the config (a locked source needs a locked
 * replica) BEFORE changing anything; reads versioning and turns it on only when it is off,
 * logging the cost and the lifecycle rule to add; GetBucketReplication
 * (ReplicationConfigurationNotFoundError = none); merges our rule (an Update that changed the
 * recovery region removes the old rule ID) or fails with the reason; PutBucketReplication.
 * Delete: removes only our rule (DeleteBucketReplication when no rule is left). Versioning stays
 * on (S3 can only suspend it). A bucket that is gone (NoSuchBucket) has nothing to remove.
 *
 * A failed Create answers with a marker physical id (`FAILED-CREATE:<bucket>`): CloudFormation
 * then sends Delete with that id during the rollback ("CloudFormation will automatically issue a
 * DELETE operation with the PhysicalResourceId submitted by the FAILED response", the behaviour
 * aws-cdk's provider framework relies on in aws/aws-cdk#5525), and that Delete is a no-op, so a
 * bucket in another region, a missing bucket or a denied call cannot leave the stack
 * ROLLBACK_FAILED.
 *
 * Answers CloudFormation itself (PUT to the pre-signed ResponseURL), so no provider framework.
 */
import {
  DeleteBucketReplicationCommand,
  GetBucketLocationCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  type ReplicationConfiguration,
  type ReplicationRule,
  S3Client,
} from '@aws-sdk/client-s3';
import { mergeRule, removeRule } from './rules';
import { FAILED_CREATE_MARKER, applyAndRespond } from '../respond';

/** ResourceProperties of the custom resource (CloudFormation sends every value as a string). */
export interface ExistingBucketReplicationProperties {
  readonly BucketName: string;
  readonly Role: string;
  /** Our rule as JSON (rules.ts renderExistingBucketRule). */
  readonly Rule: string;
  /** "true" when the config says the bucket has Object Lock. */
  readonly ObjectLock: string;
}

/** The fields of a CloudFormation custom-resource request this handler reads. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: ExistingBucketReplicationProperties;
  /** The properties before an Update. */
  readonly OldResourceProperties?: ExistingBucketReplicationProperties;
}

export { FAILED_CREATE_MARKER } from '../respond';

const s3 = new S3Client({});

/** Reads the bucket's replication configuration; undefined when it has none. */
export async function currentReplication(client: S3Client, bucket: string): Promise<ReplicationConfiguration | undefined> {
  try {
    return (await client.send(new GetBucketReplicationCommand({ Bucket: bucket }))).ReplicationConfiguration;
  } catch (e) {
    if ((e as { name?: string }).name === 'ReplicationConfigurationNotFoundError') return undefined;
    throw e;
  }
}

/** Object Lock of the source must match the config, or locked objects would fail to replicate. */
async function checkObjectLock(client: S3Client, bucket: string, expected: boolean): Promise<void> {
  let enabled = false;
  try {
    enabled = (await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (e) {
    if ((e as { name?: string }).name !== 'ObjectLockConfigurationNotFoundError') throw e;
  }
  if (enabled && !expected) {
    throw new Error(
      `bucket "${bucket}" has S3 Object Lock but dr.config.json does not say so: S3 replicates locked objects only into a locked replica. Set "objectLock": true on this entry of dataBuckets and deploy both stacks again.`,
    );
  }
}

/**
 * S3's answer for a bucket's region: LocationConstraint is empty for us-east-1 and the legacy
 * `EU` for eu-west-1 (GetBucketLocation API reference).
 */
export function bucketRegion(locationConstraint: string | undefined | null): string {
  if (!locationConstraint) return 'us-east-1';
  return locationConstraint === 'EU' ? 'eu-west-1' : locationConstraint;
}

/** Refuses a bucket outside the function's (the production stack's) region: S3 would answer PermanentRedirect. */
async function checkRegion(client: S3Client, bucket: string): Promise<void> {
  const region = bucketRegion((await client.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint);
  const ours = await client.config.region();
  if (region !== ours)
    throw new Error(
      `bucket "${bucket}" is in ${region}, not in the primary region ${ours}: dr-stack replicates existing buckets of the primary region only. ` +
        `Remove it from dataBuckets, or deploy a dr-stack app whose primary.region is ${region} for it.`,
    );
}

/**
 * Versioning is read first and turned on only when off. Every overwrite and delete then keeps a
 * noncurrent version, billed as storage until a lifecycle rule expires it: the log says so and
 * names the rule to add (docs/deploy.md "Existing data buckets: versioning cost").
 */
async function ensureVersioning(client: S3Client, bucket: string): Promise<void> {
  const status = (await client.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
  if (status === 'Enabled') return;
  await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  console.warn(
    JSON.stringify({
      level: 'WARN',
      bucket,
      message:
        `versioning was ${status ?? 'never enabled'} and is now Enabled (replication requires it): every overwrite and delete now keeps a noncurrent version, ` +
        'billed as storage until it expires. Add a lifecycle rule with NoncurrentVersionExpiration (e.g. NoncurrentDays 30) to the bucket.',
    }),
  );
}

/** Removes our rule; a bucket that no longer exists has none. */
async function removeOurRule(client: S3Client, bucket: string, ruleId: string): Promise<void> {
  let current: ReplicationConfiguration | undefined;
  try {
    current = await currentReplication(client, bucket);
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchBucket') return;
    throw e;
  }
  if (!current?.Rules?.some((r) => r.ID === ruleId)) return;
  const rest = removeRule(current, ruleId);
  if (rest) await client.send(new PutBucketReplicationCommand({ Bucket: bucket, ReplicationConfiguration: rest }));
  else await client.send(new DeleteBucketReplicationCommand({ Bucket: bucket }));
}

/** Applies one request; returns the physical id. */
export async function apply(client: S3Client, event: CustomResourceEvent): Promise<string> {
  const p = event.ResourceProperties;
  const physicalId = `${p.BucketName}-replication`;
  const rule = JSON.parse(p.Rule) as ReplicationRule;
  if (event.RequestType === 'Delete') {
    if (!event.PhysicalResourceId?.startsWith(FAILED_CREATE_MARKER)) await removeOurRule(client, p.BucketName, rule.ID!);
    return event.PhysicalResourceId ?? physicalId;
  }
  await checkRegion(client, p.BucketName);
  await checkObjectLock(client, p.BucketName, p.ObjectLock === 'true');
  await ensureVersioning(client, p.BucketName);
  let current = await currentReplication(client, p.BucketName);
  // recovery.region changed: the rule ID (dr-stack-to-<region>) changed with it; the old rule goes.
  const oldId = event.OldResourceProperties ? (JSON.parse(event.OldResourceProperties.Rule) as ReplicationRule).ID : undefined;
  if (oldId && oldId !== rule.ID) current = removeRule(current, oldId);
  const merged = mergeRule(p.BucketName, current, p.Role, rule);
  await client.send(new PutBucketReplicationCommand({ Bucket: p.BucketName, ReplicationConfiguration: merged }));
  return physicalId;
}

/** Lambda entry point: applies the request and answers CloudFormation either way. */
export async function handler(event: CustomResourceEvent): Promise<void> {
  await applyAndRespond(
    event,
    event.ResourceProperties.BucketName,
    `${event.ResourceProperties.BucketName}-replication`,
    { bucket: event.ResourceProperties.BucketName },
    () => apply(s3, event),
  );
}
