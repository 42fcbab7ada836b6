/**
 * A real versioned S3 on loopback: Ceph's RADOS Gateway (RGW) from Debian's packages, a
 * throwaway single-node cluster (ceph-mon, ceph-osd on memstore, radosgw) started by
 * `rgw/start.sh` and stopped here by the process ids it recorded.
 *
 * s3rver has no versioning, delete markers, Object Lock or SSE-KMS; RGW has all of them (the
 * recipe and its measured feature table: /work/shared/local-s3-versioned/README.md, and
 * docs/bucket-recovery.md "Local versioned S3"). Data lives in the OSD's RAM and is gone at stop.
 *
 * Its traps, handled here: clients must send checksums only when required (Ceph 16 answers the
 * SDK's default aws-chunked trailer with 411 MissingContentLength), and buckets are created
 * without a LocationConstraint (RGW's zonegroup is `default`).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { holdsListener, onFreshPort, PortTakenError } from './port-owner';

/** The Debian packages RGW needs (`.ci/run` installs them when missing). */
export const RGW_PACKAGES = ['radosgw', 'ceph-mon', 'ceph-osd', 'curl'] as const;
/** The install line printed when RGW is missing. */
export const RGW_INSTALL_LINE = `apt-get update && apt-get install -y --no-install-recommends ${RGW_PACKAGES.join(' ')}`;
/** The Debian package of the gateway's simulated clock ({@link VersionedS3Options.clockOffsetSeconds}); `.ci/run` installs it. */
export const FAKETIME_PACKAGE = 'libfaketime';
/** Where Debian puts libfaketime (the thread-safe build). */
export const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
/** The SSE-KMS key ids RGW's "testing" KMS backend knows (start.sh writes them into ceph.conf). */
export const RGW_KMS_KEY_IDS = ['testkey-1', 'testkey-2'] as const;

const SCRIPTS = path.join(__dirname, 'rgw');
const ACCESS_KEY = 'testaccess';
const SECRET_KEY = 'testsecret';

/** A running RGW. */
export interface VersionedS3 {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The standard SDK variables pointing S3 clients at this RGW (checksums only when required). */
  readonly env: Record<string, string>;
  /** The three daemons, in start order (`ceph-mon`, `ceph-osd`, `radosgw`). */
  readonly pids: readonly { readonly pid: number; readonly name: string }[];
  /** The gateway's pid: kill it to cut S3 mid-run; the cluster stays for inspection. */
  readonly gatewayPid: number;
  /** The cluster's folder (ceph.conf, logs); removed on stop unless given in the options. */
  readonly workDir: string;
  /**
   * With {@link VersionedS3Options.clockOffsetSeconds}: sets the gateway's clock to real time plus
   * `seconds`, effective from the next request (versions are stamped with it).
   */
  setClockOffset?(seconds: number): void;
  /** Stops exactly the recorded daemons (newest first: SIGTERM, SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Options of {@link startVersionedS3}. */
export interface VersionedS3Options {
  /** @default - a new temporary directory, removed on stop */
  readonly workDir?: string;
  /**
   * Seconds a lifecycle "day" lasts (RGW's `rgw lc debug interval`), so lifecycle rules run in a
   * test. @default - real days
   */
  readonly lifecycleDaySeconds?: number;
  /**
   * A region CreateBucket may name as LocationConstraint (the SDK sends the client's region; RGW
   * accepts only its zonegroup's api name). Costs one gateway restart, about 1.5 s.
   * @default - only buckets created without a LocationConstraint (clients in us-east-1)
   */
  readonly region?: string;
  /** @default 30 - seconds to wait for the gateway to answer */
  readonly readyTimeoutSeconds?: number;
  /**
   * Runs the gateway on a simulated clock, starting at real time plus this many seconds (and
   * changed with `setClockOffset`): the drill stamps versions minutes in the past without waiting
   * minutes. Only radosgw's clock moves (libfaketime, {@link FAKETIME_PACKAGE}); keep it within
   * S3's 15 minutes of allowed request skew. @default - the real clock
   */
  readonly clockOffsetSeconds?: number;
  /**
   * Picks the gateway's and the monitor's ports. A start whose port turns out to be held by another
   * process (start.sh's exit 3, or a readiness answer that is not from our radosgw) picks again,
   * at most 3 starts. @default - two free loopback ports
   */
  readonly pickPorts?: () => Promise<readonly [number, number]>;
}

/** Two distinct free ports on 127.0.0.1 (S3 and the mon), both held until both are known. */
async function freePortPair(): Promise<readonly [number, number]> {
  const servers = [net.createServer(), net.createServer()];
  const ports = await Promise.all(
    servers.map(
      (srv) =>
        new Promise<number>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
        }),
    ),
  );
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return [ports[0], ports[1]];
}

