/**
 * `kms:EncryptionContext:aws:s3:arn`, evaluated by hand. S3 calls KMS with the object's ARN (the
 * bucket's with S3 Bucket Keys) as encryption context, and policies scope a key to one bucket with
 * a condition on that key (the S3 replication docs' example for SSE-KMS sources). The simulator
 * (@cloud-copilot/iam-simulate) drops this condition key from the request: it reports it among
 * `ignoredContextKeys`, and a statement conditioned on it then never matches, whatever the value.
 *
 * So for a request that carries the key, each identity statement's condition on it (StringLike,
 * StringEquals, ArnLike, ArnEquals; any other operator throws, so nothing is evaluated silently)
 * is decided here with the request's value and IAM's wildcard matching (`*` any run, `?` one
 * character): a condition that holds is removed from a copy of the statement, one that fails is
 * left (and fails in the simulator, as IAM would fail it). The simulator decides everything else:
 * action, resource, the other condition keys, the key policy.
 */
import { evaluate, type Principal, type Verdict } from './evaluate';
import type { IamRequest } from './recorder';
import { S3_ENCRYPTION_CONTEXT } from './service-paths';
import type { NamedPolicy, PolicyModel } from './templates';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** IAM's wildcard match (`*`, `?`), case-sensitive as StringLike is. */
export const iamLike = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

const OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  StringLike: iamLike,
  ArnLike: iamLike,
  StringEquals: (p, v) => p === v,
  ArnEquals: (p, v) => p === v,
};

/** What the hand evaluation decided for one statement's condition on the key. */
export interface HandDecision {
  readonly policy: string;
  readonly operator: string;
  readonly patterns: string[];
  readonly value: string;
  readonly holds: boolean;
}

/** `policies` with each condition on the key decided for `value`; the decisions made. */
export function decideEncryptionContext(policies: readonly NamedPolicy[], value: string): { policies: NamedPolicy[]; decisions: HandDecision[] } {
  const decisions: HandDecision[] = [];
  const rewritten = policies.map((p) => {
    const policy = structuredClone(p.policy) as { Statement: Json[] };
    for (const st of [].concat(policy.Statement as never) as { Condition?: Record<string, Record<string, string | string[]>> }[]) {
      for (const [operator, keys] of Object.entries(st.Condition ?? {})) {
        if (!(S3_ENCRYPTION_CONTEXT in keys)) continue;
        const test = OPERATORS[operator];
        if (!test) throw new Error(`${p.name}: ${operator} on ${S3_ENCRYPTION_CONTEXT} is not evaluated by hand here: add it to OPERATORS`);
        const patterns = ([] as string[]).concat(keys[S3_ENCRYPTION_CONTEXT]);
        const holds = patterns.some((pattern) => test(pattern, value));
        decisions.push({ policy: p.name, operator, patterns, value, holds });
        if (!holds) continue;
        delete keys[S3_ENCRYPTION_CONTEXT];
        if (!Object.keys(keys).length) delete st.Condition![operator];
      }
      if (st.Condition && !Object.keys(st.Condition).length) delete st.Condition;
    }
    return { name: p.name, policy };
  });
  return { policies: rewritten, decisions };
}

/**
 * Evaluates `request` as {@link evaluate} does, with the principal's conditions on
 * kms:EncryptionContext:aws:s3:arn decided by hand for the request's value (a role principal).
 */
export async function evaluateWithS3EncryptionContext(
  model: PolicyModel,
  who: Principal,
  request: IamRequest,
): Promise<Verdict & { readonly decisions: HandDecision[] }> {
  const value = request.context?.[S3_ENCRYPTION_CONTEXT];
  if (typeof value !== 'string') throw new Error(`${request.action} on ${request.resource}: the request carries no ${S3_ENCRYPTION_CONTEXT} to evaluate`);
  if (who.kind !== 'role') throw new Error(`${who.label}: hand evaluation is written for role principals`);
  const role = model.roles.get(who.arn);
  if (!role) throw new Error(`${who.label}: no role ${who.arn} in the templates`);
  const { policies, decisions } = decideEncryptionContext(role.policies, value);
  const copy: PolicyModel = { ...model, roles: new Map(model.roles).set(who.arn, { ...role, policies }) };
  return { ...(await evaluate(copy, who, request)), decisions };
}
