/**
 * Records every AWS request the SDK v3 clients of this process send, and maps each to the IAM
 * requests AWS authorizes for it (action, resource ARN, condition context), so the permissions
 * proof can evaluate them against the synthesized policies.
 *
 * Installed from the test side only: `Client.prototype.send` of `@smithy/core/client` (the base
 * class of every SDK v3 client in this SDK version) is wrapped so each client gets one
 * `initialize`-step middleware the first time it sends. The middleware records and passes the
 * request on unchanged; production code (lambda/shared/clients.ts) is not touched.
 * aws-sdk-client-mock replaces `send` on the client class, so mocked calls never reach the
 * middleware: {@link Recorder.recordMocked} reads them from the mock instead.
 *
 * Who sent a request is the `who` of the innermost {@link Recorder.as} around it (an
 * AsyncLocalStorage, so it follows awaits); requests outside any `as` are set-up and are kept
 * with `who: undefined`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from '@smithy/core/client';

/** One request an SDK client sent. */
export interface SdkCall {
  /** Label of the code that sent it (see {@link Recorder.as}); undefined for set-up. */
  readonly who?: string;
  /** IAM service prefix: `s3`, `dynamodb`, `cloudwatch`, ... */
  readonly service: string;
  /** SDK operation name without `Command`: `PutObject`, `BatchWriteItem`, ... */
  readonly operation: string;
  /** The command input (a Body is left out). */
  readonly input: Record<string, unknown>;
  /** The client's region. */
  readonly region: string;
}

