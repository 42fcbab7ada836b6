/**
 * Jest globalTeardown: stops the shared local servers (test/support/shared-servers.ts) and any
 * versioned S3 a worker left running (test/support/use-versioned-s3.ts), then removes the run's
 * temporary directory (test/support/run-temp-dir.ts), where every RGW of the run has its folder.
 */
import { stopVersionedS3Left } from '../../cli/support/local-servers';
import { removeRunTempDir, runTempDir } from './run-temp-dir';
import { globalTeardown } from './shared-servers';

export default async function teardown(): Promise<void> {
  try {
    // Only the run's own directory: other runs' gateways on this machine are not ours to stop.
    const dir = runTempDir();
    await Promise.all([globalTeardown(), dir ? stopVersionedS3Left(dir) : undefined]);
  } finally {
    removeRunTempDir();
  }
}
