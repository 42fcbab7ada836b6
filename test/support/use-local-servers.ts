/**
 * One pair of local servers (DynamoDB Local + s3rver) per test suite, with SDK clients pointed
 * at them: `useLocalServers()` registers the suite's start-up and clean-up hooks itself.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalServers, startLocalServers } from '../../cli/support/local-servers';
import { createDynamoDbClient, createS3Client } from '../../lambda/shared/clients';

/** Starting Java and s3rver on a busy two-core machine running other suites takes a while. */
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

/** Options of {@link useLocalServers}. */
export interface UseLocalServersOptions {
  /** Buckets created once the servers are up, before the suite's own `beforeAll` runs. @default - none */
  readonly buckets?: readonly string[];
}

/**
 * What {@link useLocalServers} gives a suite. Every field is filled by the helper's `beforeAll`,
 * so read it in the suite's own hooks and tests, never at module level (that throws).
 */
export interface LocalServerContext {
  /** The running servers (for `startExtraDynamoDb()` or code that takes {@link LocalServers}). */
  readonly servers: LocalServers;
  /** The standard SDK variables pointing at the servers (also applied to process.env). */
  readonly env: Readonly<Record<string, string>>;
  /** A client of `createDynamoDbClient()` on DynamoDB Local; destroyed after the suite. */
  readonly dynamodb: DynamoDBClient;
  /** A client of `createS3Client()` on s3rver (path-style); destroyed after the suite. */
  readonly s3: S3Client;
}

interface Started {
  readonly servers: LocalServers;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

/**
 * Starts DynamoDB Local and s3rver for the calling suite (or `describe` block) in `beforeAll`,
 * with the SDK variables applied to process.env, creates the two clients and the buckets asked
 * for; in `afterAll` destroys the clients, stops the servers and puts process.env back as it was
 * before (so variables a suite sets for its handlers do not outlive it either).
 *
 * Call it before the suite's own `beforeAll`: Jest runs hooks in the order they are declared, so
 * the suite's set-up (its tables, its data) then finds the servers running.
 */
export function useLocalServers(opts: UseLocalServersOptions = {}): LocalServerContext {
  let started: Started | undefined;
  let savedEnv: NodeJS.ProcessEnv | undefined;
  let startError: unknown;

  beforeAll(async () => {
    savedEnv = { ...process.env };
    const servers = await startLocalServers({ applyToProcessEnv: true }).catch((e: unknown) => {
      startError = e;
      throw e;
    });
    // Created after the variables are applied: createS3Client picks path-style from AWS_ENDPOINT_URL_S3.
    started = { servers, dynamodb: createDynamoDbClient(), s3: createS3Client() };
    for (const bucket of opts.buckets ?? []) await started.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    const s = started;
    started = undefined;
    try {
      s?.dynamodb.destroy();
      s?.s3.destroy();
      await s?.servers.stop();
    } finally {
      if (savedEnv) restoreEnv(savedEnv);
    }
  }, STOP_TIMEOUT_MS);

  const running = (): Started => {
    if (started) return started;
    // The suite's own beforeAll still runs after a failed start: name the cause, not a symptom.
    if (startError)
      throw new Error(`useLocalServers: the local servers did not start: ${startError instanceof Error ? startError.message : String(startError)}`);
    throw new Error('useLocalServers: the servers run from its beforeAll to its afterAll; read the context inside a hook or a test');
  };
  return {
    get servers() {
      return running().servers;
    },
    get env() {
      return running().servers.env;
    },
    get dynamodb() {
      return running().dynamodb;
    },
    get s3() {
      return running().s3;
    },
  };
}

/** Puts process.env back to `saved` in place (Node keeps process.env a special object). */
function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
}
