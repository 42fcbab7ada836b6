/**
 * Local servers (DynamoDB Local + s3rver) for a test suite, with SDK clients pointed at them:
 * `useLocalServers()` registers the suite's start-up and clean-up hooks itself. The suite gets
 * its worker's shared pair (test/support/shared-servers.ts), emptied of every table and bucket
 * before it starts, so it sees servers as fresh as its own would be; or, with `dedicated` (or
 * outside Jest's shared set-up), a pair of its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeleteTableCommand, DynamoDBClient, paginateListTables, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListBucketsCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { attachLocalServers, LocalServers, startLocalServers } from '../../cli/support/local-servers';
import { createDynamoDbClient, createS3Client } from '../../lambda/shared/clients';
import { workerPair } from './shared-servers';

/** Starting Java and s3rver on a busy two-core machine running other suites takes a while. */
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

/** Options of {@link useLocalServers}. */
export interface UseLocalServersOptions {
  /** Buckets created once the servers are up, before the suite's own `beforeAll` runs. @default - none */
  readonly buckets?: readonly string[];
  /**
   * The suite stops or kills its servers (fault tests): it gets a pair of its own instead of the
   * worker's shared one. @default false
   */
  readonly dedicated?: boolean;
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
    const shared = opts.dedicated ? undefined : workerPair();
    const servers = shared
      ? attachLocalServers(shared, { applyToProcessEnv: true })
      : await startLocalServers({ applyToProcessEnv: true }).catch((e: unknown) => {
          startError = e;
          throw e;
        });
    // Created after the variables are applied: createS3Client picks path-style from AWS_ENDPOINT_URL_S3.
    started = { servers, dynamodb: createDynamoDbClient(), s3: createS3Client() };
    if (shared) await emptyServers(started.dynamodb, started.s3, shared.s3Directory);
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

/** Deletes a table, turning its deletion protection off first when it has it (restored tables do). */
async function deleteTable(dynamodb: DynamoDBClient, table: string): Promise<void> {
  try {
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  } catch (e) {
    if (!/protected against deletion/.test((e as Error).message)) throw e;
    await dynamodb.send(new UpdateTableCommand({ TableName: table, DeletionProtectionEnabled: false }));
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  }
}

/** Deletes every table and every bucket (with its objects): what the previous suite left. */
async function emptyServers(dynamodb: DynamoDBClient, s3: S3Client, s3Directory: string | undefined): Promise<void> {
  for await (const page of paginateListTables({ client: dynamodb }, {})) {
    await Promise.all((page.TableNames ?? []).map((t) => deleteTable(dynamodb, t)));
  }
  // s3rver: its folder holds all its state, and no request is in flight between two files of the
  // worker. Removing the folder's contents costs one rm instead of a DeleteObject per object the
  // file before left (11 s after a large backup, 33 s over a whole run through the API).
  if (s3Directory) {
    for (const entry of fs.readdirSync(s3Directory)) fs.rmSync(path.join(s3Directory, entry), { recursive: true, force: true });
    return;
  }
  for (const b of (await s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: b.Name! })) {
      const keys = (page.Contents ?? []).map((o) => o.Key!);
      // Bounded parallelism: 16 deletes in flight.
      for (let i = 0; i < keys.length; i += 16) {
        await Promise.all(keys.slice(i, i + 16).map((k) => s3.send(new DeleteObjectCommand({ Bucket: b.Name!, Key: k }))));
      }
    }
    await s3.send(new DeleteBucketCommand({ Bucket: b.Name! }));
  }
}

/** Puts process.env back to `saved` in place (Node keeps process.env a special object). */
function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
}
