/**
 * Custom resource `Custom::ExistingBucketReplication`: turns on versioning of an existing bucket
 * and merges dr-stack's replication rule into its replication configuration (see rules.ts).
 *
 * Create/Update: PutBucketVersioning; checks Object Lock against the config (a locked source
 * needs a locked replica); GetBucketReplication (ReplicationConfigurationNotFoundError = none);
 * merges our rule or fails with the reason; PutBucketReplication.
 * Delete: removes only our rule (DeleteBucketReplication when no rule is left). Versioning stays
 * on (S3 can only suspend it).
 *
 * Answers CloudFormation itself (PUT to the pre-signed ResponseURL), so no provider framework.
 */
import {
  DeleteBucketReplicationCommand,
  GetBucketReplicationCommand,
  GetObjectLockConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  type ReplicationConfiguration,
  type ReplicationRule,
  S3Client,
} from '@aws-sdk/client-s3';
import { mergeRule, removeRule } from './rules';

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
}

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

/** Applies one request; returns the physical id. */
export async function apply(client: S3Client, event: CustomResourceEvent): Promise<string> {
  const p = event.ResourceProperties;
  const physicalId = `${p.BucketName}-replication`;
  const rule = JSON.parse(p.Rule) as ReplicationRule;
  if (event.RequestType === 'Delete') {
    const current = await currentReplication(client, p.BucketName);
    if (!current?.Rules?.some((r) => r.ID === rule.ID)) return event.PhysicalResourceId ?? physicalId;
    const rest = removeRule(current, rule.ID!);
    if (rest) await client.send(new PutBucketReplicationCommand({ Bucket: p.BucketName, ReplicationConfiguration: rest }));
    else await client.send(new DeleteBucketReplicationCommand({ Bucket: p.BucketName }));
    return event.PhysicalResourceId ?? physicalId;
  }
  await client.send(new PutBucketVersioningCommand({ Bucket: p.BucketName, VersioningConfiguration: { Status: 'Enabled' } }));
  await checkObjectLock(client, p.BucketName, p.ObjectLock === 'true');
  const merged = mergeRule(p.BucketName, await currentReplication(client, p.BucketName), p.Role, rule);
  await client.send(new PutBucketReplicationCommand({ Bucket: p.BucketName, ReplicationConfiguration: merged }));
  return physicalId;
}

/** Lambda entry point: applies the request and answers CloudFormation either way. */
export async function handler(event: CustomResourceEvent): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = '';
  let physicalId = event.PhysicalResourceId ?? `${event.ResourceProperties.BucketName}-replication`;
  try {
    physicalId = await apply(s3, event);
  } catch (e) {
    status = 'FAILED';
    reason = (e as Error).message;
    console.error(JSON.stringify({ level: 'ERROR', requestType: event.RequestType, bucket: event.ResourceProperties.BucketName, reason }));
  }
  const body = JSON.stringify({
    Status: status,
    // CloudFormation shows at most 4 KB of reason.
    Reason: reason.slice(0, 3000) || 'ok',
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) } });
}