/** What {@link startRecorder} returns. */
export interface Recorder {
  readonly calls: SdkCall[];
  /** Runs `fn` with every request it sends recorded as sent by `who`. */
  as<T>(who: string, fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` outside any `as` (its requests, and what it starts, are set-up): a stand-in doing AWS's own work. */
  outside<T>(fn: () => Promise<T>): Promise<T>;
  /** Records the calls an aws-sdk-client-mock stub received (mocked APIs never reach the middleware). */
  recordMocked(mock: { calls(): { args: unknown[]; thisValue: unknown }[] }, who: string): Promise<void>;
  /** Puts `send` back; recorded calls stay. */
  stop(): void;
}

const SERVICE_OF_CLIENT: Record<string, string> = {
  S3Client: 's3',
  DynamoDBClient: 'dynamodb',
  CloudWatchClient: 'cloudwatch',
  CloudWatchLogsClient: 'logs',
  SNSClient: 'sns',
  STSClient: 'sts',
  CloudFormationClient: 'cloudformation',
  EventBridgeClient: 'events',
  BackupClient: 'backup',
  CloudTrailClient: 'cloudtrail',
};

type AnyClient = { config: { region: () => Promise<string> }; middlewareStack: { add: (...a: unknown[]) => void }; constructor: { name: string } };
type AnyCommand = { input: Record<string, unknown>; constructor: { name: string } };

let active: { calls: SdkCall[]; who: AsyncLocalStorage<string> } | undefined;
const withMiddleware = new WeakSet<object>();

function snapshot(input: Record<string, unknown>): Record<string, unknown> {
  const { Body: _body, ...rest } = input ?? {};
  return rest;
}

/** Starts recording (one recorder at a time per process). */
export function startRecorder(): Recorder {
  if (active) throw new Error('a permissions recorder is already running in this process: stop() it first');
  const state = { calls: [] as SdkCall[], who: new AsyncLocalStorage<string>() };
  active = state;
  const original = Client.prototype.send;
  const patched = function (this: AnyClient, ...args: unknown[]) {
    if (!withMiddleware.has(this)) {
      withMiddleware.add(this);
      const region = () => this.config.region();
      this.middlewareStack.add(
        (next: (a: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => async (a: { input: Record<string, unknown> }) => {
          const rec = active;
          if (rec) {
            rec.calls.push({
              who: rec.who.getStore(),
              service: SERVICE_OF_CLIENT[context.clientName ?? ''] ?? String(context.clientName),
              operation: String(context.commandName).replace(/Command$/, ''),
              input: snapshot(a.input),
              region: await region(),
            });
          }
          return next(a);
        },
        { step: 'initialize', name: 'drPermissionsRecorder', priority: 'high' },
      );
    }
    return (original as (...x: unknown[]) => unknown).apply(this, args);
  };
  Client.prototype.send = patched as typeof Client.prototype.send;
  return {
    calls: state.calls,
    as: (who, fn) => state.who.run(who, fn),
    outside: (fn) => state.who.exit(fn),
    async recordMocked(mock, who) {
      for (const call of mock.calls()) {
        const client = call.thisValue as AnyClient;
        const command = call.args[0] as AnyCommand;
        state.calls.push({
          who,
          service: SERVICE_OF_CLIENT[client.constructor.name] ?? client.constructor.name,
          operation: command.constructor.name.replace(/Command$/, ''),
          input: snapshot(command.input),
          region: await client.config.region(),
        });
      }
    },
    stop() {
      if (Client.prototype.send === patched) Client.prototype.send = original;
      if (active === state) active = undefined;
    },
  };
}

/** One request as IAM authorizes it. */
export interface IamRequest {
  /** IAM action, e.g. `s3:GetObject`. */
  readonly action: string;
  /** The resource ARN (or `*`). */
  readonly resource: string;
  /** Condition keys AWS sets for this request (beyond the global ones the evaluator adds). */
  readonly context?: Record<string, string | string[]>;
  /** Where it came from, for messages: the SDK call, and why an implied request is needed. */
  readonly because: string;
  /** The region the request is sent to (`aws:RequestedRegion`). @default - the resource's region */
  readonly region?: string;
}

/** What the mapping needs to know about the deployment. */
export interface MappingContext {
  readonly account: string;
  /** The default SSE-KMS key ARN of a bucket, if it has one. */
  bucketKey(bucket: string): string | undefined;
  /** The key ARN an alias ARN names (KMS authorizes on the key, never on the alias). @default - unchanged */
  resolveKey?(arn: string): string;
}

type Mapper = (call: SdkCall, ctx: MappingContext) => IamRequest[];

const bucketArn = (b: unknown) => `arn:aws:s3:::${String(b)}`;
const objectArn = (b: unknown, k: unknown) => `arn:aws:s3:::${String(b)}/${String(k)}`;
/**
 * A table's ARN in the deployed account and the client's region. An ARN that DynamoDB Local
 * handed out (`arn:aws:dynamodb:ddblocal:000000000000:table/x`, e.g. from DescribeTable, which
 * the restore journal tags with), or that the drill's engine stand-in handed out
 * (`arn:aws:dynamodb:local:000000000000:table/x/import/<id>`), names what AWS would name in the
 * deployed account.
 */
const tableArn = (call: SdkCall, ctx: MappingContext, name: unknown) => {
  const local = /^arn:aws:dynamodb:(?:ddblocal|local):\d+:table\/(.+)$/.exec(String(name));
  if (local) return `arn:aws:dynamodb:${call.region}:${ctx.account}:table/${local[1]}`;
  return String(name).startsWith('arn:') ? String(name) : `arn:aws:dynamodb:${call.region}:${ctx.account}:table/${String(name)}`;
};
const req = (call: SdkCall, action: string, resource: string, context?: IamRequest['context'], why = ''): IamRequest => ({
  action,
  resource,
  ...(context ? { context } : {}),
  because: `${call.service} ${call.operation}${why ? `: ${why}` : ''}`,
  region: call.region,
});

/**
 * SSE-KMS: S3 calls KMS with the caller's credentials, so the caller needs the key
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms):
 * writes `kms:GenerateDataKey`, reads `kms:Decrypt`, multipart uploads both
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
 * The key is the bucket's default (our writes send no SSEKMSKeyId), or the one the request names.
 */
function kms(call: SdkCall, ctx: MappingContext, bucket: unknown, actions: string[], explicitKey?: unknown): IamRequest[] {
  const key = explicitKey ? String(explicitKey) : ctx.bucketKey(String(bucket));
  if (!key) return [];
  const region = key.split(':')[3] || call.region;
  return actions.map((action) =>
    req(call, action, key, { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:CallerAccount': ctx.account }, `SSE-KMS of s3://${String(bucket)}`),
  );
}

