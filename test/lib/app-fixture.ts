/**
 * Test fixture: builds both stacks of a config once, in an App that reads cdk.json's feature
 * flags (as `cdk synth` does), skips esbuild bundling (`aws:cdk:bundling-stacks: []`) and skips
 * CDK's built-in CloudFormation validation (`builtinCloudFormationValidation: false`), so a test
 * file synthesises in seconds. Both run for real in test/lib/synth.test.ts (`npx cdk synth`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { DrConfig } from '../../lib/config';
import { buildStacks, type DrStacks } from '../../lib/dr-app';
import { synthesizedStacks } from '../support/template-cache';
import { exampleConfig, ROOT } from './config-fixture';

export { configWith, exampleConfig, ROOT } from './config-fixture';

/**
 * An App with cdk.json's context, bundling skipped and CDK's built-in CloudFormation validation
 * off. That validation (aws-cdk-lib's CloudFormationValidatePlugin) starts a WebAssembly engine
 * at every synth, about 80% of a fixture synth, and in an App it only reports warnings, which no
 * template test reads; test/lib/synth.test.ts runs it on both templates and asserts a clean report.
 */
export function testApp(opts: TestAppOptions = {}): App {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return new App({
    outdir: opts.outdir,
    builtinCloudFormationValidation: opts.cloudFormationValidation ?? false,
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
  });
}

/** Options of {@link testApp}. */
export interface TestAppOptions {
  /** Where `app.synth()` writes the cloud assembly. @default - a new temporary directory (CDK's own) */
  readonly outdir?: string;
  /**
   * Run CDK's built-in CloudFormation validation at synth (it writes validation-report.json into
   * the outdir). @default false - no template test reads its warnings
   */
  readonly cloudFormationValidation?: boolean;
}

/** Both stacks and their templates. */
export interface Built {
  readonly app: App;
  readonly stacks: DrStacks;
  readonly production: Template;
  readonly recovery: Template;
}

/** Builds the stacks of `config` for account 123456789012. */
export function build(config: DrConfig = exampleConfig()): Built {
  const app = testApp();
  const stacks = buildStacks(app, config, { CDK_DEFAULT_ACCOUNT: '123456789012' });
  return { app, stacks, production: Template.fromStack(stacks.production), recovery: Template.fromStack(stacks.recovery) };
}

/** The two templates of a config, without the constructs. */
export type BuiltTemplates = Pick<Built, 'production' | 'recovery'>;

/**
 * The templates of `config` (default: the example config), synthesized once per test run and
 * config and shared by the files that only read templates (test/support/template-cache.ts).
 * A test that needs the constructs (Annotations, nag, node metadata) uses {@link build}.
 */
export function templates(config?: DrConfig): BuiltTemplates {
  const { production, recovery } = synthesizedStacks(config);
  return { production: Template.fromJSON(production.template), recovery: Template.fromJSON(recovery.template) };
}
