/**
 * cdk-nag's NIST 800-53 rev 5 pack beside AwsSolutions (issue 21), and every acknowledged finding
 * with its reason. Like lib/nag.ts: each acknowledgement names one rule on the construct that
 * raises it, never a whole stack. What the hardened profile fixes is not acknowledged there
 * (log groups are encrypted by Lockdown); under `protection: "standard"` that one finding is
 * acknowledged per log group, saying that hardened fixes it.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { DrStacks } from './dr-app';

const R = 'NIST.800.53.R5';

const REASONS = {
  vpc: 'The function only calls AWS APIs (S3, DynamoDB, CloudWatch) over TLS with IAM; a VPC would add NAT or endpoints per service and per region without narrowing who can reach the data, which the bucket, key and table policies decide.',
  concurrency:
    'Runs on a schedule (or once per CloudFormation event) with one invocation at a time by design (the slot claim refuses a second run); reserving concurrency fails in new accounts whose limit is 10, where Lambda keeps 10 unreserved.',
  inline:
    'The CDK grants write one AWS::IAM::Policy per role (<Role>/DefaultPolicy, or the custom resource policy), attached to that role only, least privilege per statement (proven in test/permissions); a managed policy would add nothing but a shareable copy.',
  crDlq:
    'CloudFormation invokes the custom-resource handler synchronously and records a failure on the stack event; there is no asynchronous event for a dead-letter queue to keep.',
  logBucketKms:
    'S3 server access log delivery cannot write to a bucket whose default encryption is SSE-KMS (AWS documents SSE-S3 only for log destinations); the logs hold request metadata, not backup data.',
  logBucketReplication:
    'Server access logs are evidence for this region; replicating them would need a third bucket per region and adds no recovery of shop data.',
  replicaReplication:
    'This bucket is itself the replica in the recovery region (the second copy, in another region or account); replicating it again would be a third copy the plan does not call for.',
  slotTable:
    'The state table holds only backup slot claims (which run owns a schedule slot), rebuilt by the next run; it is not shop data and has PITR and deletion protection on; the AWS Backup plan selects the shop tables.',
  logGroupKms:
    'protection is "standard": log groups are encrypted by the hardened profile (its own key per region); set "protection": "hardened" to fix this finding.',
} as const;

function ack(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${R}-${rule}`, reason });
}

/** Every acknowledged NIST 800-53 R5 finding of both stacks, each with its reason. */
export function acknowledgeNistFindings({ production, recovery }: DrStacks): void {
  for (const stack of [production, recovery]) {
    const all = stack.node.findAll();
    for (const fn of all.filter((c): c is lambda.Function => c instanceof lambda.Function)) {
      ack(fn, 'LambdaInsideVPC', REASONS.vpc);
      ack(fn, 'LambdaConcurrency', REASONS.concurrency);
      // Only custom-resource handlers run without a dead-letter queue (every DrFunction has one).
      if ((fn.node.defaultChild as lambda.CfnFunction).deadLetterConfig === undefined) ack(fn, 'LambdaDLQ', REASONS.crDlq);
    }
    for (const policy of all.filter((c): c is iam.Policy => c instanceof iam.Policy)) ack(policy, 'IAMNoInlinePolicy', REASONS.inline);
    const handler = production.replication.existingBucketHandler;
    if (handler && Stack.of(handler) === stack) ack(handler, 'LambdaDLQ', REASONS.crDlq);
    const singleton = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    // The aws-cdk-lib AwsCustomResource provider (PITR on existing tables): a Function like the others above, run by CloudFormation.
    if (singleton) ack(singleton, 'LambdaDLQ', REASONS.crDlq);
    for (const bucket of all.filter((c): c is s3.Bucket => c instanceof s3.Bucket)) {
      if (bucket.node.id === 'AccessLogs') {
        ack(bucket, 'S3DefaultEncryptionKMS', REASONS.logBucketKms);
        ack(bucket, 'S3BucketReplicationEnabled', REASONS.logBucketReplication);
      } else if (stack === recovery) {
        ack(bucket, 'S3BucketReplicationEnabled', REASONS.replicaReplication);
      }
    }
    if (!stack.lockdown)
      for (const group of all.filter((c): c is logs.LogGroup => c instanceof logs.LogGroup)) ack(group, 'CloudWatchLogGroupEncrypted', REASONS.logGroupKms);
  }
  ack(production.slotTable.table, 'DynamoDBInBackupPlan', REASONS.slotTable);
}
