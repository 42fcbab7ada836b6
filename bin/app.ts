#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy --all`.
 *
 * Reads and validates dr.config.json (or the file in the DR_CONFIG environment variable), builds
 * the recovery and production stacks and runs cdk-nag's AwsSolutions pack over both: an
 * unacknowledged error fails the synth.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config';
import { buildStacks } from '../lib/dr-app';
import { applyNag } from '../lib/nag';

const file = process.env.DR_CONFIG ?? 'dr.config.json';
try {
  const config = loadConfig(file);
  const app = new App();
  const stacks = buildStacks(app, config);
  applyNag(app, stacks);
  app.synth();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
