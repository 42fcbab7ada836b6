/**
 * Local servers shared by the test files of one Jest worker: `jest.config.js` names
 * {@link globalSetup} and {@link globalTeardown}. The setup starts one DynamoDB Local + S3 pair
 * per worker before the workers exist and hands their endpoints and pids to them in
 * DR_TEST_SERVERS; each worker takes the pair of its JEST_WORKER_ID (see `useLocalServers`), so
 * the JVM starts twice per run instead of once per file. The teardown stops them by pid.
 *
 * DR_TEST_SHARED_SERVERS=0 turns sharing off (every suite starts its own pair, as before).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config } from '@jest/types';
import { LocalServers, RunningPair, startLocalServers } from '../../cli/support/local-servers';

/**
 * A worker's pair as the workers receive it. `s3Directory` is s3rver's data folder (absent when
 * `DR_LOCAL_S3=rgw` chose RGW): s3rver keeps no state outside it (every request reads the folder),
 * so a suite empties the worker's S3 by removing the folder's contents instead of deleting every
 * object through the API (`useLocalServers`).
 */
export interface SharedPair extends RunningPair {
  readonly s3Directory?: string;
}

/** The variable that carries the pairs to the workers. */
export const SHARED_SERVERS_VAR = 'DR_TEST_SERVERS';

/** Kept on globalThis: Jest loads the setup and the teardown modules separately, in the same process. */
const holder = globalThis as { __drSharedServers?: LocalServers[] };
const started: LocalServers[] = (holder.__drSharedServers ??= []);

/** Starts one pair per worker (all at once) and publishes them in DR_TEST_SERVERS. */
export async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  if (process.env.DR_TEST_SHARED_SERVERS === '0') return;
  const workers = Math.max(1, globalConfig.maxWorkers);
  const s3rver = process.env.DR_LOCAL_S3 !== 'rgw';
  // Inside the run's directory (TMPDIR), removed with it at teardown.
  const dirs = Array.from({ length: workers }, () => (s3rver ? fs.mkdtempSync(path.join(os.tmpdir(), 'dr-s3rver-shared-')) : undefined));
  started.push(...(await Promise.all(dirs.map((s3Directory) => startLocalServers({ s3Directory })))));
  const pairs: SharedPair[] = started.map((s, i) => ({
    dynamodbEndpoint: s.dynamodbEndpoint,
    s3Endpoint: s.s3Endpoint,
    s3Credentials: { accessKeyId: s.env.AWS_ACCESS_KEY_ID, secretAccessKey: s.env.AWS_SECRET_ACCESS_KEY },
    pids: s.pids,
    ...(dirs[i] ? { s3Directory: dirs[i] } : {}),
  }));
  process.env[SHARED_SERVERS_VAR] = JSON.stringify(pairs);
}

/** Stops the pairs {@link globalSetup} started. */
export async function globalTeardown(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  delete process.env[SHARED_SERVERS_VAR];
}

/** The pair of this worker (JEST_WORKER_ID 1..n), or undefined when sharing is off. */
export function workerPair(env: NodeJS.ProcessEnv = process.env): SharedPair | undefined {
  const raw = env[SHARED_SERVERS_VAR];
  if (!raw) return undefined;
  const pairs = JSON.parse(raw) as SharedPair[];
  const worker = Number(env.JEST_WORKER_ID ?? '1');
  return pairs[(Math.max(1, worker) - 1) % pairs.length];
}
