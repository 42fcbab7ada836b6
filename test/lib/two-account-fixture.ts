/**
 * Test fixture: the example config with its recovery stack in a second account (issue 21,
 * off-account copies), hardened, with a break-glass role of the primary account. It is the file
 * test/lib/fixtures/dr.config.two-account.json, the one `npx cdk synth` takes through the
 * documented switch (DR_CONFIG=test/lib/fixtures/dr.config.two-account.json npx cdk synth,
 * docs/threat-model.md), so the template, nag and permissions tests prove what that synth builds.
 */
import * as path from 'node:path';
import { loadConfig, type DrConfig } from '../../lib/config';

export const PRIMARY_ACCOUNT = '111122223333';
export const RECOVERY_ACCOUNT = '444455556666';
export const BREAK_GLASS = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/dr-break-glass`;
/** The two-account config file. */
export const TWO_ACCOUNT_CONFIG = path.join(__dirname, 'fixtures', 'dr.config.two-account.json');

/** The two-account variant of the shipped config, read from {@link TWO_ACCOUNT_CONFIG}. */
export function twoAccountConfig(): DrConfig {
  return loadConfig(TWO_ACCOUNT_CONFIG);
}
