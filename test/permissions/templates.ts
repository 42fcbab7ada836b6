/**
 * The permissions proof's view of the synthesized stacks: both templates of the example config,
 * built for a fixed account, with the intrinsics that appear in policies resolved into the
 * concrete ARNs AWS would put there, and collected per principal and per resource:
 *
 * - identity policies per IAM role (AWS::IAM::Policy attached through `Roles`, the role's inline
 *   `Policies`, customer-managed AWS::IAM::ManagedPolicy through `ManagedPolicyArns` or `Roles`);
 * - resource policies per resource ARN (AWS::S3::BucketPolicy, AWS::SNS::TopicPolicy, the
 *   AWS::KMS::Key KeyPolicy, AWS::SQS::QueuePolicy, and AWS::Lambda::Permission turned into the
 *   function policy Lambda builds from it);
 * - facts the request mapping needs: each bucket's default SSE-KMS key, each key's aliases.
 *
 * Physical names CloudFormation would generate (roles, keys, queues without a name) are the
 * logical id: stable, and the same wherever the template refers to the resource.
 */
import type { DrConfig } from '../../lib/config';
import { synthesizedStacks } from '../support/template-cache';

/** The account the stacks are synthesized for (the fixture's CDK_DEFAULT_ACCOUNT). */
export const ACCOUNT = '123456789012';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A policy document with a name for messages. */
export interface NamedPolicy {
  readonly name: string;
  readonly policy: Json;
}

/** One stack's template and where it is deployed. */
export interface StackTemplate {
  readonly id: 'production' | 'recovery';
  /** The CloudFormation stack name (generated role names start with it). */
  readonly name: string;
  readonly region: string;
  readonly template: Json;
  /** The stack's account (an off-account recovery stack's own). @default ACCOUNT */
  readonly account?: string;
}

/** The account `stack` is deployed into. */
const accountOf = (stack: StackTemplate) => stack.account ?? ACCOUNT;

/** An IAM role of the templates with its identity policies. */
export interface RoleModel {
  readonly arn: string;
  readonly logicalId: string;
  readonly stack: StackTemplate['id'];
  readonly policies: NamedPolicy[];
  /** AWS-managed policies attached (their text is not in the template). */
  readonly awsManagedPolicies: string[];
}

/** Everything the evaluator needs from the templates. */
export interface PolicyModel {
  readonly account: string;
  readonly stacks: readonly StackTemplate[];
  /** By role ARN. */
  readonly roles: Map<string, RoleModel>;
  /** Customer-managed policies by name (ManagedPolicyName, else logical id). */
  readonly managedPolicies: Map<string, NamedPolicy[]>;
  /** Resource policies by resource ARN (buckets: the bucket ARN; keys: the key ARN). */
  readonly resourcePolicies: Map<string, Json>;
  /** Default SSE-KMS key ARN by bucket name (buckets encrypted with aws:kms only). */
  readonly bucketKeys: Map<string, string>;
  /** Alias names (`alias/...`) by key ARN. */
  readonly keyAliases: Map<string, string[]>;
  /** Key ARN by alias ARN (`arn:aws:kms:<region>:<account>:alias/<name>`). */
  readonly aliasTargets: Map<string, string>;
}

/**
 * Both templates of the example config (or `templates`), resolved into a {@link PolicyModel}.
 * `account` is the principals' account (the model's requests are mapped in it).
 */
export function synthesizePolicyModel(templates?: readonly StackTemplate[], account = ACCOUNT): PolicyModel {
  const stacks = templates ?? builtTemplates();
  const model: PolicyModel = {
    account,
    stacks,
    roles: new Map(),
    managedPolicies: new Map(),
    resourcePolicies: new Map(),
    bucketKeys: new Map(),
    keyAliases: new Map(),
    aliasTargets: new Map(),
  };
  for (const stack of stacks) collect(model, stack);
  return model;
}

/**
 * The two templates of `config` (default: the example config) as the fixture synthesizes them (a
 * deep copy each time: callers may edit them). Synthesized once per run and config
 * (test/support/template-cache.ts).
 */
export function builtTemplates(config?: DrConfig): StackTemplate[] {
  const { production, recovery } = synthesizedStacks(config);
  return [
    { id: 'recovery', ...recovery },
    { id: 'production', ...production },
  ];
}

