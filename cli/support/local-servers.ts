/**
 * Real local stand-ins for AWS, started on free loopback ports: DynamoDB Local (AWS's own
 * emulator, from the `amplify-dynamodb-simulator` package; needs Java) and s3rver.
 *
 * Used by the drill, the benchmarks and the integration tests. Both servers run as child
 * processes and are stopped by `stop()`, on process exit and on Ctrl-C.
 *
 * Why s3rver and not fauxqs: s3rver is a separate server process reached over HTTP exactly as
 * the SDK reaches S3, so the engine's streaming multipart uploads, paginated listings and
 * ranged reads cross a real socket. Its known traps are handled here: the server runs with
 * `--openssl-legacy-provider` (paginated listing), and clients send checksums only when required
 * (`AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED`), since otherwise streamed PutObject bodies
 * are stored with aws-chunked framing inside the object. Delimiter listings are avoided by the
 * engine (it lists by prefix).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { holdsListener, onFreshPort, PortTakenError } from './port-owner';
import { startVersionedS3 } from './versioned-s3';
import { s3rverAtomicPutScript } from './s3rver-atomic-put';

/** A running pair of local servers. */
export interface LocalServers {
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  /** Environment that points the standard SDK variables at these servers. */
  readonly env: Record<string, string>;
  /** Process ids of the two servers (fault tests stop them mid-run). */
  readonly pids: { readonly dynamodb: number; readonly s3: number };
  /** s3rver's data folder, which holds all its state; undefined when the S3 engine is RGW. */
  readonly s3Directory?: string;
  /** What the S3 engine asks of its clients beyond endpoint and keys (already in `env`); see {@link RunningPair}. */
  readonly s3Env?: Readonly<Record<string, string>>;
  /** Starts another DynamoDB Local (for example the drill's recovery region); stopped with the rest. */
  startExtraDynamoDb(): Promise<string>;
  /**
   * Starts another DynamoDB Local or s3rver, stopped with the rest; fault tests kill it by its
   * pid mid-run and keep the main pair for checking what was left. The extra S3 is s3rver under
   * either engine (one process to kill); `env` points the SDK at it, with its own keys.
   */
  startExtraServer(kind: 'dynamodb' | 's3'): Promise<ExtraServer>;
  /** Stops every server started here. */
  stop(): Promise<void>;
}

/** A server of {@link LocalServers.startExtraServer}. */
export interface ExtraServer {
  readonly endpoint: string;
  readonly pid: number;
  /** The SDK variables that point at it (for S3 also its keys), to lay over the pair's `env`. */
  readonly env: Readonly<Record<string, string>>;
  /** Resolves when the process has exited (after a kill: its sockets are closed, a request is refused). */
  readonly exited: Promise<void>;
}

/** Options of {@link startLocalServers}. */
export interface LocalServerOptions {
  /** @default - a new temporary directory, removed on stop */
  readonly s3Directory?: string;
  /** @default false - also set process.env so SDK clients created afterwards use the servers */
  readonly applyToProcessEnv?: boolean;
  /** @default '1g' - DynamoDB Local heap */
  readonly javaHeap?: string;
}

/** Picks a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Folder of DynamoDB Local inside node_modules. */
export function dynamoDbLocalDir(): string {
  const pkg = require.resolve('amplify-dynamodb-simulator/package.json');
  return path.join(path.dirname(pkg), 'emulator');
}

/** Throws a clear message when Java is missing. */
export function assertJava(): void {
  const r = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'Java is needed for DynamoDB Local and was not found on PATH: install it (Debian/Ubuntu: apt-get install -y default-jre-headless) and run again',
    );
  }
}

/**
 * How long a local server may take to listen. DynamoDB Local (a JVM) starts in about 3 s on a quiet
 * machine but much later on a loaded one (CI on 2 cores, other test suites starting theirs), so
 * the default is generous; DR_LOCAL_START_TIMEOUT_MS overrides it.
 */
function startTimeoutMs(): number {
  const v = Number(process.env.DR_LOCAL_START_TIMEOUT_MS ?? '');
  return Number.isFinite(v) && v > 0 ? v : 120_000;
}

/** Whether `child` has ended, by an exit code or by a signal. */
function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Resolves once `child` listens on `port`. A listener of another process there (the port was taken
 * between the pick and the child's bind) stops the child and throws {@link PortTakenError}, so the
 * start is retried on another port (port-owner.ts).
 */
async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = startTimeoutMs()): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    // Someone answers: ready if it is the child (or /proc cannot tell); a child that exited, or a
    // listener of another process, means the port was taken (s3rver exits on EADDRINUSE,
    // DynamoDB Local stays alive without a listener).
    if (ok && !hasExited(child) && holdsListener(child.pid!, port) !== false) return;
    if (ok) {
      child.kill('SIGKILL');
      throw new PortTakenError(what, port);
    }
    if (hasExited(child)) throw new Error(`${what} exited with code ${child.exitCode ?? child.signalCode} before it was ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000}s`);
}