/** The file libfaketime reads the gateway's clock offset from (re-read at every clock read). */
const clockFile = (workDir: string) => path.join(workDir, 'clock');

function writeClock(workDir: string, seconds: number): void {
  if (!Number.isFinite(seconds)) throw new Error(`clock offset must be a number of seconds (got ${seconds})`);
  fs.writeFileSync(clockFile(workDir), `${seconds < 0 ? '-' : '+'}${Math.abs(Math.round(seconds))}\n`);
}

/** True when libfaketime is installed (the gateway's simulated clock). */
export function hasSimulatedClock(): boolean {
  return fs.existsSync(FAKETIME_LIB);
}

/** Throws a message with the install line when the Ceph binaries are missing. */
export function assertRgw(): void {
  const missing = ['radosgw', 'ceph-mon', 'ceph-osd', 'radosgw-admin', 'monmaptool', 'uuidgen', 'curl'].filter(
    (b) => spawnSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length > 0)
    throw new Error(`the local versioned S3 (Ceph RGW) needs ${missing.join(', ')}, not found on PATH: install it with \`${RGW_INSTALL_LINE}\` and run again`);
}

/** "PID NAME" lines of start.sh's pids file. */
function readPids(workDir: string): { pid: number; name: string }[] {
  const file = path.join(workDir, 'pids');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([p, n]) => p && n && Number.isInteger(Number(p)))
    .map(([p, n]) => ({ pid: Number(p), name: n }));
}

/** Still running (not a zombie) and still the program we started (pids are reused). */
function ours(pid: number, name: string): boolean {
  try {
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== name) return false;
    return !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM, then up to 5 s for the daemon to go (the OSD tells the mon it is leaving), then SIGKILL.
 * radosgw gets SIGKILL at once: on SIGTERM it drains for 5 s (measured: 4.96 s of a 5.2 s stop),
 * and it holds nothing worth a clean exit (the objects live in the OSD's memstore, thrown away
 * with the cluster).
 */
async function stopDaemon(pid: number, name: string): Promise<void> {
  if (!ours(pid, name)) return;
  signal(pid, name === 'radosgw' ? 'SIGKILL' : 'SIGTERM');
  for (let i = 0; i < 50 && ours(pid, name); i++) await new Promise((r) => setTimeout(r, 100));
  if (ours(pid, name)) signal(pid, 'SIGKILL');
}

/** Stops a cluster's daemons in the reverse of their start order (radosgw, then the OSD, then the mon). */
async function stopDaemons(pids: readonly { pid: number; name: string }[]): Promise<void> {
  for (const { pid, name } of [...pids].reverse()) await stopDaemon(pid, name);
}

/** start.sh's exit code when PORT or MON_PORT already has a listener. */
const PORT_IN_USE_EXIT = 3;

/** Runs start.sh and resolves when it exits (it exits 0 once S3 answers and the user exists). */
function runStartScript(workDir: string, port: number, monPort: number, opts: VersionedS3Options): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MON_PORT: String(monPort),
    S3_ACCESS_KEY: ACCESS_KEY,
    S3_SECRET_KEY: SECRET_KEY,
    READY_TIMEOUT: String(opts.readyTimeoutSeconds ?? 30),
  };
  if (opts.region && opts.region !== 'us-east-1') env.RGW_API_NAME = opts.region;
  if (opts.lifecycleDaySeconds) env.RGW_LC_DEBUG_INTERVAL = String(opts.lifecycleDaySeconds);
  if (opts.clockOffsetSeconds !== undefined) {
    env.RGW_CLOCK_FILE = clockFile(workDir);
    env.FAKETIME_LIB = FAKETIME_LIB;
  }
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(SCRIPTS, 'start.sh'), workDir, String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else if (code === PORT_IN_USE_EXIT) reject(new PortTakenError('the local versioned S3 (Ceph RGW)', port, stderr.trim().split('\n').pop()));
      else reject(new Error(`the local versioned S3 (Ceph RGW) did not start (exit ${code}): ${stderr.trim().slice(-600)}`));
    });
  });
}

/**
 * Starts RGW on a free loopback port. About 2 s on a quiet machine; the daemons are stopped by
 * `stop()` and, as a last resort, on process exit.
 */