const s3Object =
  (action: string, kmsActions: string[] = []): Mapper =>
  (call, ctx) => [
    req(call, call.input.VersionId && action === 's3:GetObject' ? 's3:GetObjectVersion' : action, objectArn(call.input.Bucket, call.input.Key)),
    ...kms(call, ctx, call.input.Bucket, kmsActions, call.input.SSEKMSKeyId),
  ];
const s3Bucket =
  (action: string): Mapper =>
  (call) => [req(call, action, bucketArn(call.input.Bucket), call.input.Prefix !== undefined ? { 's3:prefix': String(call.input.Prefix) } : undefined)];

/** DynamoDB calls whose resource is the table named by `TableName` (an index ARN when `IndexName` is set). */
const dynamoTable =
  (action?: string): Mapper =>
  (call, ctx) => {
    const table = tableArn(call, ctx, call.input.TableName ?? call.input.TableArn ?? call.input.ResourceArn);
    return [req(call, action ?? `dynamodb:${call.operation}`, call.input.IndexName ? `${table}/index/${String(call.input.IndexName)}` : table)];
  };

const alarmArn = (call: SdkCall, ctx: MappingContext, name: unknown) => `arn:aws:cloudwatch:${call.region}:${ctx.account}:alarm:${String(name)}`;
const trailArn = (call: SdkCall, ctx: MappingContext, name: unknown) =>
  String(name).startsWith('arn:') ? String(name) : `arn:aws:cloudtrail:${call.region}:${ctx.account}:trail/${String(name)}`;
/** Stands in for the UUID in a stack ARN when the request names the stack only. */
export const PLACEHOLDER_STACK_ID = '00000000-0000-4000-8000-000000000000';

/**
 * The source side of a copy: s3:GetObject, or s3:GetObjectVersion for `?versionId=`. A CopyObject
 * of a version copies its tags (TaggingDirective COPY): s3:GetObjectVersionTagging on the source
 * and s3:PutObjectTagging on the copy.
 */