/** Starts DynamoDB Local on a port from `pickPort` (another one if a different process answers there). */
export async function startDynamoDbLocal(
  heap: string,
  track: (c: ChildProcess) => void,
  pickPort: () => Promise<number> = freePort,
): Promise<{ endpoint: string; child: ChildProcess }> {
  assertJava();
  return onFreshPort(pickPort, (port) => startDynamoDbLocalOn(port, heap, track));
}

async function startDynamoDbLocalOn(port: number, heap: string, track: (c: ChildProcess) => void): Promise<{ endpoint: string; child: ChildProcess }> {
  const dir = dynamoDbLocalDir();
  const child = spawn(
    'java',
    [
      `-Xmx${heap}`,
      `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    // cwd: DynamoDB Local writes dynamodb-local-metadata.json into its working directory.
    { stdio: 'ignore', detached: false, cwd: os.tmpdir() },
  );
  track(child); // tracked before it is ready, so a Ctrl-C during start-up still stops it
  await waitForPort(port, child, 'DynamoDB Local');
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

/** s3rver's fixed access key and secret (it accepts only these). */
const S3RVER_KEY = 'S3RVER';

function startS3rver(directory: string, track: (c: ChildProcess) => void): Promise<{ endpoint: string; child: ChildProcess }> {
  return onFreshPort(freePort, (port) => startS3rverOn(port, directory, track));
}

async function startS3rverOn(port: number, directory: string, track: (c: ChildProcess) => void): Promise<{ endpoint: string; child: ChildProcess }> {
  const main = require.resolve('s3rver');
  // s3rver answers a PUT before the object is on disk: patched first (s3rver-atomic-put.ts).
  const script = `${s3rverAtomicPutScript(main)}
const S3rver = require(${JSON.stringify(main)});
new S3rver({ address: '127.0.0.1', port: ${port}, silent: true, directory: ${JSON.stringify(directory)} }).run().catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  track(child);
  await waitForPort(port, child, 's3rver');
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

/** The S3 engine of {@link startLocalServers}: what it needs to know of either engine. */
interface StartedS3 {
  readonly endpoint: string;
  readonly pid: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** s3rver's data folder (RGW keeps its data elsewhere). */
  readonly directory?: string;
  /** Variables its clients need beyond endpoint and keys. */
  readonly env?: Readonly<Record<string, string>>;
  readonly stop?: () => Promise<void>;
}

/**
 * The one place that chooses the S3 engine: s3rver, or Ceph RGW when `DR_LOCAL_S3=rgw` (used to
 * measure whether RGW can serve every S3 test: docs/bucket-recovery.md, "One S3 engine or two").
 * The main pair, the extra servers and the shared test servers all start theirs here.
 */
async function startS3Engine(directory: string, track: (c: ChildProcess) => void): Promise<StartedS3> {
  if (process.env.DR_LOCAL_S3 === 'rgw') {
    const rgw = await startVersionedS3({ region: process.env.AWS_REGION ?? 'eu-west-1' });
    // RGW 16 refuses the conditional writes s3rver ignores: its clients get DR_S3_CONDITIONAL_WRITES=off.
    const env = { DR_S3_CONDITIONAL_WRITES: rgw.env.DR_S3_CONDITIONAL_WRITES };
    return { endpoint: rgw.endpoint, pid: rgw.gatewayPid, accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey, env, stop: () => rgw.stop() };
  }
  const { endpoint, child } = await startS3rver(directory, track);
  return { endpoint, pid: child.pid!, accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY, directory };
}

/** Where a running pair is reached, as {@link attachLocalServers} takes it (for example from another process). */
export interface RunningPair {
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  /** The S3 engine's credentials. */
  readonly s3Credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly pids: { readonly dynamodb: number; readonly s3: number };
  /** s3rver's data folder (absent for RGW): a test worker empties its shared s3rver by emptying it. */
  readonly s3Directory?: string;
  /**
   * Variables the S3 engine asks of its clients beyond endpoint and keys: RGW's
   * `DR_S3_CONDITIONAL_WRITES=off` (lambda/store/s3-io.ts); none for s3rver.
   */
  readonly s3Env?: Readonly<Record<string, string>>;
}

/** The standard SDK variables pointing at a running pair. */
export function localServerEnv(pair: RunningPair): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: pair.dynamodbEndpoint,
    AWS_ENDPOINT_URL_S3: pair.s3Endpoint,
    AWS_ACCESS_KEY_ID: pair.s3Credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: pair.s3Credentials.secretAccessKey,
    AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    ...pair.s3Env,
  };
}

/**
 * A {@link LocalServers} handle on a pair started elsewhere (the shared servers of a test
 * worker). Extra servers started through it are its own; its `stop()` stops only those and
 * leaves the pair running for its owner to stop.
 */
export function attachLocalServers(pair: RunningPair, opts: Pick<LocalServerOptions, 'javaHeap' | 'applyToProcessEnv'> = {}): LocalServers {
  const env = localServerEnv(pair);
  if (opts.applyToProcessEnv) Object.assign(process.env, env);
  return serversHandle(pair, env, opts.javaHeap ?? '1g', async () => undefined);
}

/** The handle of a pair plus the extra servers started through it; `stop()` stops what it tracks, then calls `onStop`. */
function serversHandle(pair: RunningPair, env: Record<string, string>, heap: string, onStop: () => Promise<void>, children: ChildProcess[] = []): LocalServers {
  const extraDirs: string[] = [];
  const kill = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.once('exit', kill);
  const track = (c: ChildProcess) => children.push(c);
  return {
    dynamodbEndpoint: pair.dynamodbEndpoint,
    s3Endpoint: pair.s3Endpoint,
    env,
    pids: pair.pids,
    s3Directory: pair.s3Directory,
    s3Env: pair.s3Env,
    async startExtraDynamoDb() {
      return (await startDynamoDbLocal(heap, track)).endpoint;
    },
    async startExtraServer(kind): Promise<ExtraServer> {
      const exited = (child: ChildProcess) => new Promise<void>((resolve) => (hasExited(child) ? resolve() : child.once('exit', () => resolve())));
      if (kind === 'dynamodb') {
        const { endpoint, child } = await startDynamoDbLocal(heap, track);
        return { endpoint, pid: child.pid!, env: { AWS_ENDPOINT_URL_DYNAMODB: endpoint }, exited: exited(child) };
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-s3rver-'));
      extraDirs.push(dir);
      const { endpoint, child } = await startS3rver(dir, track);
      const env = { AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: S3RVER_KEY, AWS_SECRET_ACCESS_KEY: S3RVER_KEY };
      return { endpoint, pid: child.pid!, env, exited: exited(child) };
    },
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (hasExited(c)) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
              setTimeout(() => c.kill('SIGKILL'), 2000).unref();
            }),
        ),
      );
      process.removeListener('exit', kill);
      await onStop();
      for (const dir of extraDirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts DynamoDB Local and s3rver on free loopback ports. */
export async function startLocalServers(opts: LocalServerOptions = {}): Promise<LocalServers> {
  const heap = opts.javaHeap ?? '1g';
  const tmp = opts.s3Directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dr-s3rver-'));
  const children: ChildProcess[] = [];
  const kill = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.once('exit', kill);
  try {
    const track = (c: ChildProcess) => children.push(c);
    const [ddb, s3] = await Promise.all([startDynamoDbLocal(heap, track), startS3Engine(tmp, track)]);
    const pair: RunningPair = {
      dynamodbEndpoint: ddb.endpoint,
      s3Endpoint: s3.endpoint,
      s3Credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      pids: { dynamodb: ddb.child.pid!, s3: s3.pid },
      ...(s3.directory ? { s3Directory: s3.directory } : {}),
      ...(s3.env ? { s3Env: s3.env } : {}),
    };
    const env = localServerEnv(pair);
    if (opts.applyToProcessEnv) Object.assign(process.env, env);
    process.removeListener('exit', kill); // the handle tracks the children from here on
    return serversHandle(
      pair,
      env,
      heap,
      async () => {
        await s3.stop?.();
        if (!opts.s3Directory) fs.rmSync(tmp, { recursive: true, force: true });
      },
      children,
    );
  } catch (e) {
    kill();
    process.removeListener('exit', kill);
    throw e;
  }
}

// The versioned S3 (Ceph RGW) has its own start function; re-exported so every local server starts from here.
export {
  startVersionedS3,
  versionedS3Client,
  createTenantUser,
  stopVersionedS3Left,
  assertRgw,
  RGW_INSTALL_LINE,
  RGW_KMS_KEY_IDS,
  type VersionedS3,
  type VersionedS3Options,
  type TenantCredentials,
} from './versioned-s3';
