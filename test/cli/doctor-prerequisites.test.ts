/**
 * `dr doctor`'s account settings (issue 18 items 8 and 12): the SNS SMS sandbox when on-call has
 * SMS numbers, and AWS Backup's advanced DynamoDB features when the AWS Backup plan is on, in both
 * regions; with recovery.vault "airGapped", whether the recovery region offers logically
 * air-gapped vaults (issue 21). SNS and AWS Backup mocked (test/support/doctor-fixture.ts): no
 * emulator has these APIs.
 */
import * as backupSdk from '@aws-sdk/client-backup';
import { DescribeRegionSettingsCommand, ListBackupVaultsCommand } from '@aws-sdk/client-backup';
import { GetSMSSandboxAccountStatusCommand, ListSMSSandboxPhoneNumbersCommand } from '@aws-sdk/client-sns';
import { doctorClients } from '../../cli/doctor';
import { airGappedRegionCheck, awsBackupDynamoDbCheck, smsSandboxCheck } from '../../cli/doctor/prerequisites';
import { runChecks } from '../../cli/doctor/run';
import { configWith } from '../lib/app-fixture';
import { modelProblems } from '../support/sdk-model';
import { ACCOUNT, awsError, CALLER, healthyAccount, inTheSmsSandbox, mocks } from '../support/doctor-fixture';

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

describe('the recovery region offers logically air-gapped vaults (mocked AWS Backup)', () => {
  test('it lists shop-dr-recovery among them: PASS, asked with the air-gapped vault type (request checked against the SDK model)', async () => {
    expect(await airGappedRegionCheck(clients.recovery, 'shop-dr-recovery')).toMatchObject({
      status: 'PASS',
      check: 'air-gapped vault region (eu-central-1)',
      detail: 'eu-central-1 offers logically air-gapped vaults: shop-dr-recovery is one',
    });
    expect(mocks.backup.commandCalls(ListBackupVaultsCommand).map((c) => c.args[0].input)).toEqual([
      { ByVaultType: 'LOGICALLY_AIR_GAPPED_BACKUP_VAULT', MaxResults: 1000, NextToken: undefined },
    ]);
    // The request as sent matches the SDK's model of ListBackupVaults, and the vault type is one of its values.
    const sent = mocks.backup.commandCalls(ListBackupVaultsCommand)[0].args[0].input;
    expect(modelProblems(backupSdk, 'ListBackupVaultsInput', sent)).toEqual([]);
    expect(Object.values(backupSdk.VaultType)).toContain(sent.ByVaultType);
  });

  test('the region refuses the vault type: FAIL naming recovery.vault, recovery.region, the region, what AWS said and both fixes', async () => {
    mocks.backup.on(ListBackupVaultsCommand).rejects(awsError('InvalidParameterValueException', 'Invalid value for ByVaultType'));
    const r = await airGappedRegionCheck(clients.recovery, 'shop-dr-recovery');
    expect(r).toMatchObject({ status: 'FAIL', check: 'air-gapped vault region (eu-central-1)' });
    expect(r.detail).toBe(
      'recovery.vault is "airGapped" but AWS Backup in eu-central-1 (recovery.region) refused to list logically air-gapped vaults (AWS said InvalidParameterValueException: Invalid value for ByVaultType): it does not offer them there, and the recovery stack\'s vault cannot be created',
    );
    expect(r.fix).toMatch(/^set recovery\.region to a region where AWS Backup offers logically air-gapped vaults .*, or set recovery\.vault to "locked"/);
  });

  test('the region answers without the vault (not deployed yet): WARN, the deploy being the final word', async () => {
    mocks.backup.on(ListBackupVaultsCommand).resolves({ BackupVaultList: [{ BackupVaultName: 'other-lag', VaultType: 'LOGICALLY_AIR_GAPPED_BACKUP_VAULT' }] });
    const r = await airGappedRegionCheck(clients.recovery, 'shop-dr-recovery');
    expect(r).toMatchObject({
      status: 'WARN',
      detail: expect.stringMatching(/^AWS Backup in eu-central-1 answered .* but shop-dr-recovery is not among them/),
    });
    expect(r.fix).toMatch(
      /^deploy the recovery stack; if creating shop-dr-recovery \(AWS::Backup::LogicallyAirGappedBackupVault\) fails .*recovery\.vault to "locked"/,
    );
  });

  test('the vaults are read page by page (NextToken)', async () => {
    mocks.backup
      .on(ListBackupVaultsCommand)
      .resolvesOnce({ BackupVaultList: [{ BackupVaultName: 'other-lag' }], NextToken: 'p2' })
      .resolvesOnce({ BackupVaultList: [{ BackupVaultName: 'shop-dr-recovery' }] });
    expect((await airGappedRegionCheck(clients.recovery, 'shop-dr-recovery')).status).toBe('PASS');
    expect(mocks.backup.commandCalls(ListBackupVaultsCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'p2']);
  });

  test('throttling is no verdict on the region: the error goes to the guard (the row says the check could not run)', async () => {
    mocks.backup.on(ListBackupVaultsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(airGappedRegionCheck(clients.recovery, 'shop-dr-recovery')).rejects.toThrow('Rate exceeded');
  });
});

describe('which rows doctor runs (mocked AWS)', () => {
  const checksOf = async (overrides: Record<string, unknown>) =>
    (await runChecks(clients, configWith(overrides), { account: ACCOUNT, arn: CALLER, partition: 'aws' })).results
      .map((r) => r.check)
      .filter((c) => /^(SMS sandbox|AWS Backup|air-gapped)/.test(c));

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

  test('recovery.vault "airGapped": the region check runs once, in the recovery region only', async () => {
    expect((await checksOf({ recovery: { region: 'eu-central-1', vault: 'airGapped' } })).filter((c) => c.startsWith('air-gapped'))).toEqual([
      'air-gapped vault region (eu-central-1)',
    ]);
    expect(mocks.backup.commandCalls(ListBackupVaultsCommand).map((c) => c.args[0].input.ByVaultType)).toEqual(['LOGICALLY_AIR_GAPPED_BACKUP_VAULT']);
  });

  test('the shipped "locked" vault: no region check, and ListBackupVaults is not called', async () => {
    await checksOf({});
    expect(mocks.backup.commandCalls(ListBackupVaultsCommand)).toHaveLength(0);
  });
});
