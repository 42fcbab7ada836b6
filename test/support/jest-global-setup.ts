/** Jest globalSetup: the run's temporary directory (test/support/run-temp-dir.ts), then the shared local servers (test/support/shared-servers.ts). */
import type { Config } from '@jest/types';
import { createRunTempDir } from './run-temp-dir';
import { globalSetup } from './shared-servers';

export default async function setup(globalConfig: Config.GlobalConfig): Promise<void> {
  createRunTempDir();
  await globalSetup(globalConfig);
}
