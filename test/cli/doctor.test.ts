/**
 * `dr doctor` as a command, against a mocked account (test/support/doctor-fixture.ts): the
 * report, --json, exit codes, --page-test, and the messages when credentials or permissions lack.
 * The checks one by one: doctor-checks.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmHistoryCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import { GetSMSSandboxAccountStatusCommand, ListSMSSandboxPhoneNumbersCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { registerDoctorCommand } from '../../cli/doctor';
import { awsError, doctor, doctorJson, healthyAccount, mocks, result, CONFIG, CALLER } from '../support/doctor-fixture';
import { runCli, testProgram } from '../support/run-cli';

beforeEach(() => healthyAccount());

/**
 * Number of checks for the shipped config: account, 2 stacks, protection, 9 tables, 2 x 2 bucket,
 * 2 restore windows, 2 replication, 4 x 2 topic, backup age, 4 chain ages (the chained tables), restore test, 2 tamper
 * rules, 2 CloudTrail, 2 vault locks, 2 SMS sandbox (an on-call SMS number), 2 AWS Backup settings.
 */
const CHECKS = 1 + 2 + 1 + 9 + 4 + 2 + 2 + 8 + 1 + 4 + 1 + 2 + 2 + 2 + 2 + 2;

describe('report', () => {
  test('a healthy account (mocked AWS): every check PASS, exit 0, one line per check and a count', async () => {
    const run = await doctor();
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => /^(PASS|WARN|FAIL) /.test(l));
    expect(lines).toHaveLength(CHECKS);
    expect(lines.every((l) => l.startsWith('PASS'))).toBe(true);
    expect(run.stdout).toContain(`${CHECKS} passed, 0 warning(s), 0 failed`);
    expect(run.stdout).toMatch(/^dr doctor: shop in account 123456789012 \(primary eu-west-1, recovery eu-central-1\)/);
  });

  test('--json (mocked AWS): stdout is only an array of {check, status, detail, fix}, fix null on PASS', async () => {
    mocks.s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    const run = await doctor('--json');
    const parsed = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(parsed).toHaveLength(CHECKS);
    for (const r of parsed) {
      expect(Object.keys(r).sort()).toEqual(['check', 'detail', 'fix', 'status']);
      expect(['PASS', 'WARN', 'FAIL']).toContain(r.status);
      expect(r.fix === null).toBe(r.status === 'PASS');
    }
    expect(parsed.filter((r) => r.status === 'FAIL').map((r) => r.check)).toEqual([
      'versioning shop-backups-123456789012-eu-west-1',
      'versioning shop-replica-123456789012-eu-central-1',
      // the data bucket and its replica: not versioned, so restore-bucket could bring nothing back
      'restore window shop-uploads-example',
      'restore window shop-uploads-example-dr-eu-central-1',
    ]);
  });

  test('a FAIL (mocked AWS) exits 1 and prints its fix under it', async () => {
    mocks.sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /FAIL {2}subscriptions shop-dr-critical-primary +no subscriptions: nobody receives critical alerts in eu-west-1\n {6}fix: add a recipient under onCall\.critical in dr\.config\.json/,
    );
  });

  test('WARNs alone (mocked AWS) exit 0', async () => {
    // Warning topics without subscriptions are WARN (notifications, not pages); critical ones keep theirs.
    mocks.sns
      .on(ListSubscriptionsByTopicCommand)
      .callsFake((input: { TopicArn: string }) =>
        input.TopicArn.includes('-warning-')
          ? { Subscriptions: [] }
          : { Subscriptions: [{ Protocol: 'email', Endpoint: 'a@example.com', SubscriptionArn: `${input.TopicArn}:1` }] },
      );
    const { code, results } = await doctorJson();
    expect(results.filter((r) => r.status === 'WARN').map((r) => r.check)).toEqual([
      'subscriptions shop-dr-warning-primary',
      'subscriptions shop-dr-warning-recovery',
    ]);
    expect(results.some((r) => r.status === 'FAIL')).toBe(false);
    expect(code).toBe(0);
  });

  test('AccessDenied on one check (mocked AWS): FAIL naming the permission and the operator policy; the other checks still run', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'User: alice is not authorized to perform: cloudformation:DescribeStacks'));
    const { code, results } = await doctorJson();
    expect(code).toBe(1);
    const stack = result(results, 'stack Shop-Production');
    expect(stack.status).toBe('FAIL');
    expect(stack.detail).toMatch(/access denied: AccessDenied: User: alice is not authorized/);
    expect(stack.fix).toMatch(
      /needs cloudformation:DescribeStacks on arn:aws:cloudformation:eu-west-1:123456789012:stack\/Shop-Production\/\*.*shop-dr-operator managed policy/,
    );
    // Without the stacks' outputs doctor does not know what they declare: no tamper-rule, CloudTrail
    // or Vault Lock check in either region (3 per region).
    expect(results).toHaveLength(CHECKS - 6);
    expect(result(results, 'PITR orders').status).toBe('PASS');
  });

  test("an answer that is not AWS's (XML parse error, mocked AWS): FAIL naming the failed call and the raw error, the fix points at the endpoint variables", async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(awsError('Error', "Deserialization error: char 'h' is not expected.:1:1"));
    const stack = result((await doctorJson()).results, 'stack Shop-Production');
    expect(stack.status).toBe('FAIL');
    expect(stack.detail).toBe(
      "the check could not run: its call (cloudformation:DescribeStacks on arn:aws:cloudformation:eu-west-1:123456789012:stack/Shop-Production/*) failed with Deserialization error: char 'h' is not expected.:1:1",
    );
    expect(stack.fix).toMatch(/not an AWS response: check AWS_ENDPOINT_URL \/ AWS_ENDPOINT_URL_<SERVICE>/);
  });

  test('a refused connection (mocked AWS): FAIL naming the failed call and the error, the fix says the service could not be reached', async () => {
    mocks.cloudformation.on(DescribeStacksCommand).rejects(Object.assign(awsError('Error', 'connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }));
    const stack = result((await doctorJson()).results, 'stack Shop-Production');
    expect(stack.detail).toMatch(/its call \(cloudformation:DescribeStacks on .*\) failed with connect ECONNREFUSED 127.0.0.1:4566$/);
    expect(stack.fix).toMatch(/could not be reached: check your network and AWS_ENDPOINT_URL/);
  });

  test('--region naming neither configured region is refused with the regions it could be', async () => {
    const run = await runCli(testProgram(registerDoctorCommand), ['--config', CONFIG, '--region', 'us-east-1', 'doctor']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/primary\.region eu-west-1, recovery\.region eu-central-1\); --region us-east-1 is neither/);
    expect(mocks.sts.calls()).toHaveLength(0);
  });

  test('--bucket (mocked AWS) overrides the backup bucket of the stack output', async () => {
    const { results } = await doctorJson();
    expect(result(results, 'versioning shop-backups').check).toBe('versioning shop-backups-123456789012-eu-west-1');
    const run = await runCli(testProgram(registerDoctorCommand), ['--config', CONFIG, '--bucket', 'other-backups', '--json', 'doctor']);
    const checks = (JSON.parse(run.stdout) as { check: string }[]).map((r) => r.check);
    expect(checks).toContain('versioning other-backups');
  });
});

