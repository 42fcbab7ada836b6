/**
 * The requests AWS services send on our behalf, which no code of ours sends and so no recorder
 * sees, derived from the templates as (who, request) cases:
 *
 * - CloudWatch -> every alarm action topic: `sns:Publish` on the topic, and on its KMS key
 *   `kms:GenerateDataKey*` + `kms:Decrypt` (an SSE topic needs both for CloudWatch:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html),
 *   as `cloudwatch.amazonaws.com` with aws:SourceArn = the alarm.
 * - S3 replication, as the rule's role
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html,
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html):
 *   source bucket GetReplicationConfiguration + ListBucket, source objects
 *   GetObjectVersionForReplication/Acl/Tagging (+ Retention/LegalHold with Object Lock), kms:Decrypt
 *   on the source key when SSE-KMS objects are replicated, ReplicateObject/ReplicateTags (and
 *   ReplicateDelete only when delete markers are replicated) on the destination, kms:Encrypt on
 *   the replica key.
 * - AWS Backup -> each vault key (and copy destination vault key), as the backup selection role.
 * - EventBridge -> each target function (`lambda:InvokeFunction`, through the function policy
 *   from AWS::Lambda::Permission, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html)
 *   and each target DLQ (`sqs:SendMessage` by events.amazonaws.com,
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html); each function's own
 *   async DLQ as the function's role.
 */
import type { Case, Principal } from './evaluate';
import type { IamRequest } from './recorder';
import { logicalIds, resolve, type NamedPolicy, type PolicyModel, type StackTemplate } from './templates';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The KMS condition key S3 sets to the object's ARN (the simulator does not evaluate it: encryption-context.ts does). */
export const S3_ENCRYPTION_CONTEXT = 'kms:EncryptionContext:aws:s3:arn';

const r = (action: string, resource: string, because: string, context?: IamRequest['context']): IamRequest => ({
  action,
  resource,
  because,
  ...(context ? { context } : {}),
});
const resources = (s: StackTemplate, type: string) => logicalIds(s, type).map((id) => ({ id, p: resolve(s, s.template.Resources[id].Properties ?? {}) }));
const keyArnOf = (model: PolicyModel, key: string) => model.aliasTargets.get(key) ?? key;

/** CloudWatch alarm actions that are SNS topics. */
export function cloudWatchCases(model: PolicyModel): Case[] {
  const cases: Case[] = [];
  const topics = new Map<string, string | undefined>();
  for (const s of model.stacks)
    for (const t of resources(s, 'AWS::SNS::Topic')) topics.set(`arn:aws:sns:${s.region}:${model.account}:${t.p.TopicName ?? t.id}`, t.p.KmsMasterKeyId);
  for (const s of model.stacks) {
    for (const a of resources(s, 'AWS::CloudWatch::Alarm')) {
      const alarmArn = `arn:aws:cloudwatch:${s.region}:${model.account}:alarm:${a.p.AlarmName ?? a.id}`;
      const who: Principal = { kind: 'service', service: 'cloudwatch.amazonaws.com', sourceArn: alarmArn, label: 'cloudwatch.amazonaws.com (alarm actions)' };
      const actions = new Set<string>([...(a.p.AlarmActions ?? []), ...(a.p.OKActions ?? []), ...(a.p.InsufficientDataActions ?? [])]);
      for (const topic of [...actions].filter((x) => x.startsWith('arn:aws:sns:'))) {
        const because = `alarm ${a.p.AlarmName ?? a.id} notifies ${topic}`;
        cases.push({ who, request: r('sns:Publish', topic, because) });
        const key = topics.get(topic);
        if (key)
          for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) cases.push({ who, request: r(action, keyArnOf(model, key), `${because} (SSE topic)`) });
      }
    }
  }
  return cases;
}

/**
 * Replication rules: bucket ReplicationConfiguration properties, Custom::ExistingBucketReplication
 * (our rule merged into an existing bucket) and Custom::AWS PutBucketReplication calls.
 */
