/**
 * How `dr doctor` reaches the recovery region. With one account, the primary credentials reach
 * both regions. Off-account (`recovery.offAccount`), the recovery stack lives in
 * `recovery.account`, which trusts nothing of the primary account by design (docs/threat-model.md),
 * so its checks run only with that account's own credentials (`--recovery-profile <name>`, a role
 * with `<app>-dr-operator-recovery-doctor`). Without them every recovery-region check becomes one SKIP
 * line naming the option: never a FAIL (the primary's credentials are denied there, which is
 * the design) nor a PASS the doctor could not know.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { operatorPolicyName, recoveryDoctorPolicyName, type DrConfig } from '../../lib/config';
import { describeError, fail, pass, skip, type CheckResult } from './result';
import type { DoctorClients } from './target';

/** Whether, and as which account, the recovery-region checks run. */
export interface RecoveryReach {
  /** True when the recovery-region checks run. */
  readonly run: boolean;
  /** The recovery stack's account (the caller's own with one account). */
  readonly account: string;
  /** The operator policy a denied recovery-region call points at. */
  readonly policy: string;
  /** Lines about the reach itself, first in the report: the recovery credentials' account check, or the one SKIP. */
  readonly lines: readonly CheckResult[];
}

/** The check name of the recovery credentials' account. */
export const RECOVERY_ACCOUNT_CHECK = 'account (recovery)';

/**
 * Decides the reach. Off-account with `clients.recoverySts` (from --recovery-profile): asks STS
 * who the recovery credentials are and runs the recovery checks only when they belong to
 * `recovery.account`; any other answer is a FAIL and the checks are skipped (their results would
 * describe another account).
 */
export async function recoveryReach(clients: DoctorClients, config: DrConfig, primaryAccount: string): Promise<RecoveryReach> {
  if (!config.recovery.offAccount || !config.recovery.account) return { run: true, account: primaryAccount, policy: operatorPolicyName(config), lines: [] };
  const account = config.recovery.account;
  const policy = recoveryDoctorPolicyName(config);
  const where = `${config.recovery.region}, account ${account}`;
  const notRun = (line: CheckResult, why: string): RecoveryReach => ({
    run: false,
    account,
    policy,
    lines: [line, skip(`recovery region (${where})`, `not checked: ${why}`, 'fix the line above and rerun dr doctor --recovery-profile <profile>')],
  });
  if (!clients.recoverySts)
    return {
      run: false,
      account,
      policy,
      lines: [
        skip(
          `recovery region (${where})`,
          `not checked: the recovery stack is in account ${account} (recovery.offAccount), which does not trust these credentials of account ${primaryAccount}`,
          `rerun with the recovery account's credentials: dr doctor --recovery-profile <profile of account ${account}> (a role with the ${policy} policy, docs/security.md)`,
        ),
      ],
    };
  let found: string | undefined;
  let arn: string | undefined;
  try {
    const id = await clients.recoverySts.send(new GetCallerIdentityCommand({}));
    found = id.Account;
    arn = id.Arn;
  } catch (e) {
    return notRun(
      fail(
        RECOVERY_ACCOUNT_CHECK,
        `the --recovery-profile credentials could not be used: ${describeError(e)}`,
        `check the profile with: aws sts get-caller-identity --profile <profile>; it must be a principal of account ${account}`,
      ),
      'no usable credentials for the recovery account',
    );
  }
  if (found !== account)
    return notRun(
      fail(
        RECOVERY_ACCOUNT_CHECK,
        `the --recovery-profile credentials are for account ${found}, dr.config.json recovery.account is ${account}`,
        `pass --recovery-profile <profile of account ${account}> (a role with the ${policy} policy)`,
      ),
      `the --recovery-profile credentials are for account ${found}`,
    );
  return { run: true, account, policy, lines: [pass(RECOVERY_ACCOUNT_CHECK, `${account} as ${arn ?? 'unknown'} (--recovery-profile)`)] };
}
