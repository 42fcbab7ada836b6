/**
 * Shared by the `Custom::ExistingBucketReplication` tests (bucket-replication.test.ts and
 * bucket-replication-rollback.test.ts): the replication role, our rule as the stack renders it,
 * the mocked S3 (each test file has its own: Jest loads this module once per file), S3 errors as
 * the SDK raises them, and the events CloudFormation sends the handler.
 */
import { PutBucketReplicationCommand, S3Client, S3ServiceException, type ReplicationRule } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { CustomResourceEvent } from '../../lib/custom-resources/bucket-replication/handler';
import { ourRuleId, renderExistingBucketRule } from '../../lib/custom-resources/bucket-replication/rules';

/** The production stack's replication role. */
export const ROLE = 'arn:aws:iam::123456789012:role/Shop-Production-ReplicationRole';

/** Our rule for the bucket `uploads`, replicating into `region`. */
export const ourRule = (region = 'eu-central-1'): ReplicationRule =>
  renderExistingBucketRule({
    ruleId: ourRuleId(region),
    destinationBucketArn: `arn:aws:s3:::uploads-dr-${region}`,
    replicaKmsKeyId: `arn:aws:kms:${region}:123456789012:alias/shop-dr-replica`,
  });

/** The resource's properties in the template: bucket `uploads`, our rule into `region`. */
export const properties = (region = 'eu-central-1', objectLock = false): CustomResourceEvent['ResourceProperties'] => ({
  BucketName: 'uploads',
  Role: ROLE,
  Rule: JSON.stringify(ourRule(region)),
  ObjectLock: String(objectLock),
});

/** The mocked S3 (aws-sdk-client-mock): no emulator implements bucket replication. */
export const s3 = mockClient(S3Client);
/** The client the handler is given (eu-west-1, where the bucket `uploads` is). */
export const client = new S3Client({ region: 'eu-west-1' });
/** The replication configurations the handler PUT, in order. */
export const putConfigs = () => s3.commandCalls(PutBucketReplicationCommand).map((c) => c.args[0].input.ReplicationConfiguration);

/** An S3 error as the SDK throws it. */
export const s3Error = (name: string, status = 404) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

/** The event CloudFormation sends for `RequestType` on the bucket `uploads`, with fields replaced. */
export const event = (RequestType: CustomResourceEvent['RequestType'], extra: Partial<CustomResourceEvent> = {}): CustomResourceEvent => ({
  RequestType,
  ResponseURL: 'https://example.invalid/response',
  StackId: 'stack',
  RequestId: 'req',
  LogicalResourceId: 'UploadsReplication',
  PhysicalResourceId: RequestType === 'Create' ? undefined : 'uploads-replication',
  ResourceProperties: properties(),
  ...extra,
});
