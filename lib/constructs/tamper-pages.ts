import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * One tamper page: the CloudTrail management events of one service that page on-call, and the
 * request parameter that names the resource hit.
 */
export interface TamperWatch {
  /** Rule id and name part, e.g. `Keys`. */
  readonly id: string;
  /** `source` of the events (`aws.kms`) and `detail.eventSource` (`kms.amazonaws.com`). */
  readonly service: 'kms' | 's3' | 'backup' | 'dynamodb';
  /** `detail.eventName` values. */
  readonly eventNames: readonly string[];
  /** The request parameter that names the resource (`bucketName`, `keyId`, ...). */
  readonly resourceParameter: string;
  /** Only events on these resources (values of `resourceParameter`). @default - every resource of the service in the region */
  readonly resources?: readonly string[];
  /** Further `detail.requestParameters` filters (UpdateTable: deletionProtectionEnabled false). @default - none */
  readonly requestParameters?: Record<string, unknown[]>;
  /** What happened, in plain words, before "on <resource>". */
  readonly what: string;
}

/** Props of {@link TamperPages}. */
export interface TamperPagesProps {
  /** Name prefix of the rules (the config's appName). */
  readonly app: string;
  /** The topic that pages on-call (`critical`). */
  readonly topic: sns.ITopic;
  /** The watches of this region. */
  readonly watches: readonly TamperWatch[];
}

/** The events of issue 21 that page, per service; resources are filled in per stack. */
export const TAMPER_EVENTS = {
  kms: ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy'],
  backup: ['DeleteBackupVault', 'DeleteRecoveryPoint', 'PutBackupVaultAccessPolicy', 'DeleteBackupVaultLockConfiguration'],
  // CloudTrail logs PutBucketLifecycleConfiguration as PutBucketLifecycle; both are listed.
  s3: [
    'DeleteBucketReplication',
    'PutBucketReplication',
    'PutBucketLifecycle',
    'PutBucketLifecycleConfiguration',
    'PutBucketPolicy',
    'DeleteBucketPolicy',
    'PutBucketObjectLockConfiguration',
  ],
  dynamodb: ['DeleteTable', 'UpdateContinuousBackups'],
} as const;

/**
 * EventBridge rules on CloudTrail management events ("AWS API Call via CloudTrail", delivered to
 * the default bus of the region where the call was made) that page the critical topic with a
 * plain sentence: who (the CloudTrail identity ARN), what, on which resource, in which account
 * and region, when and from where. Write events reach EventBridge only where CloudTrail records
 * management events (docs/threat-model.md). Every such call pages, a deploy's own included: a
 * stolen admin can deploy too, and the page names the deploy role so on-call can tell.
 */
export class TamperPages extends Construct {
  /** The rules, by watch id. */
  public readonly rules = new Map<string, events.Rule>();
  /** The rules' names (`<app>-tamper-<watch>`). */
  public readonly ruleNames: string[] = [];

  constructor(scope: Construct, id: string, props: TamperPagesProps) {
    super(scope, id);
    for (const w of props.watches) {
      const ruleName = `${props.app}-tamper-${w.id.toLowerCase()}`;
      this.ruleNames.push(ruleName);
      const rule = new events.Rule(this, w.id, {
        ruleName,
        description: `${props.app}: pages on-call when someone ${w.what} (CloudTrail ${w.eventNames.join(', ')})`,
        eventPattern: renderTamperPattern(w),
      });
      rule.addTarget(new targets.SnsTopic(props.topic, { message: renderTamperMessage(props.app, w) }));
      this.rules.set(w.id, rule);
    }
  }
}

/** The event pattern of one watch. */
export function renderTamperPattern(w: TamperWatch): events.EventPattern {
  const requestParameters: Record<string, unknown[]> = { ...(w.requestParameters ?? {}) };
  if (w.resources) requestParameters[w.resourceParameter] = [...w.resources];
  return {
    source: [`aws.${w.service}`],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: [`${w.service}.amazonaws.com`],
      eventName: [...w.eventNames],
      ...(Object.keys(requestParameters).length ? { requestParameters } : {}),
    },
  };
}

/** The page: one sentence naming who, what, where, when, and what to do. */
export function renderTamperMessage(app: string, w: TamperWatch): events.RuleTargetInput {
  const f = (p: string) => events.EventField.fromPath(p);
  return events.RuleTargetInput.fromText(
    `TAMPER ALERT (${app} disaster recovery): ${f('$.detail.userIdentity.arn')} ${w.what} ` +
      `(${f('$.detail.eventName')} on ${f(`$.detail.requestParameters.${w.resourceParameter}`)}) ` +
      `in account ${f('$.account')}, region ${f('$.region')}, at ${f('$.time')} from ${f('$.detail.sourceIPAddress')}. ` +
      'If no one planned this change, treat it as an attack on the backups and follow the break-glass section of docs/threat-model.md.',
  );
}
