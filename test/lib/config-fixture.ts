/**
 * Test fixture: the shipped example config and variants of it. Apart from app-fixture.ts (which
 * re-exports these) so a test that only needs a config, or templates from the run's cache
 * (test/support/template-cache.ts), never loads aws-cdk-lib.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, parseConfig, type DrConfig } from '../../lib/config';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The shipped example config. */
export function exampleConfig(): DrConfig {
  return loadConfig(path.join(ROOT, 'dr.config.json'));
}

/** The example config with fields replaced (validated again). */
export function configWith(overrides: Record<string, unknown>): DrConfig {
  const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'dr.config.json'), 'utf8')) as Record<string, unknown>;
  return parseConfig({ ...raw, ...overrides });
}
