/**
 * Evaluates (who, request) pairs against the synthesized policies with @cloud-copilot/iam-simulate
 * (test-only devDependency): the identity policies of the principal, the resource policy of the
 * resource (bucket, topic, queue, function, and for KMS the key policy, which AWS requires: a key
 * policy that allows `arn:aws:iam::<account>:root` is what lets identity policies grant the key,
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam),
 * same-account rules as the simulator implements them.
 */
import { getDenialReasons, runSimulation } from '@cloud-copilot/iam-simulate';
import type { IamRequest, MappingContext } from './recorder';
import type { NamedPolicy, PolicyModel } from './templates';

/** Who sends a request. */
export type Principal =
  /** A role of the templates (by ARN); `standIns` are AWS-managed policies whose text the template does not hold. */
  | { readonly kind: 'role'; readonly arn: string; readonly label: string; readonly standIns?: NamedPolicy[] }
  /** A principal holding only the customer-managed policy `name` (the operator policy). */
  | {
      readonly kind: 'managed-policy';
      /** The principal's name: the first policy's. */
      readonly name: string;
      /** Every customer-managed policy the principal holds, `name` first. @default - `name` alone */
      readonly holds?: readonly string[];
      readonly label: string;
    }
  /** An AWS service principal acting for a resource of ours (`sourceArn`). */
  | { readonly kind: 'service'; readonly service: string; readonly sourceArn: string; readonly label: string };

/** One row of the table the proof evaluates. */
export interface Case {
  readonly who: Principal;
  readonly request: IamRequest;
}

/** The outcome of one case. */
export interface Verdict extends Case {
  readonly allowed: boolean;
  /** Why not (empty when allowed): names the principal, action, resource and the deciding policy. */
  readonly reason: string;
}

/** The mapping context of a model: account and bucket keys. */
export function mappingContext(model: PolicyModel): MappingContext {
  return { account: model.account, bucketKey: (b) => model.bucketKeys.get(b), resolveKey: (arn) => model.aliasTargets.get(arn) ?? arn };
}

/** The resource policy AWS consults for `resource`, and a name for it. */
function resourcePolicyOf(model: PolicyModel, resource: string): { name: string; policy: unknown } | undefined {
  const s3 = /^arn:aws:s3:::([^/]+)/.exec(resource);
  const key = s3 ? `arn:aws:s3:::${s3[1]}` : (model.aliasTargets.get(resource) ?? resource);
  const policy = model.resourcePolicies.get(key);
  return policy ? { name: key, policy } : undefined;
}

function identityOf(model: PolicyModel, who: Principal): { principal: string; policies: NamedPolicy[] } {
  switch (who.kind) {
    case 'role': {
      const role = model.roles.get(who.arn);
      if (!role) throw new Error(`${who.label}: no role ${who.arn} in the templates (roles: ${[...model.roles.keys()].join(', ')})`);
      return { principal: role.arn, policies: [...role.policies, ...(who.standIns ?? [])] };
    }
    case 'managed-policy':
      return {
        principal: `arn:aws:iam::${model.account}:role/${who.name}-holder`,
        policies: (who.holds ?? [who.name]).flatMap((n) => model.managedPolicies.get(n) ?? []),
      };
    case 'service':
      return { principal: who.service, policies: [] };
  }
}

const accountOf = (model: PolicyModel, resource: string) => resource.split(':')[4] || model.account;

/**
 * Condition keys AWS sets from the request itself: `aws:RequestedRegion` (the request's region,
 * else the resource's), and for KMS `kms:ResourceAliases` (the key's aliases,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases);
 * the request's own keys win.
 */
function requestContext(model: PolicyModel, request: IamRequest): Record<string, string | string[]> {
  const region = request.region ?? request.resource.split(':')[3];
  const key = request.action.startsWith('kms:') ? (model.aliasTargets.get(request.resource) ?? request.resource) : undefined;
  const aliases = key ? model.keyAliases.get(key) : undefined;
  return {
    ...(region ? { 'aws:RequestedRegion': region } : {}),
    ...(aliases?.length ? { 'kms:ResourceAliases': aliases } : {}),
    ...request.context,
  };
}

/** What the simulator decided for a request; `why` (when denied) follows the request's own head. */
interface Decision {
  readonly allowed: boolean;
  readonly why: string;
}

/** "<who> may not <action> on <resource> (<because>)": the start of every denial. */
const headOf = (who: Principal, request: IamRequest) => `${who.label} may not ${request.action} on ${request.resource} (${request.because})`;

const verdictOf = (who: Principal, request: IamRequest, d: Decision): Verdict =>
  d.allowed ? { who, request, allowed: true, reason: '' } : { who, request, allowed: false, reason: `${headOf(who, request)}: ${d.why}` };