function copySourceRequests(call: SdkCall, ctx: MappingContext, tags: boolean): IamRequest[] {
  const [path, query = ''] = String(call.input.CopySource).replace(/^\//, '').split('?');
  const [srcBucket, ...srcKey] = decodeURIComponent(path).split('/');
  const source = objectArn(srcBucket, srcKey.join('/'));
  const versioned = /(^|&)versionId=/.test(query);
  return [
    req(call, versioned ? 's3:GetObjectVersion' : 's3:GetObject', source, undefined, 'copy source'),
    ...(versioned && tags
      ? [
          req(call, 's3:GetObjectVersionTagging', source, undefined, 'tags of the copy source'),
          req(call, 's3:PutObjectTagging', objectArn(call.input.Bucket, call.input.Key), undefined, 'tags copied'),
        ]
      : []),
    ...kms(call, ctx, srcBucket, ['kms:Decrypt']),
  ];
}

/** Object Lock settings written with an object: s3:PutObjectRetention / s3:PutObjectLegalHold. */
function lockRequests(call: SdkCall): IamRequest[] {
  const arn = objectArn(call.input.Bucket, call.input.Key);
  return [
    ...(call.input.ObjectLockMode ? [req(call, 's3:PutObjectRetention', arn, undefined, 'retention set on the object')] : []),
    ...(call.input.ObjectLockLegalHoldStatus ? [req(call, 's3:PutObjectLegalHold', arn, undefined, 'legal hold set on the object')] : []),
  ];
}

/**
 * The IAM requests of deleting one key, as the DeleteObject and DeleteObjects API references state
 * them (Permissions, general purpose buckets): "To delete an object from a bucket, you must always
 * have the s3:DeleteObject permission", and "to delete a specific version of an object from a
 * versioning-enabled bucket, you must have the s3:DeleteObjectVersion permission". So a key sent
 * with a VersionId needs both; without one (a delete marker, or an unversioned object) only
 * s3:DeleteObject. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
function deleteRequests(call: SdkCall, key: unknown, versionId: unknown): IamRequest[] {
  const arn = objectArn(call.input.Bucket, key);
  return [
    req(call, 's3:DeleteObject', arn, undefined, versionId ? 'always required, also for a version' : ''),
    ...(versionId ? [req(call, 's3:DeleteObjectVersion', arn, undefined, 'a version deleted for good')] : []),
  ];
}

/** Read and write actions a point-in-time restore needs on its target table (see below). */
const RESTORE_TARGET_ACTIONS = ['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'Query', 'Scan', 'BatchWriteItem'];

/**
 * A KMS key as the request names it (key id, key ARN, alias name or alias ARN) as an ARN in the
 * client's region: an alias name becomes the alias ARN, which evaluate.ts resolves to its key.
 */
const keyArnIn = (call: SdkCall, ctx: MappingContext, key: unknown) => {
  const k = String(key);
  const arn = k.startsWith('arn:') ? k : `arn:aws:kms:${call.region}:${ctx.account}:${k.startsWith('alias/') ? k : `key/${k}`}`;
  return ctx.resolveKey?.(arn) ?? arn;
};

/**
 * The CloudWatch Logs requests ImportTable makes as the caller, with the actions of AWS's policy
 * in "Requesting a table import" (DynamoDB developer guide): log group `/aws-dynamodb/imports`
 * (DescribeImport's CloudWatchLogGroupArn), a stream in it; DescribeLogGroups has no resource type.
 */
function importLogRequests(call: SdkCall, ctx: MappingContext): IamRequest[] {
  const group = `arn:aws:logs:${call.region}:${ctx.account}:log-group:/aws-dynamodb/imports`;
  const stream = `${group}:log-stream:import-errors`;
  const why = 'ImportTable logs its errors as the caller';
  return [
    req(call, 'logs:CreateLogGroup', group, undefined, why),
    req(call, 'logs:PutRetentionPolicy', group, undefined, why),
    req(call, 'logs:DescribeLogGroups', '*', undefined, why),
    req(call, 'logs:DescribeLogStreams', group, undefined, why),
    req(call, 'logs:CreateLogStream', stream, undefined, why),
    req(call, 'logs:PutLogEvents', stream, undefined, why),
  ];
}

/**
 * A customer managed key for a table DynamoDB creates: DescribeKey and a grant for DynamoDB, both
 * with the caller's identity through DynamoDB (kms:GrantIsForAWSResource is true on the grant:
 * KMS developer guide, "Controlling access to grants"; kms:ViaService is dynamodb.<region>).
 */
function tableKeyRequests(call: SdkCall, ctx: MappingContext, key: unknown): IamRequest[] {
  if (!key) return [];
  const arn = keyArnIn(call, ctx, key);
  const via = { 'kms:ViaService': `dynamodb.${call.region}.amazonaws.com`, 'kms:CallerAccount': ctx.account };
  return [
    req(call, 'kms:DescribeKey', arn, via, 'SSE with a customer managed key'),
    req(call, 'kms:CreateGrant', arn, { ...via, 'kms:GrantIsForAWSResource': 'true' }, 'SSE with a customer managed key: a grant for DynamoDB'),
  ];
}

/**
 * Bulk put's action names: NOT in any published Service Authorization Reference (nor in the IAM
 * data the simulator ships), so no simulator can prove them. Requests for them carry this context
 * key; engines.test.ts evaluates them against the policy text itself and reports them as unproven.
 */
export const UNPUBLISHED_ACTION = 'dr:UnpublishedAction';

/** The requests of the restore engines' DynamoDB operations (import and bulk put). */
const ENGINE_ACTIONS: Record<string, Mapper> = {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Requesting.html:
  // ImportTable on the new table; the import reads the source (s3:GetObject, s3:ListBucket) and
  // writes its error log as the caller; SSE-KMS sources need kms:Decrypt on the bucket key.
  ImportTable: (call, ctx) => {
    const src = call.input.S3BucketSource as { S3Bucket: string; S3KeyPrefix?: string };
    const params = call.input.TableCreationParameters as { TableName: string; SSESpecification?: { KMSMasterKeyId?: string } };
    const prefix = src.S3KeyPrefix ?? '';
    const why = 'the import reads the source as the caller';
    return [
      req(call, 'dynamodb:ImportTable', tableArn(call, ctx, params.TableName)),
      req(call, 's3:ListBucket', bucketArn(src.S3Bucket), { 's3:prefix': prefix }, why),
      req(call, 's3:GetObject', objectArn(src.S3Bucket, `${prefix}data-file.json.gz`), undefined, why),
      ...kms(call, ctx, src.S3Bucket, ['kms:Decrypt']),
      ...importLogRequests(call, ctx),
      ...tableKeyRequests(call, ctx, params.SSESpecification?.KMSMasterKeyId),
    ];
  },
  // DescribeImport's resource is the import: table/<name>/import/<id> (Service Authorization Reference, DynamoDB).
  DescribeImport: (call, ctx) => [req(call, 'dynamodb:DescribeImport', tableArn(call, ctx, call.input.ImportArn))],
  // ListImports: the Service Authorization Reference data the simulator ships (2026-09) lists `table`
  // as an optional resource type; a request naming a TableArn is evaluated on it and on "*" both,
  // so a grant passes however IAM authorizes it.
  ListImports: (call) => [
    ...(call.input.TableArn
      ? [req(call, 'dynamodb:ListImports', String(call.input.TableArn), undefined, 'ListImports by table (optional resource type)')]
      : []),
    req(call, 'dynamodb:ListImports', '*'),
  ],
  // StartBulkPutItems (API reference; BulkPutItems.*): the table, the input read and the error
  // report written as the caller (like ImportTable and ExportTableToPointInTime).
  StartBulkPutItems: (call, ctx) => {
    const input = call.input.InputS3Configuration as { S3Bucket: string; S3KeyPrefix?: string };
    const output = call.input.OutputS3Configuration as { S3Bucket: string; S3KeyPrefix?: string; S3SseKmsKeyId?: string };
    const prefix = input.S3KeyPrefix ?? '';
    const report = objectArn(output.S3Bucket, `${output.S3KeyPrefix ?? ''}report.json`);
    return [
      req(call, 'dynamodb:StartBulkPutItems', tableArn(call, ctx, call.input.TableName), { [UNPUBLISHED_ACTION]: 'true' }),
      req(call, 's3:ListBucket', bucketArn(input.S3Bucket), { 's3:prefix': prefix }, 'the bulk put reads its input as the caller'),
      req(call, 's3:GetObject', objectArn(input.S3Bucket, `${prefix}data-file.json.gz`), undefined, 'the bulk put reads its input as the caller'),
      ...kms(call, ctx, input.S3Bucket, ['kms:Decrypt']),
      req(call, 's3:PutObject', report, undefined, 'the bulk put writes its error report as the caller'),
      ...kms(call, ctx, output.S3Bucket, ['kms:GenerateDataKey'], output.S3SseKmsKeyId ? keyArnIn(call, ctx, output.S3SseKmsKeyId) : undefined),
    ];
  },
  DescribeBulkOperation: (call) => [req(call, 'dynamodb:DescribeBulkOperation', '*', { [UNPUBLISHED_ACTION]: 'true' })],
  CancelBulkOperation: (call, ctx) => [
    req(call, 'dynamodb:CancelBulkOperation', tableArn(call, ctx, call.input.BulkOperationArn), { [UNPUBLISHED_ACTION]: 'true' }),
  ],
};

/**
 * SDK operation -> IAM requests. An operation missing here fails the proof with a message naming
 * it, so new code paths cannot slip through unevaluated.
 */
export const ACTIONS: Record<string, Record<string, Mapper>> = {
  s3: {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html: "s3:ListBucket" on the bucket.
    ListObjectsV2: s3Bucket('s3:ListBucket'),
    ListObjects: s3Bucket('s3:ListBucket'),
    ListObjectVersions: s3Bucket('s3:ListBucketVersions'),
    HeadBucket: s3Bucket('s3:ListBucket'),
    CreateBucket: s3Bucket('s3:CreateBucket'),
    GetBucketReplication: s3Bucket('s3:GetReplicationConfiguration'),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html: whoever
    // writes a replication rule passes its role to S3 (iam:PassRole); DeleteBucketReplication is
    // authorized as s3:PutReplicationConfiguration (DeleteBucketReplication API reference).
    PutBucketReplication: (call, ctx) => [
      ...s3Bucket('s3:PutReplicationConfiguration')(call, ctx),
      req(
        call,
        'iam:PassRole',
        String((call.input.ReplicationConfiguration as { Role?: string } | undefined)?.Role),
        { 'iam:PassedToService': 's3.amazonaws.com' },
        'the replication rule names the role S3 assumes',
      ),
    ],
    DeleteBucketReplication: s3Bucket('s3:PutReplicationConfiguration'),
    GetBucketLocation: s3Bucket('s3:GetBucketLocation'),
    PutBucketVersioning: s3Bucket('s3:PutBucketVersioning'),
    GetBucketVersioning: s3Bucket('s3:GetBucketVersioning'),
    GetBucketEncryption: s3Bucket('s3:GetEncryptionConfiguration'),
    GetObjectLockConfiguration: s3Bucket('s3:GetBucketObjectLockConfiguration'),
    GetBucketPolicy: s3Bucket('s3:GetBucketPolicy'),
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html: HeadObject needs s3:GetObject; a Range is still s3:GetObject.
    GetObject: s3Object('s3:GetObject', ['kms:Decrypt']),
    HeadObject: s3Object('s3:GetObject', ['kms:Decrypt']),
    PutObject: s3Object('s3:PutObject', ['kms:GenerateDataKey']),
    // Multipart uploads are authorized as s3:PutObject, each part too.
    CreateMultipartUpload: s3Object('s3:PutObject', ['kms:GenerateDataKey', 'kms:Decrypt']),
    UploadPart: s3Object('s3:PutObject', ['kms:GenerateDataKey']),
    CompleteMultipartUpload: s3Object('s3:PutObject', ['kms:Decrypt']),
    AbortMultipartUpload: s3Object('s3:AbortMultipartUpload'),
    ListParts: s3Object('s3:ListMultipartUploadParts'),
    DeleteObject: (call) => deleteRequests(call, call.input.Key, call.input.VersionId),
    // DeleteObjects is authorized per key as DeleteObject is (API_DeleteObjects.html, Permissions: the same two rules).
    DeleteObjects: (call) =>
      ((call.input.Delete as { Objects?: { Key: string; VersionId?: string }[] })?.Objects ?? []).flatMap((o) => deleteRequests(call, o.Key, o.VersionId)),
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html: s3:DeleteBucket on the bucket;
    // ListBuckets is s3:ListAllMyBuckets, which has no resource type ("*").
    DeleteBucket: s3Bucket('s3:DeleteBucket'),
    ListBuckets: (call) => [req(call, 's3:ListAllMyBuckets', '*')],
    CopyObject: (call, ctx) => [...copySourceRequests(call, ctx, true), ...s3Object('s3:PutObject', ['kms:GenerateDataKey'])(call, ctx), ...lockRequests(call)],
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html: s3:GetObject(Version) on the source, s3:PutObject on the destination.
    UploadPartCopy: (call, ctx) => [...copySourceRequests(call, ctx, false), ...s3Object('s3:PutObject', ['kms:GenerateDataKey'])(call, ctx)],
    GetBucketLifecycleConfiguration: s3Bucket('s3:GetLifecycleConfiguration'),
    GetObjectTagging: (call) => [
      req(call, call.input.VersionId ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging', objectArn(call.input.Bucket, call.input.Key)),
    ],
  },
  dynamodb: {
    ...Object.fromEntries(
      [
        'DescribeTable',
        'CreateTable',
        'DeleteTable',
        'UpdateTable',
        'UpdateTimeToLive',
        'DescribeTimeToLive',
        'DescribeContinuousBackups',
        'UpdateContinuousBackups',
        'GetItem',
        'PutItem',
        'UpdateItem',
        'DeleteItem',
        'Scan',
        'Query',
        'TagResource',
        'ListTagsOfResource',
      ].map((op) => [op, dynamoTable()]),
    ),
    CreateTable: (call, ctx) => [
      ...dynamoTable()(call, ctx),
      // Tags on CreateTable are authorized as dynamodb:TagResource too.
      ...(Array.isArray(call.input.Tags) && call.input.Tags.length ? dynamoTable('dynamodb:TagResource')(call, ctx) : []),
    ],
    ListTables: (call) => [req(call, 'dynamodb:ListTables', '*')],
    ListExports: (call) => [req(call, 'dynamodb:ListExports', '*')],
    DescribeExport: (call) => [req(call, 'dynamodb:DescribeExport', String(call.input.ExportArn))],
    BatchWriteItem: (call, ctx) => Object.keys(call.input.RequestItems as object).map((t) => req(call, 'dynamodb:BatchWriteItem', tableArn(call, ctx, t))),
    BatchGetItem: (call, ctx) => Object.keys(call.input.RequestItems as object).map((t) => req(call, 'dynamodb:BatchGetItem', tableArn(call, ctx, t))),
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport_Requesting.html:
    // the export action on the table, and the export writes to the bucket as the caller
    // (s3:PutObject, s3:AbortMultipartUpload; the documented s3:PutObjectAcl is moot with
    // ObjectOwnership BucketOwnerEnforced, where ACLs are disabled), with the bucket's or the named key.
    ExportTableToPointInTime: (call, ctx) => {
      const prefix = call.input.S3Prefix ? `${String(call.input.S3Prefix)}/` : '';
      const exported = objectArn(call.input.S3Bucket, `${prefix}AWSDynamoDB/export/data`);
      return [
        req(call, 'dynamodb:ExportTableToPointInTime', tableArn(call, ctx, call.input.TableArn)),
        req(call, 's3:PutObject', exported, undefined, 'the export writes as the caller'),
        req(call, 's3:AbortMultipartUpload', exported, undefined, 'the export writes as the caller'),
        ...kms(call, ctx, call.input.S3Bucket, ['kms:GenerateDataKey'], call.input.S3SseKmsKeyId),
      ];
    },
    ...ENGINE_ACTIONS,
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/backuprestore_IAM.html: "RestoreTableToPointInTime
    // permissions are necessary on the source table, and DynamoDB read and write permissions on the target table".
    RestoreTableToPointInTime: (call, ctx) => [
      req(call, 'dynamodb:RestoreTableToPointInTime', tableArn(call, ctx, call.input.SourceTableArn ?? call.input.SourceTableName)),
      ...RESTORE_TARGET_ACTIONS.map((a) => req(call, `dynamodb:${a}`, tableArn(call, ctx, call.input.TargetTableName), undefined, 'restore target')),
    ],
  },
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html:
  // PutMetricData, ListMetrics, GetMetricData and GetMetricStatistics have no required resource
  // type ("*"); SetAlarmState, DescribeAlarms and DescribeAlarmHistory are authorized on the alarm
  // ARN `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`, in the client's region.
  cloudwatch: {
    PutMetricData: (call) => [req(call, 'cloudwatch:PutMetricData', '*')],
    ListMetrics: (call) => [req(call, 'cloudwatch:ListMetrics', '*')],
    GetMetricData: (call) => [req(call, 'cloudwatch:GetMetricData', '*')],
    GetMetricStatistics: (call) => [req(call, 'cloudwatch:GetMetricStatistics', '*')],
    SetAlarmState: (call, ctx) => [req(call, 'cloudwatch:SetAlarmState', alarmArn(call, ctx, call.input.AlarmName))],
    DescribeAlarmHistory: (call, ctx) => [req(call, 'cloudwatch:DescribeAlarmHistory', alarmArn(call, ctx, call.input.AlarmName ?? '*'))],
    // One request per named alarm; a prefix (or nothing) lists alarms, authorized on `alarm:<prefix>*`.
    DescribeAlarms: (call, ctx) =>
      Array.isArray(call.input.AlarmNames) && call.input.AlarmNames.length
        ? call.input.AlarmNames.map((n) => req(call, 'cloudwatch:DescribeAlarms', alarmArn(call, ctx, n)))
        : [req(call, 'cloudwatch:DescribeAlarms', alarmArn(call, ctx, `${String(call.input.AlarmNamePrefix ?? '')}*`))],
  },
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudformation.html:
  // DescribeStacks on `arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`. The id is the
  // UUID CloudFormation assigns at create time; a name-only request gets a placeholder id (the
  // operator policy grants `stack/<name>/*`, as any policy must, not knowing the id in advance).
  cloudformation: {
    DescribeStacks: (call, ctx) => [
      req(
        call,
        'cloudformation:DescribeStacks',
        String(call.input.StackName ?? '').startsWith('arn:')
          ? String(call.input.StackName)
          : `arn:aws:cloudformation:${call.region}:${ctx.account}:stack/${String(call.input.StackName ?? '*')}/${PLACEHOLDER_STACK_ID}`,
      ),
    ],
  },
  // Service Authorization Reference (EventBridge): DescribeRule on the rule, `rule/<name>` on the default bus.
  events: {
    DescribeRule: (call, ctx) => [req(call, 'events:DescribeRule', `arn:aws:events:${call.region}:${ctx.account}:rule/${String(call.input.Name)}`)],
  },
  // Service Authorization Reference (CloudTrail): DescribeTrails has no resource type; GetTrailStatus and
  // GetEventSelectors are on the trail, `trail/<name>` (a name is in the client's region and account).
  cloudtrail: {
    DescribeTrails: (call) => [req(call, 'cloudtrail:DescribeTrails', '*')],
    GetTrailStatus: (call, ctx) => [req(call, 'cloudtrail:GetTrailStatus', trailArn(call, ctx, call.input.Name))],
    GetEventSelectors: (call, ctx) => [req(call, 'cloudtrail:GetEventSelectors', trailArn(call, ctx, call.input.TrailName))],
  },
  // Service Authorization Reference (AWS Backup): DescribeBackupVault on the vault, `backup-vault:<name>`;
  // DescribeRegionSettings and ListBackupVaults have no resource type.
  backup: {
    DescribeBackupVault: (call, ctx) => [
      req(call, 'backup:DescribeBackupVault', `arn:aws:backup:${call.region}:${ctx.account}:backup-vault:${String(call.input.BackupVaultName)}`),
    ],
    DescribeRegionSettings: (call) => [req(call, 'backup:DescribeRegionSettings', '*')],
    // ListBackupVaults has no resource type either (dr doctor's air-gapped vault region check).
    ListBackupVaults: (call) => [req(call, 'backup:ListBackupVaults', '*')],
  },
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html: both on the topic ARN.
  sns: {
    ListSubscriptionsByTopic: (call) => [req(call, 'sns:ListSubscriptionsByTopic', String(call.input.TopicArn))],
    GetTopicAttributes: (call) => [req(call, 'sns:GetTopicAttributes', String(call.input.TopicArn))],
    // Account settings: no resource type (Service Authorization Reference, Amazon SNS): "*".
    GetSMSSandboxAccountStatus: (call) => [req(call, 'sns:GetSMSSandboxAccountStatus', '*')],
    ListSMSSandboxPhoneNumbers: (call) => [req(call, 'sns:ListSMSSandboxPhoneNumbers', '*')],
  },
  // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html: "No permissions are
  // required to perform this operation", and an explicit Deny does not stop it: nothing to evaluate.
  sts: { GetCallerIdentity: () => [] },
};

/** The IAM requests of one recorded call; throws for an operation {@link ACTIONS} does not map. */
export function toIamRequests(call: SdkCall, ctx: MappingContext): IamRequest[] {
  const mapper = ACTIONS[call.service]?.[call.operation];
  if (!mapper) throw new Error(`no IAM mapping for ${call.service} ${call.operation} (sent by ${call.who}): add it to ACTIONS in test/permissions/recorder.ts`);
  return mapper(call, ctx);
}
