import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Repository root: handler entries are resolved against it, whatever the working directory. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Props of {@link DrFunction}. */
export interface DrFunctionProps {
  /** Handler file relative to the repository root, e.g. `lambda/handlers/backup.ts`. */
  readonly entry: string;
  /** What the function does (Lambda console description). */
  readonly description: string;
  /** Environment variables of the handler contract. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A handler of `lambda/handlers` as a Lambda: bundled by the local esbuild (no Docker),
 * Node.js 24 on arm64, its own role (logs to its own log group only; callers grant the rest),
 * an explicit log group with retention and a dead-letter queue for failed async invocations.
 * No reserved concurrency: a new account's concurrency quota is 10 and Lambda refuses to reserve
 * below an unreserved 10 (issue 13); overlapping backup runs are kept apart by the slot claim.
 */
export class DrFunction extends Construct {
  /** The function. */
  public readonly function: nodejs.NodejsFunction;
  /** Its role; grant what the handler needs to it. */
  public readonly role: iam.Role;
  /** Dead-letter queue of failed async invocations (and failed EventBridge deliveries). */
  public readonly deadLetterQueue: sqs.Queue;
  /** The log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DrFunctionProps) {
    super(scope, id);
    if (path.isAbsolute(props.entry) || !props.entry.startsWith('lambda/handlers/')) {
      throw new Error(`DrFunction entry must be a path under lambda/handlers/ relative to the repository root (got "${props.entry}")`);
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // SSE-SQS, not a CMK: EventBridge can only deliver to a KMS-encrypted DLQ if the key policy
    // trusts events.amazonaws.com, and the messages hold nothing but the invocation event.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (logs to its own log group only)`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.minutes(15),
      memorySize: props.memorySize ?? 1024,
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: 'node24',
        format: nodejs.OutputFormat.CJS,
        // Bundle the SDK pinned in package-lock.json (the one the tests ran) instead of marking
        // @aws-sdk/* external, which would run whatever SDK the Lambda runtime ships: its version
        // decides whether lib-storage and the 2026 bulk-put commands exist. Sizes: BENCHMARKS.md.
        bundleAwsSDK: true,
      },
    });
  }

  /**
   * X-Ray active tracing (the hardened profile turns it on for every DrFunction): Lambda records
   * each invocation's init, duration and errors as a trace, no code in the bundle (the SDK calls
   * are not instrumented: that would need Powertools Tracer in every client). The role gets the two
   * actions Lambda sends the segments with; they have no resource type, so "*".
   */
  enableTracing(): void {
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'XRayTraces', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }));
  }

  /**
   * Lets the function use a key for exactly these actions. Unlike `key.grantEncryptDecrypt`
   * (which adds `kms:ReEncrypt*` and `kms:GenerateDataKey*`), nothing beyond what S3 SSE-KMS
   * needs: Decrypt to read (and to complete multipart uploads), GenerateDataKey to write. S3
   * never calls kms:Encrypt for SSE-KMS objects (it encrypts under a generated data key).
   */
  grantKeyUse(key: kms.IKey, mode: 'read' | 'read-write'): void {
    const actions = mode === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey'];
    this.role.addToPolicy(new iam.PolicyStatement({ sid: mode === 'read' ? 'DecryptWithTheKey' : 'UseTheKey', actions, resources: [key.keyArn] }));
  }
}
