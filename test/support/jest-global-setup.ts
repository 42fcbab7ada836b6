/** Jest globalSetup: the shared local servers (test/support/shared-servers.ts). */
export { globalSetup as default } from './shared-servers';
