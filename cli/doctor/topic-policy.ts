/**
 * Does a topic policy let CloudWatch alarms publish? A small reader of the SNS topic policy
 * (GetTopicAttributes `Policy`), for the one question `dr doctor` asks of it.
 *
 * A topic policy REPLACES SNS's default policy, so a policy holding only the `enforceSSL` Deny
 * lets nobody publish: every alarm then shows "not authorized to perform SNS:Publish" in its
 * history and nobody is paged. The answer needs an Allow of `sns:Publish` that reaches the
 * `cloudwatch.amazonaws.com` service principal and no Deny that hits the same request.
 *
 * Evaluation follows the IAM policy evaluation logic (an explicit Deny overrides any Allow) for
 * the request CloudWatch sends: principal `cloudwatch.amazonaws.com`, action `sns:Publish`, the
 * topic ARN, over TLS, with `aws:SourceAccount` (and the legacy `AWS:SourceOwner`) our account
 * and `aws:SourceArn` the alarm (doctor passes the page-test alarm, which notifies every critical topic). Conditions on other keys cannot be decided here:
 * they make the answer "unknown" (doctor reports WARN and shows the statement), never a guess.
 */

/** The principal CloudWatch alarms publish as. */
export const CLOUDWATCH_PRINCIPAL = 'cloudwatch.amazonaws.com';

/** Result of {@link cloudWatchCanPublish}. */
export interface PublishVerdict {
  /** 'allowed', 'denied' (no Allow, or a Deny hits), or 'unknown' (a condition we cannot decide). */
  readonly verdict: 'allowed' | 'denied' | 'unknown';
  /** One sentence for the doctor's detail column. */
  readonly reason: string;
}

interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** What CloudWatch's publish request carries, for matching conditions. */
interface PublishRequest {
  readonly topicArn: string;
  readonly account: string;
  /** aws:SourceArn: the alarm that publishes. */
  readonly alarmArn: string;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM wildcard match (`*` any run, `?` one character); actions compare case-insensitively. */
function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

function matchesAction(s: Statement): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => globMatch(a, 'sns:Publish', true));
  return list(s.Action).some((a) => globMatch(a, 'sns:Publish', true));
}

function matchesResource(s: Statement, topicArn: string): boolean {
  if (s.NotResource !== undefined) return !list(s.NotResource).some((r) => globMatch(r, topicArn));
  return list(s.Resource).some((r) => globMatch(r, topicArn));
}

/** True when the statement's principal covers the CloudWatch service principal. */
function matchesPrincipal(s: Statement): boolean {
  if (s.NotPrincipal !== undefined) return false; // NotPrincipal with Allow is not something our stacks write; treat as not granting.
  const p = s.Principal;
  if (p === '*') return true;
  if (!p || typeof p !== 'object') return false;
  const byType = p as Record<string, unknown>;
  // "AWS": "*" is every principal, service principals included.
  if (list(byType.AWS as string | string[]).includes('*')) return true;
  return list(byType.Service as string | string[]).some((svc) => svc === CLOUDWATCH_PRINCIPAL || svc === '*');
}

/**
 * Decides one condition block for CloudWatch's request: true (holds), false (does not) or
 * undefined (a key this reader does not know).
 */
function conditionHolds(condition: Statement['Condition'], req: PublishRequest): boolean | undefined {
  if (!condition) return true;
  let known = true;
  for (const [operator, keys] of Object.entries(condition)) {
    for (const [rawKey, rawValues] of Object.entries(keys)) {
      const key = rawKey.toLowerCase();
      const values = list(rawValues as string | string[]).map(String);
      const actual =
        key === 'aws:securetransport'
          ? 'true'
          : key === 'aws:sourceaccount' || key === 'aws:sourceowner'
            ? req.account
            : key === 'aws:sourcearn'
              ? undefined // an alarm ARN of our account, compared below by pattern
              : null;
      if (actual === null) {
        known = false;
        continue;
      }
      const op = operator.replace(/IfExists$/, '');
      let holds: boolean | undefined;
      if (key === 'aws:sourcearn') {
        const hit = values.some((v) => globMatch(v, req.alarmArn));
        holds = ['ArnLike', 'ArnEquals', 'StringLike', 'StringEquals'].includes(op) ? hit : /^(Arn|String)Not/.test(op) ? !hit : undefined;
      } else if (op === 'Bool') holds = values.includes(actual as string);
      else if (op === 'StringEquals' || op === 'StringLike') holds = values.some((v) => globMatch(v, actual as string));
      else if (op === 'StringNotEquals' || op === 'StringNotLike') holds = !values.some((v) => globMatch(v, actual as string));
      if (holds === undefined) known = false;
      else if (!holds) return false;
    }
  }
  return known ? true : undefined;
}

function label(s: Statement, i: number): string {
  return s.Sid ? `statement "${s.Sid}"` : `statement ${i + 1}`;
}

/**
 * Whether CloudWatch may publish to `topicArn` under `policyJson`.
 * @param account the topic's account (aws:SourceAccount of CloudWatch's request)
 * @param alarmArn an alarm that notifies the topic (aws:SourceArn of CloudWatch's request)
 */
export function cloudWatchCanPublish(policyJson: string | undefined, topicArn: string, account: string, alarmArn: string): PublishVerdict {
  if (!policyJson) return { verdict: 'denied', reason: 'the topic has no policy' };
  let doc: { Statement?: Statement | Statement[] };
  try {
    doc = JSON.parse(policyJson) as typeof doc;
  } catch {
    return { verdict: 'unknown', reason: 'the topic policy is not valid JSON' };
  }
  const statements = list(doc.Statement);
  const req = { topicArn, account, alarmArn };
  const applies = (s: Statement) => matchesAction(s) && matchesResource(s, topicArn) && matchesPrincipal(s);
  let unknown: string | undefined;
  for (const [i, s] of statements.entries()) {
    if (s.Effect !== 'Deny' || !applies(s)) continue;
    const holds = conditionHolds(s.Condition, req);
    if (holds === true) return { verdict: 'denied', reason: `${label(s, i)} denies sns:Publish to ${CLOUDWATCH_PRINCIPAL}` };
    if (holds === undefined) unknown ??= `${label(s, i)} is a Deny whose condition this check cannot decide: ${JSON.stringify(s.Condition)}`;
  }
  let allowedBy: string | undefined;
  for (const [i, s] of statements.entries()) {
    if (s.Effect !== 'Allow' || !applies(s)) continue;
    const holds = conditionHolds(s.Condition, req);
    if (holds === true) {
      allowedBy = label(s, i);
      break;
    }
    if (holds === undefined) unknown ??= `${label(s, i)} is an Allow whose condition this check cannot decide: ${JSON.stringify(s.Condition)}`;
  }
  if (unknown) return { verdict: 'unknown', reason: unknown };
  if (allowedBy) return { verdict: 'allowed', reason: `${allowedBy} allows sns:Publish to ${CLOUDWATCH_PRINCIPAL}` };
  return {
    verdict: 'denied',
    reason: `no statement allows sns:Publish to ${CLOUDWATCH_PRINCIPAL} (a topic policy replaces the default one; ${statements.length} statement(s), none an Allow for CloudWatch)`,
  };
}
