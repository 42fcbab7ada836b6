/** Jest globalTeardown: stops the shared local servers (test/support/shared-servers.ts). */
export { globalTeardown as default } from './shared-servers';
