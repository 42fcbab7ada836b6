/**
 * A local versioned S3 (Ceph RGW) for a test suite: `useVersionedS3()` registers the suite's
 * hooks and gives an S3 client on it.
 *
 * One RGW per test file and set of options, started when the file's first suite asks for it and
 * shared by the file's other suites (describe blocks); stopped by pid in the afterAll of the last
 * suite using it. Jest gives every test file a module registry of its own, so this module's state
 * cannot outlive a file: keeping the gateway "for the worker's later files" left one running RGW
 * per file until the worker exited (9 at once in a full run, and workers force-exited). Each suite
 * signs as a user of a tenant of its own, and RGW resolves bucket names inside the caller's tenant:
 * suites can all have a bucket "media" and never see each other's (Object Lock COMPLIANCE versions
 * cannot be deleted, so emptying between suites is no option). A gateway a killed worker left is
 * stopped in the run's global teardown (`stopVersionedS3Left`, test/support/shared-servers.ts).
 * Tests that stop, kill or re-clock their RGW start their own with `startVersionedS3`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createTenantUser, startVersionedS3, versionedS3Client, type VersionedS3, type VersionedS3Options } from '../../cli/support/local-servers';

export { versionedS3Client };

const START_TIMEOUT_MS = 120_000;

/** A suite's view of the file's RGW: its tenant's credentials; stopping is not the suite's business. */
export type SharedVersionedS3 = Omit<VersionedS3, 'stop' | 'setClockOffset'>;

/** What {@link useVersionedS3} gives a suite; read it inside hooks and tests only. */
export interface VersionedS3Context {
  readonly server: SharedVersionedS3;
  /** Path-style, checksums only when required (what Ceph 16 understands). */
  readonly s3: S3Client;
}

type RgwOptions = Pick<VersionedS3Options, 'region' | 'lifecycleDaySeconds'>;

/** This file's RGWs by the options they were started with, and how many suites use each. */
const fileRgws = new Map<string, { rgw: Promise<VersionedS3>; users: number }>();
let tenantsMade = 0;
const keyOf = (opts: RgwOptions) => JSON.stringify([opts.region ?? null, opts.lifecycleDaySeconds ?? null]);

/** The file's RGW for these options, started on first use (a failed start is not kept). */
function fileRgw(opts: RgwOptions): Promise<VersionedS3> {
  const key = keyOf(opts);
  let entry = fileRgws.get(key);
  if (!entry) {
    entry = { rgw: startVersionedS3(opts), users: 0 };
    entry.rgw.catch(() => fileRgws.delete(key));
    fileRgws.set(key, entry);
  }
  entry.users++;
  return entry.rgw;
}

/** A suite is done with the file's RGW for these options: the last one stops it. */
async function releaseRgw(opts: RgwOptions): Promise<void> {
  const key = keyOf(opts);
  const entry = fileRgws.get(key);
  if (!entry || --entry.users > 0) return;
  fileRgws.delete(key);
  await (await entry.rgw).stop();
}

/** The suite's view: the file's RGW, signed for by a new tenant user. */
async function tenantView(opts: RgwOptions): Promise<SharedVersionedS3> {
  const server = await fileRgw(opts);
  const creds = await createTenantUser(server, `suite${++tenantsMade}`);
  const { stop: _stop, setClockOffset: _clock, ...rest } = server;
  return { ...rest, ...creds, env: { ...server.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey } };
}

/**
 * The file's RGW for the suite (started in `beforeAll` if the file has none with these
 * options), under a tenant of the suite's own.
 */
export function useVersionedS3(opts: RgwOptions = {}): VersionedS3Context {
  let started: VersionedS3Context | undefined;
  let conditionalWrites: string | undefined;
  let holding = false;
  beforeAll(async () => {
    holding = true;
    const server = await tenantView(opts);
    started = { server, s3: versionedS3Client(server) };
    // Code under test in this process writes its journals to RGW: no conditional writes there.
    conditionalWrites = process.env.DR_S3_CONDITIONAL_WRITES;
    process.env.DR_S3_CONDITIONAL_WRITES = server.env.DR_S3_CONDITIONAL_WRITES;
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    if (conditionalWrites === undefined) delete process.env.DR_S3_CONDITIONAL_WRITES;
    else process.env.DR_S3_CONDITIONAL_WRITES = conditionalWrites;
    started?.s3.destroy();
    started = undefined;
    if (holding) await releaseRgw(opts);
    holding = false;
  }, START_TIMEOUT_MS);
  const running = (): VersionedS3Context => {
    if (!started) throw new Error('useVersionedS3: the suite has RGW from its beforeAll to its afterAll; read the context inside a hook or a test');
    return started;
  };
  return {
    get server() {
      return running().server;
    },
    get s3() {
      return running().s3;
    },
  };
}
