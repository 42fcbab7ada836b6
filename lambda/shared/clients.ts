/**
 * Folder lambda/shared/: what every runtime folder uses (SDK clients, metric names and EMF).
 * Imports nothing of ours.
 *
 * AWS SDK clients, created from the standard environment.
 *
 * Endpoints come from the SDK's own variables (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3`),
 * never from code. When an S3 endpoint override is set (a local S3 such as s3rver) path-style
 * addressing is used, since local servers have no per-bucket DNS names. Checksum behaviour
 * follows the SDK's `AWS_REQUEST_CHECKSUM_CALCULATION` variable.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SERVICE_OF_ERROR, ServiceName } from './errors';

/**
 * Silent like the SDK's default logger, but deliberately without `info`: the SDK's logger
 * middleware runs every request and response through its sensitive-data log filter only when
 * the logger has `info` (`logger?.info?.(...)`), and the default no-op logger has one. That
 * filter was a third of the client CPU in the backup benchmark (BENCHMARKS.md), for logs
 * nobody sees.
 */
export const SILENT_LOGGER = { trace: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined } as unknown as NonNullable<
  DynamoDBClientConfig['logger']
>;

/** AWS_MAX_ATTEMPTS when it is a whole number of 1 or more (the SDK's own variable), else 10. */
function defaultMaxAttempts(): number {
  const n = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : 10;
}

/** Options shared by the client factories. */
export interface ClientOptions {
  /** @default - the SDK's region chain (AWS_REGION, profile) */
  readonly region?: string;
  /** @default - the SDK's credential chain */
  readonly profile?: string;
  /** @default - AWS_MAX_ATTEMPTS (the SDK's standard variable) when set, else 10: SDK retries with backoff, throttling included */
  readonly maxAttempts?: number;
  /**
   * Milliseconds to open a connection before the attempt fails and the SDK retries.
   * @default - DR_CONNECT_TIMEOUT_MS when set, else 5000
   */
  readonly connectionTimeoutMs?: number;
  /**
   * Milliseconds a request's socket may stay silent (no byte sent or received) before the attempt
   * fails and the SDK retries: a request nobody answers never hangs a restore or a validate. An
   * idle limit, not a total one, so a long download that keeps flowing is never cut.
   * @default - DR_SOCKET_TIMEOUT_MS when set, else 60000
   */
  readonly socketIdleTimeoutMs?: number;
}

/**
 * A timeout from the environment: `DR_CONNECT_TIMEOUT_MS` / `DR_SOCKET_TIMEOUT_MS` override the
 * defaults (documented in docs/cli.md; the fault suite uses them so a hang test takes seconds).
 */
function envTimeout(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of milliseconds, 1 or more (got "${v}"); unset it for the default`);
  return n;
}

/** The SDK's Node HTTP handler options with our timeouts (issue 23 #4: no request may hang forever). */
function requestHandler(opts: ClientOptions): { connectionTimeout: number; socketTimeout: number } {
  // socketTimeout is the Node handler's idle limit; its requestTimeout is a total limit that only
  // warns unless throwOnRequestTimeout, and would cut long downloads (@smithy/types HttpHandlerOptions).
  return {
    connectionTimeout: opts.connectionTimeoutMs ?? envTimeout('DR_CONNECT_TIMEOUT_MS') ?? 5_000,
    socketTimeout: opts.socketIdleTimeoutMs ?? envTimeout('DR_SOCKET_TIMEOUT_MS') ?? 60_000,
  };
}

/**
 * Tags the errors of a client with its service, so a refused connection can say whether S3 or
 * DynamoDB is down (errors.ts). One try/catch per request, outside the retry loop.
 */
function tagErrors<C extends DynamoDBClient | S3Client>(client: C, service: ServiceName): C {
  (client as DynamoDBClient).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        if (e && typeof e === 'object' && !(SERVICE_OF_ERROR in e)) Object.defineProperty(e, SERVICE_OF_ERROR, { value: service, enumerable: false });
        throw e;
      }
    },
    { step: 'initialize', name: 'drServiceOfError' },
  );
  return client;
}

/** A DynamoDB client with SDK retries. */
export function createDynamoDbClient(opts: ClientOptions = {}): DynamoDBClient {
  return tagErrors(
    new DynamoDBClient({
      region: opts.region,
      profile: opts.profile,
      maxAttempts: opts.maxAttempts ?? defaultMaxAttempts(),
      retryMode: 'adaptive',
      requestHandler: requestHandler(opts),
      logger: SILENT_LOGGER,
    }),
    'DynamoDB',
  );
}

/** An S3 client with SDK retries; path-style when an endpoint override is set. */
export function createS3Client(opts: ClientOptions = {}): S3Client {
  const override = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return tagErrors(
    new S3Client({
      region: opts.region,
      profile: opts.profile,
      maxAttempts: opts.maxAttempts ?? defaultMaxAttempts(),
      forcePathStyle: override ? true : undefined,
      requestHandler: requestHandler(opts),
      logger: SILENT_LOGGER,
    }),
    'S3',
  );
}
