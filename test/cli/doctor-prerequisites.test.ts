/**
 * `dr doctor`'s account settings (issue 18 items 8 and 12): the SNS SMS sandbox when on-call has
 * SMS numbers, and AWS Backup's advanced DynamoDB features when the AWS Backup plan is on, in both
 * regions. SNS and AWS Backup mocked (test/support/doctor-fixture.ts): no emulator has these APIs.
 */
import { DescribeRegionSettingsCommand } from '@aws-sdk/client-backup';
import { GetSMSSandboxAccountStatusCommand, ListSMSSandboxPhoneNumbersCommand } from '@aws-sdk/client-sns';
import { doctorClients } from '../../cli/doctor';
import { awsBackupDynamoDbCheck, smsSandboxCheck } from '../../cli/doctor/prerequisites';
import { runChecks } from '../../cli/doctor/run';
import { configWith } from '../lib/app-fixture';
import { ACCOUNT, CALLER, healthyAccount, inTheSmsSandbox, mocks } from '../support/doctor-fixture';

const config = configWith({});
const clients = doctorClients(config);
const numbers = { critical: ['+447700900123'], warning: ['+447700900999'] };

beforeEach(() => healthyAccount());

describe('SMS sandbox (mocked SNS)', () => {
  test('out of the sandbox: PASS, and the verified numbers are not even listed', async () => {
    expect(await smsSandboxCheck(clients.primary, numbers)).toMatchObject({ status: 'PASS', check: 'SMS sandbox (eu-west-1)' });
    expect(mocks.sns.commandCalls(ListSMSSandboxPhoneNumbersCommand)).toHaveLength(0);
  });

  test('in the sandbox with a critical number not verified: FAIL naming the number, the region and both commands of the fix', async () => {
    mocks.sns.on(GetSMSSandboxAccountStatusCommand).resolves({ IsInSandbox: true });
    mocks.sns.on(ListSMSSandboxPhoneNumbersCommand).resolves({ PhoneNumbers: [{ PhoneNumber: '+447700900999', Status: 'Verified' }] });
    const r = await smsSandboxCheck(clients.recovery, numbers);
    expect(r).toMatchObject({ status: 'FAIL', check: 'SMS sandbox (eu-central-1)' });
    expect(r.detail).toBe('in the SMS sandbox, and +447700900123 is not verified there: SNS sends no SMS to it (critical pages: +447700900123)');
    expect(r.fix).toMatch(
      /aws sns create-sms-sandbox-phone-number --phone-number <number> --region eu-central-1, then aws sns verify-sms-sandbox-phone-number/,
    );
    expect(r.fix).toMatch(/Exit SMS sandbox/);
  });

  test('in the sandbox with only a warning number not verified (a Pending one counts as not verified): WARN', async () => {
    mocks.sns.on(GetSMSSandboxAccountStatusCommand).resolves({ IsInSandbox: true });
    mocks.sns.on(ListSMSSandboxPhoneNumbersCommand).resolves({
      PhoneNumbers: [
        { PhoneNumber: '+447700900123', Status: 'Verified' },
        { PhoneNumber: '+447700900999', Status: 'Pending' },
      ],
    });
    expect(await smsSandboxCheck(clients.primary, numbers)).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/\+447700900999 is not verified.*warning alerts only/),
    });
  });

  test('in the sandbox, every number verified: WARN (they receive SMS; new numbers will not)', async () => {
    inTheSmsSandbox();
    expect(await smsSandboxCheck(clients.primary, { critical: ['+447700900123'], warning: [] })).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/1 on-call number\(s\) verified/),
    });
  });

  test('the verified numbers are read page by page (NextToken), at most 10 pages', async () => {
    mocks.sns.on(GetSMSSandboxAccountStatusCommand).resolves({ IsInSandbox: true });
    mocks.sns
      .on(ListSMSSandboxPhoneNumbersCommand)
      .resolvesOnce({ PhoneNumbers: [{ PhoneNumber: '+447700900999', Status: 'Verified' }], NextToken: 'p2' })
      .resolvesOnce({ PhoneNumbers: [{ PhoneNumber: '+447700900123', Status: 'Verified' }] });
    expect((await smsSandboxCheck(clients.primary, numbers)).status).toBe('WARN');
    expect(mocks.sns.commandCalls(ListSMSSandboxPhoneNumbersCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'p2']);
  });
});

describe('AWS Backup advanced DynamoDB features (mocked AWS Backup)', () => {
  test('on: PASS', async () => {
    expect(await awsBackupDynamoDbCheck(clients.primary)).toMatchObject({ status: 'PASS', check: 'AWS Backup advanced DynamoDB (eu-west-1)' });
  });

  test('off: FAIL saying the cross-region copy fails, with the command for that region', async () => {
    mocks.backup.on(DescribeRegionSettingsCommand).resolves({ ResourceTypeManagementPreference: { DynamoDB: false } });
    const r = await awsBackupDynamoDbCheck(clients.recovery);
    expect(r).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/are off in eu-central-1: .*copy .* to the recovery region fails/) });
    expect(r.fix).toContain('aws backup update-region-settings --resource-type-management-preference DynamoDB=true --region eu-central-1');
  });

  test('DynamoDB missing from the answer: FAIL (not set)', async () => {
    mocks.backup.on(DescribeRegionSettingsCommand).resolves({ ResourceTypeOptInPreference: { DynamoDB: true } });
    expect(await awsBackupDynamoDbCheck(clients.primary)).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/are not set in eu-west-1/) });
  });
});

describe('which rows doctor runs (mocked AWS)', () => {
  const checksOf = async (overrides: Record<string, unknown>) =>
    (await runChecks(clients, configWith(overrides), { account: ACCOUNT, arn: CALLER, partition: 'aws' })).results
      .map((r) => r.check)
      .filter((c) => /^(SMS sandbox|AWS Backup)/.test(c));

  test('the shipped config (an SMS number, AWS Backup on): both checks in both regions', async () => {
    expect(await checksOf({})).toEqual([
      'SMS sandbox (eu-west-1)',
      'SMS sandbox (eu-central-1)',
      'AWS Backup advanced DynamoDB (eu-west-1)',
      'AWS Backup advanced DynamoDB (eu-central-1)',
    ]);
  });

  test('no SMS number and AWS Backup off: neither check, and neither API is called', async () => {
    expect(await checksOf({ onCall: { critical: { emails: ['oncall@example.com'] } }, awsBackup: { enabled: false } })).toEqual([]);
    expect(mocks.sns.commandCalls(GetSMSSandboxAccountStatusCommand)).toHaveLength(0);
    expect(mocks.backup.commandCalls(DescribeRegionSettingsCommand)).toHaveLength(0);
  });
});
