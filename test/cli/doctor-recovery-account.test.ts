/**
 * Issue 21: `dr doctor` on an off-account deployment (the two-account fixture config: primary
 * 111122223333, recovery 444455556666 with recovery.offAccount). The recovery stack's account
 * does not trust the primary account's credentials, so its checks run only with
 * `--recovery-profile <name>`; without it they are one SKIP line naming the option, never a FAIL
 * or PASS doctor could not know. Mocked AWS (test/support/doctor-fixture.ts): STS answers with the
 * recovery account only for clients built with the recovery profile.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { CheckResult } from '../../cli/doctor/result';
import { PRIMARY_ACCOUNT, RECOVERY_ACCOUNT, TWO_ACCOUNT_CONFIG } from '../lib/two-account-fixture';
import { CONFIG, doctorWith, mocks, RECOVERY_PROFILE, result, twoAccounts } from '../support/doctor-fixture';

beforeEach(() => twoAccounts(PRIMARY_ACCOUNT, RECOVERY_ACCOUNT));

async function doctorJson(...args: string[]): Promise<{ code: number; results: CheckResult[]; stderr: string }> {
  const run = await doctorWith(TWO_ACCOUNT_CONFIG, '--json', ...args);
  return { code: run.code, results: run.stdout ? (JSON.parse(run.stdout) as CheckResult[]) : [], stderr: run.stderr };
}

/** The profile of the client that sent each call of `mock` for `command`. */
function profilesOf(mock: (typeof mocks)[keyof typeof mocks], command: Parameters<(typeof mocks)['sts']['commandCalls']>[0], key: string) {
  return Object.fromEntries(
    mock
      .commandCalls(command as never)
      .map((c) => [(c.args[0].input as Record<string, string>)[key], (c.thisValue as { config: { profile?: string } }).config.profile ?? 'default']),
  );
}

/**
 * Every result about the recovery region or its stack, its buckets, topics or vault (the
 * replication checks are the primary bucket's own rule and metrics, read in the primary account).
 */
const aboutRecovery = (r: CheckResult) => !r.check.startsWith('replication') && /eu-central-1|Shop-Recovery|-recovery\b|shop-replica-/.test(r.check);

describe('off-account without --recovery-profile (mocked AWS)', () => {
  it('reports the recovery region as one SKIP line naming --recovery-profile and the recovery policy; the primary checks all PASS, exit 0', async () => {
    const { code, results } = await doctorJson();
    expect(code).toBe(0);
    expect(results.filter((r) => r.status !== 'PASS')).toEqual([
      {
        check: `recovery region (eu-central-1, account ${RECOVERY_ACCOUNT})`,
        status: 'SKIP',
        detail: `not checked: the recovery stack is in account ${RECOVERY_ACCOUNT} (recovery.offAccount), which does not trust these credentials of account ${PRIMARY_ACCOUNT}`,
        fix: `rerun with the recovery account's credentials: dr doctor --recovery-profile <profile of account ${RECOVERY_ACCOUNT}> (a role with the shop-dr-operator-recovery-doctor policy, docs/security.md)`,
      },
    ]);
    expect(results.filter((r) => r.status === 'PASS').filter(aboutRecovery)).toEqual([]);
    expect(result(results, 'protection').detail).toMatch(/^hardened: primary \(/);
  });

  it('sends nothing to the recovery stack, its topics or its alarm', async () => {
    await doctorJson();
    expect(mocks.cloudformation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input.StackName)).toEqual(['Shop-Production']);
    expect(mocks.sns.commandCalls(GetTopicAttributesCommand).map((c) => c.args[0].input.TopicArn)).not.toContainEqual(expect.stringContaining('recovery'));
  });

  it('prints the SKIP line and counts it in the text report', async () => {
    const run = await doctorWith(TWO_ACCOUNT_CONFIG);
    expect(run.stdout).toMatch(new RegExp(`^SKIP  recovery region \\(eu-central-1, account ${RECOVERY_ACCOUNT}\\)`, 'm'));
    expect(run.stdout).toMatch(/\d+ passed, 0 warning\(s\), 0 failed, 1 skipped\n$/);
    expect(run.stdout).toMatch(
      new RegExp(`^dr doctor: shop in account ${PRIMARY_ACCOUNT} \\(primary eu-west-1, recovery eu-central-1 in account ${RECOVERY_ACCOUNT}\\)`),
    );
  });

  it('--page-test pages the primary region only, and says the recovery region was skipped', async () => {
    const { code, results } = await doctorJson('--page-test', '--page-wait', '0');
    expect(code).toBe(0);
    expect(results.map((r) => `${r.status} ${r.check}`)).toEqual([
      `SKIP recovery region (eu-central-1, account ${RECOVERY_ACCOUNT})`,
      'PASS page test shop-doctor-page-test-Critical (eu-west-1)',
    ]);
    expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand)).toHaveLength(2);
  });
});

