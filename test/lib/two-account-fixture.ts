/**
 * Test fixture: the example config with its recovery stack in a second account (issue 21,
 * off-account copies), hardened, with a break-glass role of the primary account.
 */
import type { DrConfig } from '../../lib/config';
import { configWith } from './app-fixture';

export const PRIMARY_ACCOUNT = '111122223333';
export const RECOVERY_ACCOUNT = '444455556666';
export const BREAK_GLASS = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/dr-break-glass`;

/** The two-account variant of the shipped config. */
export function twoAccountConfig(): DrConfig {
  return configWith({
    primary: { region: 'eu-west-1', account: PRIMARY_ACCOUNT },
    recovery: { region: 'eu-central-1', account: RECOVERY_ACCOUNT, offAccount: true },
    breakGlassRoleArn: BREAK_GLASS,
  });
}
