#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy --all`.
 *
 * Reads and validates dr.config.json (or the file in the DR_CONFIG environment variable), builds
 * the recovery and production stacks and runs cdk-nag's AwsSolutions and NIST 800-53 R5 packs
 * over both (lib/app-main.ts): an unacknowledged error fails the synth.
 */
import { ConfigError } from '../lib/config';
import { synthesizeApp } from '../lib/app-main';

const file = process.env.DR_CONFIG ?? 'dr.config.json';
try {
  synthesizeApp(file);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
