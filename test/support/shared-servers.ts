/**
 * Local servers shared by the test files of one Jest worker: `jest.config.js` names
 * {@link globalSetup} and {@link globalTeardown}. The setup starts one DynamoDB Local + S3 pair
 * per worker before the workers exist and hands their endpoints and pids to them in
 * DR_TEST_SERVERS; each worker takes the pair of its JEST_WORKER_ID (see `useLocalServers`), so
 * the JVM starts twice per run instead of once per file. The teardown stops them by pid.
 *
 * DR_TEST_SHARED_SERVERS=0 turns sharing off (every suite starts its own pair, as before).
 */
import type { Config } from '@jest/types';
import { LocalServers, RunningPair, startLocalServers } from '../../cli/support/local-servers';

/** The variable that carries the pairs to the workers. */
export const SHARED_SERVERS_VAR = 'DR_TEST_SERVERS';

/** Kept on globalThis: Jest loads the setup and the teardown modules separately, in the same process. */
const holder = globalThis as { __drSharedServers?: LocalServers[] };
const started: LocalServers[] = (holder.__drSharedServers ??= []);

/** Starts one pair per worker (all at once) and publishes them in DR_TEST_SERVERS. */
export async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  if (process.env.DR_TEST_SHARED_SERVERS === '0') return;
  const workers = Math.max(1, globalConfig.maxWorkers);
  started.push(...(await Promise.all(Array.from({ length: workers }, () => startLocalServers()))));
  // s3Directory (s3rver only): a suite empties the worker's S3 by emptying that folder (useLocalServers).
  const pairs: RunningPair[] = started.map((s) => ({
    dynamodbEndpoint: s.dynamodbEndpoint,
    s3Endpoint: s.s3Endpoint,
    s3Credentials: { accessKeyId: s.env.AWS_ACCESS_KEY_ID, secretAccessKey: s.env.AWS_SECRET_ACCESS_KEY },
    pids: s.pids,
    ...(s.s3Directory ? { s3Directory: s.s3Directory } : {}),
    ...(s.s3Env ? { s3Env: s.s3Env } : {}),
  }));
  process.env[SHARED_SERVERS_VAR] = JSON.stringify(pairs);
}

/** Stops the pairs {@link globalSetup} started. */
export async function globalTeardown(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  delete process.env[SHARED_SERVERS_VAR];
}

/** The pair of this worker (JEST_WORKER_ID 1..n), or undefined when sharing is off. */
export function workerPair(env: NodeJS.ProcessEnv = process.env): RunningPair | undefined {
  const raw = env[SHARED_SERVERS_VAR];
  if (!raw) return undefined;
  const pairs = JSON.parse(raw) as RunningPair[];
  const worker = Number(env.JEST_WORKER_ID ?? '1');
  return pairs[(Math.max(1, worker) - 1) % pairs.length];
}
