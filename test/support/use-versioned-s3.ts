/**
 * One local versioned S3 (Ceph RGW) per test suite: `useVersionedS3()` registers the suite's
 * start-up and clean-up hooks and gives an S3 client on it. Each test should use its own bucket
 * (Object Lock COMPLIANCE versions cannot be deleted; the whole cluster goes at stop).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { startVersionedS3, type VersionedS3, type VersionedS3Options } from '../../cli/support/local-servers';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;

/** What {@link useVersionedS3} gives a suite; read it inside hooks and tests only. */
export interface VersionedS3Context {
  readonly server: VersionedS3;
  /** Path-style, checksums only when required (what Ceph 16 understands). */
  readonly s3: S3Client;
}

/** An S3 client on a running RGW. */
export function versionedS3Client(server: VersionedS3, maxAttempts = 3): S3Client {
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

/** Starts RGW in `beforeAll`, stops it in `afterAll`. */
export function useVersionedS3(opts: VersionedS3Options = {}): VersionedS3Context {
  let started: VersionedS3Context | undefined;
  let conditionalWrites: string | undefined;
  beforeAll(async () => {
    const server = await startVersionedS3(opts);
    started = { server, s3: versionedS3Client(server) };
    // Code under test in this process writes its journals to RGW: no conditional writes there.
    conditionalWrites = process.env.DR_S3_CONDITIONAL_WRITES;
    process.env.DR_S3_CONDITIONAL_WRITES = server.env.DR_S3_CONDITIONAL_WRITES;
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    if (conditionalWrites === undefined) delete process.env.DR_S3_CONDITIONAL_WRITES;
    else process.env.DR_S3_CONDITIONAL_WRITES = conditionalWrites;
    const s = started;
    started = undefined;
    s?.s3.destroy();
    await s?.server.stop();
  }, STOP_TIMEOUT_MS);
  const running = (): VersionedS3Context => {
    if (!started) throw new Error('useVersionedS3: RGW runs from its beforeAll to its afterAll; read the context inside a hook or a test');
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
