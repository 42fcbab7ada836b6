/**
 * What `npx cdk synth` runs (bin/app.ts): read and validate the config file, build both stacks,
 * register cdk-nag's AwsSolutions and NIST 800-53 R5 packs with their acknowledgements, and
 * synthesise. An unacknowledged error of either pack fails the synth (aws-cdk-lib's policy
 * validation: it throws in memory and exits non-zero under the CDK CLI).
 *
 * Apart from bin/app.ts so a test runs the same path in memory (test/lib/nag-nist.test.ts, with
 * the two-account file) without spawning the CLI.
 */
import { App } from 'aws-cdk-lib';
import { loadConfig } from './config';
import { buildStacks } from './dr-app';
import { applyNag } from './nag';

/**
 * Synthesises the app of the config in `file` into `app`. Throws ConfigError for a refused
 * config, and aws-cdk-lib's validation error for an unacknowledged nag finding.
 */
export function synthesizeApp(file: string, app: App = new App(), env: NodeJS.ProcessEnv = process.env): ReturnType<App['synth']> {
  const config = loadConfig(file);
  const stacks = buildStacks(app, config, env);
  applyNag(app, stacks);
  return app.synth();
}