function replicationConfigs(s: StackTemplate): { bucket: string; config: Json; objectLock?: boolean }[] {
  const out: { bucket: string; config: Json; objectLock?: boolean }[] = [];
  for (const b of resources(s, 'AWS::S3::Bucket'))
    if (b.p.ReplicationConfiguration) out.push({ bucket: b.p.BucketName ?? b.id.toLowerCase(), config: b.p.ReplicationConfiguration });
  for (const c of resources(s, 'Custom::ExistingBucketReplication'))
    out.push({ bucket: c.p.BucketName, config: { Role: c.p.Role, Rules: [JSON.parse(c.p.Rule)] }, objectLock: c.p.ObjectLock === 'true' });
  for (const c of resources(s, 'Custom::AWS')) {
    for (const phase of ['Create', 'Update']) {
      const call = typeof c.p[phase] === 'string' ? JSON.parse(c.p[phase]) : undefined;
      if (call?.action === 'PutBucketReplication') out.push({ bucket: call.parameters.Bucket, config: call.parameters.ReplicationConfiguration });
    }
  }
  // A Create and an Update of the same bucket carry the same rules: keep one.
  return out.filter((o, i) => out.findIndex((x) => x.bucket === o.bucket) === i);
}

/** The replication role's requests for every rule. */
export function replicationCases(model: PolicyModel): Case[] {
  const cases: Case[] = [];
  for (const s of model.stacks) {
    for (const { bucket, config, objectLock } of replicationConfigs(s)) {
      const who: Principal = { kind: 'role', arn: config.Role, label: `S3 replication role (${config.Role.split('/').pop()})` };
      const lock = objectLock ?? resources(s, 'AWS::S3::Bucket').some((b) => (b.p.BucketName ?? b.id.toLowerCase()) === bucket && b.p.ObjectLockEnabled);
      for (const rule of config.Rules ?? []) {
        const src = `replication of s3://${bucket} rule ${rule.ID ?? rule.Id}`;
        cases.push({ who, request: r('s3:GetReplicationConfiguration', `arn:aws:s3:::${bucket}`, src) });
        cases.push({ who, request: r('s3:ListBucket', `arn:aws:s3:::${bucket}`, src) });
        const obj = `arn:aws:s3:::${bucket}/replicated-object`;
        for (const a of [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          ...(lock ? ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] : []),
        ])
          cases.push({ who, request: r(a, obj, src) });
        // An existing bucket's key is not in our templates: checked only when the model knows it
        // (existing-buckets.test.ts adds `dataBuckets[].kmsKeyArn`). S3 calls KMS with the object's
        // ARN as encryption context (the bucket's ARN with S3 Bucket Keys).
        const sourceKey = model.bucketKeys.get(bucket);
        if (rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === 'Enabled' && sourceKey)
          cases.push({
            who,
            request: r('kms:Decrypt', keyArnOf(model, sourceKey), `${src}: read SSE-KMS source objects`, {
              'kms:ViaService': `s3.${s.region}.amazonaws.com`,
              [S3_ENCRYPTION_CONTEXT]: obj,
            }),
          });
        const dest = rule.Destination;
        const destObj = `${dest.Bucket}/replicated-object`;
        const deletes = (rule.DeleteMarkerReplication?.Status ?? 'Disabled') === 'Enabled';
        for (const a of ['s3:ReplicateObject', 's3:ReplicateTags', ...(deletes ? ['s3:ReplicateDelete'] : [])])
          cases.push({ who, request: r(a, destObj, src) });
        const replicaKey = dest.EncryptionConfiguration?.ReplicaKmsKeyID;
        if (replicaKey) {
          const keyArn = keyArnOf(model, replicaKey);
          const destRegion = keyArn.split(':')[3];
          const aliases = model.keyAliases.get(keyArn) ?? [];
          cases.push({
            who,
            request: r('kms:Encrypt', keyArn, `${src}: encrypt replicas with ${replicaKey}`, {
              'kms:ViaService': `s3.${destRegion}.amazonaws.com`,
              ...(aliases.length ? { 'kms:ResourceAliases': aliases } : {}),
            }),
          });
        }
      }
    }
  }
  return cases;
}