describe('off-account with --recovery-profile (mocked AWS)', () => {
  it("runs the recovery region's checks with that profile's credentials, as the recovery account, all PASS", async () => {
    const { code, results } = await doctorJson('--recovery-profile', RECOVERY_PROFILE);
    expect(results.filter((r) => r.status !== 'PASS')).toEqual([]);
    expect(code).toBe(0);
    expect(result(results, 'account (recovery)').detail).toMatch(new RegExp(`^${RECOVERY_ACCOUNT} as arn:aws:sts::${RECOVERY_ACCOUNT}:`));
    expect(results.filter(aboutRecovery).map((r) => r.check)).toEqual(
      expect.arrayContaining([
        'stack Shop-Recovery (eu-central-1)',
        'subscriptions shop-dr-critical-recovery',
        'topic policy shop-dr-critical-recovery',
        'tamper rules eu-central-1',
        'vault lock shop-dr-recovery',
        'SMS sandbox (eu-central-1)',
      ]),
    );
    expect(result(results, 'protection').detail).toMatch(/^hardened: primary \(.*\), recovery \(/);
  });

  it('sends the recovery calls with the recovery profile and the primary calls without it', async () => {
    await doctorJson('--recovery-profile', RECOVERY_PROFILE);
    expect(profilesOf(mocks.cloudformation, DescribeStacksCommand, 'StackName')).toEqual({ 'Shop-Production': 'default', 'Shop-Recovery': RECOVERY_PROFILE });
    const topics = profilesOf(mocks.sns, GetTopicAttributesCommand, 'TopicArn');
    expect(topics[`arn:aws:sns:eu-central-1:${RECOVERY_ACCOUNT}:shop-dr-critical-recovery`]).toBe(RECOVERY_PROFILE);
    expect(topics[`arn:aws:sns:eu-west-1:${PRIMARY_ACCOUNT}:shop-dr-critical-primary`]).toBe('default');
  });

  it('FAILs when the profile is for another account, and skips the recovery checks rather than report on the wrong account (exit 1)', async () => {
    twoAccounts(PRIMARY_ACCOUNT, '999988887777');
    const { code, results } = await doctorJson('--recovery-profile', RECOVERY_PROFILE);
    expect(code).toBe(1);
    expect(results.filter((r) => r.status !== 'PASS')).toEqual([
      expect.objectContaining({
        check: 'account (recovery)',
        status: 'FAIL',
        detail: `the --recovery-profile credentials are for account 999988887777, dr.config.json recovery.account is ${RECOVERY_ACCOUNT}`,
      }),
      expect.objectContaining({ status: 'SKIP', detail: 'not checked: the --recovery-profile credentials are for account 999988887777' }),
    ]);
    expect(mocks.cloudformation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input.StackName)).toEqual(['Shop-Production']);
  });
});

it('FAILs (exit 1) when the --recovery-profile has no usable credentials, skipping the recovery checks, while the primary checks still run', async () => {
  mocks.sts.on(GetCallerIdentityCommand).callsFake((_input: unknown, getClient: () => STSClient) => {
    if (getClient().config.profile === RECOVERY_PROFILE)
      throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    return { Account: PRIMARY_ACCOUNT, Arn: `arn:aws:sts::${PRIMARY_ACCOUNT}:assumed-role/operator/alice` };
  });
  const { code, results } = await doctorJson('--recovery-profile', RECOVERY_PROFILE);
  expect(code).toBe(1);
  expect(results.filter((r) => r.status !== 'PASS').map((r) => `${r.status} ${r.check}: ${r.detail}`)).toEqual([
    'FAIL account (recovery): the --recovery-profile credentials could not be used: CredentialsProviderError: Could not load credentials from any providers',
    `SKIP recovery region (eu-central-1, account ${RECOVERY_ACCOUNT}): not checked: no usable credentials for the recovery account`,
  ]);
  expect(result(results, 'stack Shop-Production').status).toBe('PASS');
});

it('refuses --recovery-profile for a one-account config, saying why, before any AWS call', async () => {
  const run = await doctorWith(CONFIG, '--recovery-profile', RECOVERY_PROFILE);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/--recovery-profile is for off-account deployments \(recovery\.offAccount: true\).*leave --recovery-profile out/);
  expect(mocks.sts.calls()).toHaveLength(0);
});