export async function startVersionedS3(opts: VersionedS3Options = {}): Promise<VersionedS3> {
  assertRgw();
  const workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dr-rgw-'));
  const killAll = () => readPids(workDir).forEach(({ pid, name }) => ours(pid, name) && signal(pid, 'SIGKILL'));
  process.once('exit', killAll);
  if (opts.clockOffsetSeconds !== undefined) {
    if (!hasSimulatedClock())
      throw new Error(`the simulated clock of the local versioned S3 needs ${FAKETIME_LIB}: install it with \`apt-get install -y ${FAKETIME_PACKAGE}\``);
    fs.mkdirSync(workDir, { recursive: true });
    writeClock(workDir, opts.clockOffsetSeconds);
  }
  let port = 0;
  try {
    // start.sh's readiness probe (curl) is answered by whoever listens on the port: if that is not
    // our radosgw (another process took the port after it was picked), start again on new ports.
    port = await onFreshPort(opts.pickPorts ?? freePortPair, async ([gatewayPort, monPort]) => {
      await runStartScript(workDir, gatewayPort, monPort, opts);
      const started = readPids(workDir);
      const gateway = started.find((p) => p.name === 'radosgw');
      if (gateway && holdsListener(gateway.pid, gatewayPort) === false) {
        await stopDaemons(started);
        fs.rmSync(path.join(workDir, 'pids'), { force: true });
        throw new PortTakenError('the local versioned S3 (Ceph RGW)', gatewayPort);
      }
      return gatewayPort;
    });
  } catch (e) {
    killAll(); // start.sh stops what it started on failure; this covers a start.sh killed midway
    process.removeListener('exit', killAll);
    if (!opts.workDir) fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  const pids = readPids(workDir);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_REGION: opts.region ?? 'us-east-1',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      // RGW 16 cannot honour conditional writes (lambda/store/s3-io.ts, CONDITIONAL_WRITES_VARIABLE).
      DR_S3_CONDITIONAL_WRITES: 'off',
    },
    pids,
    gatewayPid: pids.find((p) => p.name === 'radosgw')!.pid,
    workDir,
    ...(opts.clockOffsetSeconds !== undefined ? { setClockOffset: (seconds: number) => writeClock(workDir, seconds) } : {}),
    async stop() {
      await stopDaemons(pids);
      process.removeListener('exit', killAll);
      if (!opts.workDir) fs.rmSync(workDir, { recursive: true, force: true });
      else fs.rmSync(path.join(workDir, 'pids'), { force: true });
    },
  };
}

/**
 * An S3 client on a running RGW, signing as the user the server view names: path-style, checksums
 * only when required (what Ceph 16 understands).
 */
export function versionedS3Client(server: Pick<VersionedS3, 'endpoint' | 'env' | 'accessKeyId' | 'secretAccessKey'>, maxAttempts = 3): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts,
  });
}

/** What a tenant user of a running RGW signs with. */
export interface TenantCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Creates an S3 user in a tenant of its own on a running RGW. RGW resolves every bucket name a
 * tenant user sends inside that tenant (Ceph's "RGW Multi-tenancy"), so two tenants can each
 * have a bucket "media": users of one RGW never see each other's buckets. `tenant`: letters and
 * digits, unique on this RGW; the access key is made of them too (DynamoDB Local, which shares
 * the SDK's variables in a drill, accepts only letters and digits in an access key id).
 */
export async function createTenantUser(server: Pick<VersionedS3, 'workDir'>, tenant: string): Promise<TenantCredentials> {
  if (!/^[A-Za-z0-9]{1,32}$/.test(tenant)) throw new Error(`RGW tenant names here are 1-32 letters or digits (got "${tenant}")`);
  const creds = { accessKeyId: `${tenant}access`, secretAccessKey: `${tenant}secret` };
  const args = ['-c', path.join(server.workDir, 'ceph.conf'), 'user', 'create', '--tenant', tenant, '--uid', 'user', '--display-name', tenant];
  await new Promise<void>((resolve, reject) =>
    execFile('radosgw-admin', [...args, '--access-key', creds.accessKeyId, '--secret-key', creds.secretAccessKey], (error, _out, stderr) =>
      error ? reject(new Error(`radosgw-admin could not create the tenant user ${tenant}: ${String(stderr).trim().slice(-300) || error.message}`)) : resolve(),
    ),
  );
  return creds;
}

/**
 * Stops every RGW still running whose folder lies directly in `dir` (`dr-rgw-*`, by the pids its
 * start recorded): the test run's teardown uses it so that no gateway outlives the run, also one
 * whose process died without its exit hook (a Jest worker ended by a signal).
 */
export async function stopVersionedS3Left(dir: string): Promise<void> {
  const folders = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('dr-rgw-')) : [];
  for (const f of folders) await stopDaemons(readPids(path.join(dir, f)));
}
