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
 * Synthesises the app of the config in `file` into `app` (default: a new App, created once the
 * config is accepted). Throws ConfigError for a refused
 * config, and aws-cdk-lib's validation error for an unacknowledged nag finding.
 */
export function synthesizeApp(file: string, app?: App, env: NodeJS.ProcessEnv = process.env): ReturnType<App['synth']> {
  // The config first: a new App creates its output directory (cdk.out), which a refused config
  // must not leave behind (test/lib/config.test.ts).
  const config = loadConfig(file);
  app ??= new App();
  const stacks = buildStacks(app, config, env);
  applyNag(app, stacks);
  return app.synth();
}