/**
 * Stand-in for the KMS part of the AWS-managed AWSBackupServiceRolePolicyForBackup, whose text is
 * not in the template: it lets the role use keys through AWS Backup. What this case proves is the
 * key policy side: the vault key's policy must let the account's IAM policies grant the key.
 */
export const AWS_BACKUP_KMS_STAND_IN: NamedPolicy = {
  name: 'AWSBackupServiceRolePolicyForBackup (KMS stand-in)',
  policy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['kms:CreateGrant', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'], Resource: '*' }],
  },
};

/** AWS Backup's use of each vault key (backup vault and copy destinations). */
export function awsBackupCases(model: PolicyModel): Case[] {
  const cases: Case[] = [];
  const vaultKeys = new Map<string, string>();
  for (const s of model.stacks)
    for (const v of resources(s, 'AWS::Backup::BackupVault'))
      if (v.p.EncryptionKeyArn)
        vaultKeys.set(`arn:aws:backup:${s.region}:${model.account}:backup-vault:${v.p.BackupVaultName}`, keyArnOf(model, v.p.EncryptionKeyArn));
  for (const s of model.stacks) {
    const plans = new Map(resources(s, 'AWS::Backup::BackupPlan').map((p) => [p.id, p.p.BackupPlan]));
    for (const sel of resources(s, 'AWS::Backup::BackupSelection')) {
      const who: Principal = { kind: 'role', arn: sel.p.BackupSelection.IamRoleArn, label: 'AWS Backup selection role', standIns: [AWS_BACKUP_KMS_STAND_IN] };
      const planId = /^unresolved:([^.]+)\./.exec(sel.p.BackupPlanId)?.[1];
      const plan = planId ? plans.get(planId) : undefined;
      const vaults = new Set<string>();
      for (const rule of plan?.BackupPlanRule ?? []) {
        vaults.add(`arn:aws:backup:${s.region}:${model.account}:backup-vault:${rule.TargetBackupVault}`);
        for (const copy of rule.CopyActions ?? []) vaults.add(copy.DestinationBackupVaultArn);
      }
      for (const vault of vaults) {
        const key = vaultKeys.get(vault);
        if (!key) throw new Error(`AWS Backup: vault ${vault} (used by ${sel.id}) is not in the templates or has no EncryptionKeyArn`);
        const region = key.split(':')[3];
        for (const a of ['kms:CreateGrant', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'])
          cases.push({ who, request: r(a, key, `AWS Backup writes recovery points into ${vault}`, { 'kms:ViaService': `backup.${region}.amazonaws.com` }) });
      }
    }
  }
  return cases;
}

/** EventBridge -> target functions and target DLQs; each function -> its own async DLQ. */
export function eventBridgeCases(model: PolicyModel): Case[] {
  const cases: Case[] = [];
  for (const s of model.stacks) {
    for (const rule of resources(s, 'AWS::Events::Rule')) {
      const ruleArn = `arn:aws:events:${s.region}:${model.account}:rule/${rule.p.Name ?? rule.id}`;
      for (const t of rule.p.Targets ?? []) {
        const who: Principal = t.RoleArn
          ? { kind: 'role', arn: t.RoleArn, label: `EventBridge target role (${rule.id})` }
          : { kind: 'service', service: 'events.amazonaws.com', sourceArn: ruleArn, label: 'events.amazonaws.com (schedules)' };
        if (String(t.Arn).includes(':lambda:')) cases.push({ who, request: r('lambda:InvokeFunction', t.Arn, `rule ${rule.id} invokes its target`) });
        if (t.DeadLetterConfig?.Arn)
          cases.push({ who, request: r('sqs:SendMessage', t.DeadLetterConfig.Arn, `rule ${rule.id} dead-letters undeliverable events`) });
      }
    }
    for (const f of resources(s, 'AWS::Lambda::Function')) {
      if (!f.p.DeadLetterConfig?.TargetArn) continue;
      const who: Principal = { kind: 'role', arn: f.p.Role, label: `function role of ${f.id} (async DLQ)` };
      cases.push({ who, request: r('sqs:SendMessage', f.p.DeadLetterConfig.TargetArn, `failed async invocations of ${f.id}`) });
    }
  }
  return cases;
}
