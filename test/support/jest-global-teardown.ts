/** Jest globalTeardown: stops the shared local servers (test/support/shared-servers.ts), then removes the run's temporary directory (test/support/run-temp-dir.ts). */
import { removeRunTempDir } from './run-temp-dir';
import { globalTeardown } from './shared-servers';

export default async function teardown(): Promise<void> {
  try {
    await globalTeardown();
  } finally {
    removeRunTempDir();
  }
}