/** Simulates one request. */
async function decide(model: PolicyModel, who: Principal, request: IamRequest): Promise<Decision> {
  const identity = identityOf(model, who);
  const resourcePolicy = resourcePolicyOf(model, request.resource);
  const context: Record<string, string | string[]> = {
    'aws:SecureTransport': 'true',
    'aws:PrincipalAccount': model.account,
    ...(who.kind === 'service'
      ? { 'aws:SourceAccount': model.account, 'aws:SourceArn': who.sourceArn, 'aws:PrincipalServiceName': who.service }
      : { 'aws:PrincipalArn': identity.principal }),
    ...requestContext(model, request),
  };
  const result = await runSimulation(
    {
      request: {
        principal: identity.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: accountOf(model, request.resource) },
        contextVariables: context,
      },
      identityPolicies: identity.policies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: resourcePolicy.policy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') return { allowed: false, why: `the simulator rejected the request: ${JSON.stringify(result.errors)}` };
  if (result.overallResult === 'Allowed') return { allowed: true, why: '' };
  const analysis = result.resultType === 'single' ? result.result.analysis : undefined;
  // A service principal has no identity policies; only its resource policy can allow it.
  const denials = (analysis ? getDenialReasons(analysis) : []).filter((d) => who.kind !== 'service' || d.policyType !== 'identity');
  const why = denials.map((d) => {
    const where = d.policyType === 'resource' ? `the resource policy of ${resourcePolicy?.name ?? request.resource}` : `the ${d.policyType} policies`;
    return d.denialType === 'Explicit' ? `explicitly denied by ${where} (statement ${d.statementId ?? `#${d.statementIndex}`})` : `no Allow in ${where}`;
  });
  if (request.action.startsWith('kms:') && !resourcePolicy) why.push(`the key is not in the templates, so no key policy allows it`);
  if (who.kind !== 'service' && identity.policies.length === 0) why.push('the principal has no identity policies');
  return { allowed: false, why: `${result.overallResult}; ${why.join('; ') || 'no statement allows it'}` };
}

/** Evaluates one case. */
export async function evaluate(model: PolicyModel, who: Principal, request: IamRequest): Promise<Verdict> {
  return verdictOf(who, request, await decide(model, who, request));
}

/** Resource and NotResource patterns of a policy document; undefined when one is not a plain string. */
function resourcePatterns(policy: unknown): string[] | undefined {
  const doc = policy as { Statement?: unknown };
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as ({ Resource?: unknown; NotResource?: unknown } | undefined)[];
  const patterns = statements.flatMap((st) => [st?.Resource, st?.NotResource].flat().filter((r) => r !== undefined));
  return patterns.every((r): r is string => typeof r === 'string') ? patterns : undefined;
}

/** An IAM resource pattern as a whole-ARN regular expression (`*` any run of characters, `?` one). */
const globRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/**
 * The S3 object ARN `resource` as the class of objects IAM cannot tell apart for this principal:
 * the bucket and which of the patterns it matches. IAM reads an object ARN only through the
 * Resource/NotResource patterns of the identity policies and the bucket's policy (the bucket, its
 * account and policy are the same for every key of it), so two keys of one bucket that match the
 * same patterns get the same decision. Anything else is its own class: another ARN, a pattern
 * with a policy variable or a wildcard before the resource part (where IAM matches field by
 * field, not as one string), or a pattern that is not a plain string.
 */
function resourceClass(model: PolicyModel, who: Principal, resource: string, patternsCache: Map<string, RegExp[] | undefined>): string {
  const object = /^arn:aws:s3:::([^/]+)\/./.exec(resource);
  if (!object) return resource;
  const cacheKey = JSON.stringify([who, object[1]]);
  if (!patternsCache.has(cacheKey)) {
    const policies = [...identityOf(model, who).policies.map((p) => p.policy), resourcePolicyOf(model, resource)?.policy];
    const patterns = policies.filter((p) => p !== undefined).map(resourcePatterns);
    const flat = patterns.every((p) => p !== undefined) ? patterns.flat() : undefined;
    const literalFields = (p: string) => p === '*' || (!p.includes('${') && !/[*?]/.test(p.split(':').slice(0, 5).join(':')));
    patternsCache.set(cacheKey, flat?.every(literalFields) ? [...new Set(flat)].map(globRegExp) : undefined);
  }
  const patterns = patternsCache.get(cacheKey);
  return patterns ? `arn:aws:s3:::${object[1]}/<keys matching ${patterns.map((r) => (r.test(resource) ? 1 : 0)).join('')}>` : resource;
}

/**
 * Evaluates every case. Cases IAM cannot tell apart are simulated once: the same principal,
 * action, context and region, on the same resource or on objects of one bucket that match the
 * same resource patterns ({@link resourceClass}); each case keeps its own request in its verdict.
 */
export async function evaluateAll(model: PolicyModel, cases: readonly Case[]): Promise<Verdict[]> {
  const decided = new Map<string, Promise<Decision>>();
  const keyOf = caseKeys(model);
  return Promise.all(
    cases.map(async (c) => {
      const k = keyOf(c);
      if (!decided.has(k)) decided.set(k, decide(model, c.who, c.request));
      return verdictOf(c.who, c.request, await decided.get(k)!);
    }),
  );
}

/** How many simulations {@link evaluateAll} runs for `cases` (the distinct classes). */
export function simulationsFor(model: PolicyModel, cases: readonly Case[]): number {
  return new Set(cases.map(caseKeys(model))).size;
}

/** The key under which {@link evaluateAll} simulates a case once. */
function caseKeys(model: PolicyModel): (c: Case) => string {
  const patternsCache = new Map<string, RegExp[] | undefined>();
  return ({ who, request: { action, resource, context, region } }) =>
    JSON.stringify([who, action, resourceClass(model, who, resource, patternsCache), context, region]);
}

/** Requests and denials per principal label, for the printed table. */
export function tally(verdicts: readonly Verdict[]): Map<string, { evaluated: number; denied: number }> {
  const t = new Map<string, { evaluated: number; denied: number }>();
  for (const v of verdicts) {
    const row = t.get(v.who.label) ?? { evaluated: 0, denied: 0 };
    row.evaluated++;
    if (!v.allowed) row.denied++;
    t.set(v.who.label, row);
  }
  return t;
}

/** A fixed-width table of {@link tally}. */
export function formatTally(t: ReturnType<typeof tally>): string {
  const rows = [...t.entries()].map(([who, r]) => `${who.padEnd(75)} ${String(r.evaluated).padStart(6)} ${String(r.denied).padStart(6)}`);
  return [`${'PRINCIPAL'.padEnd(75)} ${'EVALD'.padStart(6)} ${'DENIED'.padStart(6)}`, ...rows].join('\n');
}