describe('no credentials', () => {
  const expectCredentialsMessage = (run: { code: number; stdout: string; stderr: string }) => {
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    // (The SDK may print its own Node version notice before it.)
    expect(run.stderr).toMatch(/^error: no usable AWS credentials \(/m);
    expect(run.stderr).toContain('AWS_PROFILE=<profile> dr doctor');
    expect(run.stderr).toContain('aws sso login');
    expect(run.stderr).toContain('shop-dr-operator');
    // One message, no stack trace.
    expect(run.stderr).not.toMatch(/^\s+at /m);
  };

  test('the SDK finds none (mocked AWS: CredentialsProviderError): one message how to provide them, exit 2', async () => {
    mocks.sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
    const run = await doctor();
    expectCredentialsMessage(run);
    expect(run.stderr).toContain('Could not load credentials from any providers');
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });

  test('an expired session (mocked AWS: ExpiredToken) gets the same message', async () => {
    mocks.sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired'));
    expectCredentialsMessage(await doctor());
  });

  test('the real SDK credential chain with nothing configured gets the same message (mocked AWS for everything but STS)', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: '/nonexistent/dr-doctor-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/dr-doctor-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    mocks.sts.restore();
    try {
      expectCredentialsMessage(await doctor());
    } finally {
      process.env = saved;
      mocks.sts = (await import('aws-sdk-client-mock')).mockClient(STSClient);
    }
  });
});