/** Resolves the intrinsics of `value` in `stack` (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, pseudo parameters). */
export function resolve(stack: StackTemplate, value: Json): Json {
  if (Array.isArray(value)) return value.map((v) => resolve(stack, v));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = value[k];
    if (k === 'Ref') return ref(stack, arg);
    if (k === 'Fn::GetAtt') return getAtt(stack, ...((typeof arg === 'string' ? arg.split('.') : arg) as [string, string]));
    if (k === 'Fn::Join') return (resolve(stack, arg[1]) as unknown[]).join(arg[0]);
    if (k === 'Fn::Select') return (resolve(stack, arg[1]) as unknown[])[Number(resolve(stack, arg[0]))];
    if (k === 'Fn::Split') return String(resolve(stack, arg[1])).split(arg[0]);
    if (k === 'Fn::Sub') {
      const [text, vars] = typeof arg === 'string' ? [arg, {}] : [arg[0], resolve(stack, arg[1])];
      return (text as string).replace(/\$\{([^}!]+)\}/g, (_, name: string) =>
        name in vars ? String(vars[name]) : String(name.includes('.') ? getAtt(stack, ...(name.split('.') as [string, string])) : ref(stack, name)),
      );
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(stack, value[k])]));
}

const PSEUDO: Record<string, (s: StackTemplate) => string> = {
  'AWS::AccountId': (s) => accountOf(s),
  'AWS::Region': (s) => s.region,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  // The stack's own ARN (its id is assigned at create time: the recorder's placeholder UUID).
  'AWS::StackId': (s) => `arn:aws:cloudformation:${s.region}:${accountOf(s)}:stack/${s.name}/00000000-0000-4000-8000-000000000000`,
};

function resource(stack: StackTemplate, logicalId: string): { Type: string; Properties?: Json } {
  const r = stack.template.Resources?.[logicalId];
  if (!r) throw new Error(`${stack.id} template: no resource "${logicalId}" (referenced by a policy)`);
  return r;
}

/** The physical name CloudFormation gives a resource: its name property, else the logical id. */
function physicalName(stack: StackTemplate, logicalId: string, prop: string, lower = false): string {
  const given = resource(stack, logicalId).Properties?.[prop];
  return given !== undefined ? String(resolve(stack, given)) : lower ? logicalId.toLowerCase() : logicalId;
}

function ref(stack: StackTemplate, name: string): string {
  if (PSEUDO[name]) return PSEUDO[name](stack);
  const r = resource(stack, name);
  switch (r.Type) {
    case 'AWS::S3::Bucket':
      return physicalName(stack, name, 'BucketName', true);
    case 'AWS::SNS::Topic':
      return arn(stack, 'sns', physicalName(stack, name, 'TopicName'));
    case 'AWS::SQS::Queue':
      return `https://sqs.${stack.region}.amazonaws.com/${accountOf(stack)}/${physicalName(stack, name, 'QueueName')}`;
    case 'AWS::IAM::ManagedPolicy':
      return `arn:aws:iam::${accountOf(stack)}:policy/${physicalName(stack, name, 'ManagedPolicyName')}`;
    case 'AWS::DynamoDB::Table':
      return physicalName(stack, name, 'TableName');
    case 'AWS::Lambda::Function':
      return physicalName(stack, name, 'FunctionName');
    case 'AWS::Logs::LogGroup':
      return physicalName(stack, name, 'LogGroupName');
    case 'AWS::IAM::Role': {
      // CloudFormation names a role `<stack>-<logical id>-<random>`; the random part is left out.
      const given = r.Properties?.RoleName;
      return given !== undefined ? String(resolve(stack, given)) : `${stack.name}-${name}`;
    }
    case 'AWS::Backup::BackupVault':
      return physicalName(stack, name, 'BackupVaultName');
    default:
      return name;
  }
}

function arn(stack: StackTemplate, service: string, rest: string): string {
  return `arn:aws:${service}:${stack.region}:${accountOf(stack)}:${rest}`;
}