describe('--page-test', () => {
  const states = () =>
    mocks.cloudwatch.commandCalls(SetAlarmStateCommand).map((c) => ({ alarm: c.args[0].input.AlarmName, state: c.args[0].input.StateValue }));

  test('sets the page-test alarm of both regions to ALARM, then back to OK (mocked AWS), and runs no other check', async () => {
    const run = await doctor('--page-test', '--page-wait', '0');
    expect(states()).toEqual([
      { alarm: 'shop-doctor-page-test-Critical', state: 'ALARM' },
      { alarm: 'shop-doctor-page-test-Critical', state: 'ALARM' },
      { alarm: 'shop-doctor-page-test-Critical', state: 'OK' },
      { alarm: 'shop-doctor-page-test-Critical', state: 'OK' },
    ]);
    const regions = await Promise.all(mocks.cloudwatch.commandCalls(SetAlarmStateCommand).map((c) => c.thisValue.config.region()));
    expect(regions).toEqual(['eu-west-1', 'eu-central-1', 'eu-west-1', 'eu-central-1']);
    expect(mocks.cloudwatch.commandCalls(SetAlarmStateCommand)[0].args[0].input.StateReason).toContain(CALLER);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /PASS {2}page test shop-doctor-page-test-Critical \(eu-west-1\) +alarm set to ALARM and back to OK; Successfully executed action/,
    );
  });

  test('waits --page-wait seconds between ALARM and OK', async () => {
    const t0 = Date.now();
    await doctor('--page-test', '--page-wait', '0.3');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  test('an action CloudWatch could not execute (mocked AWS) is a FAIL with the fix, exit 1', async () => {
    mocks.cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [
        {
          HistorySummary:
            'Failed to execute action arn:aws:sns:eu-west-1:123456789012:shop-dr-critical-primary. Received error: "CloudWatch Alarms is not authorized to perform: SNS:Publish"',
        },
      ],
    });
    const { code, results } = await doctorJson('--page-test', '--page-wait', '0');
    expect(code).toBe(1);
    expect(results[0]).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/not authorized to perform: SNS:Publish/) });
    expect(results[0].fix).toMatch(/allow cloudwatch\.amazonaws\.com to sns:Publish/);
  });

  test('an alarm that is not deployed (mocked AWS) is a FAIL, and that region is never set to OK', async () => {
    mocks.cloudwatch
      .on(SetAlarmStateCommand)
      .callsFake(async (input: { StateValue: string }, getClient) =>
        (await getClient().config.region()) === 'eu-central-1' ? Promise.reject(awsError('ResourceNotFound', 'alarm not found')) : {},
      );
    const { code, results } = await doctorJson('--page-test', '--page-wait', '0');
    expect(code).toBe(1);
    expect(result(results, 'page test shop-doctor-page-test-Critical (eu-central-1)')).toMatchObject({
      status: 'FAIL',
      fix: expect.stringMatching(/deploy the current stacks/),
    });
    expect(result(results, 'page test shop-doctor-page-test-Critical (eu-west-1)').status).toBe('PASS');
    expect(states().map((s) => s.state)).toEqual(['ALARM', 'ALARM', 'OK']);
  });

  test('SetAlarmState denied (mocked AWS): FAIL naming cloudwatch:SetAlarmState on the alarm and the operator policy', async () => {
    mocks.cloudwatch.on(SetAlarmStateCommand).rejects(awsError('AccessDenied', 'not authorized to perform: cloudwatch:SetAlarmState'));
    const { code, results } = await doctorJson('--page-test', '--page-wait', '0');
    expect(code).toBe(1);
    expect(results).toHaveLength(2);
    expect(results[0].fix).toMatch(
      /cloudwatch:SetAlarmState .* on arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shop-doctor-page-test-Critical: .*shop-dr-operator/,
    );
  });
});

test('dr doctor --help names the checks, --page-test, --json and the exit codes', async () => {
  let help = '';
  const program = testProgram(registerDoctorCommand);
  program.commands.find((c) => c.name() === 'doctor')!.configureOutput({ writeOut: (s) => (help += s) });
  await expect(program.parseAsync(['node', 'dr', 'doctor', '--help'])).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
  expect(help).toMatch(/Usage: dr doctor \[options\]/);
  expect(help).toContain('--page-test');
  expect(help).toContain('--page-wait <seconds>');
  expect(help).toMatch(/Exit codes: 0 no check failed \(warnings allowed\), 1 a check failed or the config is invalid,\s+2 no usable AWS credentials/);
});

test('the docs/deploy.md sample output is what the mocked scenario prints (mocked AWS)', async () => {
  // The scenario of docs/deploy.md: a fresh deploy where on-call has not confirmed the critical email yet,
  // in an account whose SNS is still in the SMS sandbox in the recovery region, the on-call number not verified there.
  mocks.sns.on(GetSMSSandboxAccountStatusCommand).callsFake(async (_i: unknown, getClient: () => SNSClient) => ({
    IsInSandbox: (await getClient().config.region()) === 'eu-central-1',
  }));
  mocks.sns.on(ListSMSSandboxPhoneNumbersCommand).resolves({ PhoneNumbers: [] });
  mocks.sns.on(ListSubscriptionsByTopicCommand).callsFake((input: { TopicArn: string }) => ({
    Subscriptions: input.TopicArn.includes('critical-primary')
      ? [{ Protocol: 'email', Endpoint: 'oncall@example.com', SubscriptionArn: 'PendingConfirmation' }]
      : [{ Protocol: 'email', Endpoint: 'oncall@example.com', SubscriptionArn: `${input.TopicArn}:6f0b7f0e` }],
  }));
  const run = await doctor();
  const page = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
  const sample = /<!-- doctor-sample -->\n```text\n\$ dr doctor\n([\s\S]*?)```/.exec(page)?.[1];
  expect(sample).toBe(run.stdout);
  expect(run.code).toBe(1);
});