function getAtt(stack: StackTemplate, logicalId: string, attr: string): string {
  const r = resource(stack, logicalId);
  if (attr === 'Arn' || attr === 'BackupVaultArn') {
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${ref(stack, logicalId)}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${accountOf(stack)}:role/${ref(stack, logicalId)}`;
      case 'AWS::KMS::Key':
        return arn(stack, 'kms', `key/${logicalId}`);
      case 'AWS::SQS::Queue':
        return arn(stack, 'sqs', physicalName(stack, logicalId, 'QueueName'));
      case 'AWS::SNS::Topic':
        return ref(stack, logicalId);
      case 'AWS::Lambda::Function':
        return arn(stack, 'lambda', `function:${ref(stack, logicalId)}`);
      case 'AWS::DynamoDB::Table':
        return arn(stack, 'dynamodb', `table/${ref(stack, logicalId)}`);
      case 'AWS::Logs::LogGroup':
        return arn(stack, 'logs', `log-group:${ref(stack, logicalId)}:*`);
      case 'AWS::Events::Rule':
        return arn(stack, 'events', `rule/${physicalName(stack, logicalId, 'Name')}`);
      case 'AWS::Backup::BackupVault':
        return arn(stack, 'backup', `backup-vault:${ref(stack, logicalId)}`);
    }
  }
  if (attr === 'BackupVaultName' || attr === 'QueueName' || attr === 'TopicName') return ref(stack, logicalId).split(/[:/]/).pop()!;
  if (r.Type === 'AWS::SQS::Queue' && attr === 'QueueUrl') return ref(stack, logicalId);
  // Attributes no policy of ours names (custom resource outputs, plan ids): a marker that matches no ARN.
  return `unresolved:${logicalId}.${attr}`;
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function collect(model: PolicyModel, stack: StackTemplate): void {
  const resources = stack.template.Resources as Record<string, { Type: string; Properties?: Json }>;
  const props = (id: string) => resolve(stack, resources[id].Properties ?? {});
  const roleArn = (roleNameOrRef: string) => `arn:aws:iam::${accountOf(stack)}:role/${roleNameOrRef}`;
  // Roles first, so policies attached through `Roles` find them.
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const p = props(id);
    const role: RoleModel = { arn: getAtt(stack, id, 'Arn'), logicalId: id, stack: stack.id, policies: [], awsManagedPolicies: [] };
    for (const inline of asList<Json>(p.Policies)) role.policies.push({ name: inline.PolicyName, policy: inline.PolicyDocument });
    for (const managed of asList<string>(p.ManagedPolicyArns)) {
      if (managed.startsWith('arn:aws:iam::aws:policy/')) role.awsManagedPolicies.push(managed);
    }
    model.roles.set(role.arn, role);
  }
  for (const [id, r] of Object.entries(resources)) {
    const p = props(id);
    switch (r.Type) {
      case 'AWS::IAM::Policy':
        for (const role of asList<string>(p.Roles)) model.roles.get(roleArn(role))?.policies.push({ name: p.PolicyName ?? id, policy: p.PolicyDocument });
        break;
      case 'AWS::IAM::ManagedPolicy': {
        const name = p.ManagedPolicyName ?? id;
        const named = { name, policy: p.PolicyDocument };
        model.managedPolicies.set(name, [...(model.managedPolicies.get(name) ?? []), named]);
        for (const role of asList<string>(p.Roles)) model.roles.get(roleArn(role))?.policies.push(named);
        break;
      }
      case 'AWS::S3::BucketPolicy':
        addResourcePolicy(model, `arn:aws:s3:::${p.Bucket}`, p.PolicyDocument);
        break;
      case 'AWS::SNS::TopicPolicy':
        for (const topic of asList<string>(p.Topics)) addResourcePolicy(model, topic, p.PolicyDocument);
        break;
      case 'AWS::SQS::QueuePolicy':
        for (const url of asList<string>(p.Queues)) addResourcePolicy(model, queueArnOfUrl(url), p.PolicyDocument);
        break;
      case 'AWS::KMS::Key':
        addResourcePolicy(model, getAtt(stack, id, 'Arn'), p.KeyPolicy);
        break;
      case 'AWS::KMS::Alias': {
        const key = String(p.TargetKeyId);
        model.keyAliases.set(key, [...(model.keyAliases.get(key) ?? []), p.AliasName]);
        model.aliasTargets.set(arn(stack, 'kms', p.AliasName), key);
        break;
      }
      case 'AWS::Lambda::Permission':
        addResourcePolicy(model, String(p.FunctionName), lambdaPermissionPolicy(id, p));
        break;
      case 'AWS::S3::Bucket': {
        const byDefault = p.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
        if (byDefault?.SSEAlgorithm === 'aws:kms') model.bucketKeys.set(ref(stack, id), String(byDefault.KMSMasterKeyID ?? 'aws/s3'));
        break;
      }
    }
  }
  // Managed policies attached to roles through ManagedPolicyArns (a Ref to the policy).
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    for (const managed of asList<string>(props(id).ManagedPolicyArns)) {
      const name = /^arn:aws:iam::\d+:policy\/(.+)$/.exec(managed)?.[1];
      if (name) model.roles.get(getAtt(stack, id, 'Arn'))!.policies.push(...(model.managedPolicies.get(name) ?? []));
    }
  }
}

function addResourcePolicy(model: PolicyModel, resourceArn: string, doc: Json): void {
  const existing = model.resourcePolicies.get(resourceArn);
  if (!existing) model.resourcePolicies.set(resourceArn, { Version: '2012-10-17', Statement: [...asList(doc.Statement)] });
  else existing.Statement.push(...asList(doc.Statement));
}

function queueArnOfUrl(url: string): string {
  const m = /^https:\/\/sqs\.([^.]+)\.amazonaws\.com\/(\d+)\/(.+)$/.exec(url);
  if (!m) throw new Error(`not a queue URL: ${url}`);
  return `arn:aws:sqs:${m[1]}:${m[2]}:${m[3]}`;
}

/**
 * The statement Lambda adds to a function's resource policy for an AWS::Lambda::Permission
 * (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html): the
 * principal, the action, and `SourceArn`/`SourceAccount` as ArnLike/StringEquals conditions.
 */
function lambdaPermissionPolicy(id: string, p: Json): Json {
  const condition: Json = {};
  if (p.SourceArn) condition.ArnLike = { 'AWS:SourceArn': p.SourceArn };
  if (p.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': p.SourceAccount };
  const principal = /^\d{12}$/.test(p.Principal) || p.Principal.startsWith('arn:') ? { AWS: p.Principal } : { Service: p.Principal };
  return {
    Statement: [
      {
        Sid: id,
        Effect: 'Allow',
        Principal: principal,
        Action: p.Action,
        Resource: p.FunctionName,
        ...(Object.keys(condition).length ? { Condition: condition } : {}),
      },
    ],
  };
}

/** Logical ids of a stack's resources of `type` whose id starts with `prefix`. */
export function logicalIds(stack: StackTemplate, type: string, prefix = ''): string[] {
  return Object.entries(stack.template.Resources as Record<string, { Type: string }>)
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
}

/** The stack with id `id`. */
export function stackOf(model: PolicyModel, id: StackTemplate['id']): StackTemplate {
  const s = model.stacks.find((x) => x.id === id);
  if (!s) throw new Error(`no ${id} stack in the model`);
  return s;
}

/** A Lambda function of the templates: its role ARN, region and resolved environment. */
export interface FunctionModel {
  readonly logicalId: string;
  readonly arn: string;
  readonly roleArn: string;
  readonly region: string;
  readonly env: Record<string, string>;
}

/** The one function in stack `stackId` whose logical id starts with `prefix` (e.g. `BackupFunction`). */
export function functionOf(model: PolicyModel, stackId: StackTemplate['id'], prefix: string): FunctionModel {
  const stack = stackOf(model, stackId);
  const ids = logicalIds(stack, 'AWS::Lambda::Function', prefix);
  if (ids.length !== 1) throw new Error(`${stackId} template: expected one function whose logical id starts with "${prefix}", found ${ids.length}`);
  const p = resolve(stack, stack.template.Resources[ids[0]].Properties);
  return { logicalId: ids[0], arn: getAtt(stack, ids[0], 'Arn'), roleArn: p.Role, region: stack.region, env: p.Environment?.Variables ?? {} };
}
