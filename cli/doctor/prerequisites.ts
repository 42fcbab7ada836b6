/**
 * Account settings a deploy cannot change but that decide whether what it built works, per
 * region: the SNS SMS sandbox (on-call SMS numbers) and AWS Backup's advanced features for
 * DynamoDB (cross-region copy of the AWS Backup recovery points). Both read-only.
 */
import { DescribeRegionSettingsCommand } from '@aws-sdk/client-backup';
import { GetSMSSandboxAccountStatusCommand, ListSMSSandboxPhoneNumbersCommand, type SMSSandboxPhoneNumber } from '@aws-sdk/client-sns';
import type { DrConfig } from '../../lib/config';
import { CheckResult, fail, pass, warn } from './result';
import type { RegionClients } from './target';

/** Pages of ListSMSSandboxPhoneNumbers read at most (100 numbers a page: the sandbox holds 10). */
const MAX_SANDBOX_PAGES = 10;

/** The on-call SMS numbers of the config by severity (the same recipients in both regions' topics). */
export function smsNumbers(config: DrConfig): { readonly critical: string[]; readonly warning: string[] } {
  return { critical: [...config.onCall.critical.sms], warning: [...config.onCall.warning.sms] };
}

async function sandboxNumbers(clients: RegionClients): Promise<SMSSandboxPhoneNumber[]> {
  const numbers: SMSSandboxPhoneNumber[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_SANDBOX_PAGES; page++) {
    const res = await clients.sns.send(new ListSMSSandboxPhoneNumbersCommand({ NextToken: token, MaxResults: 100 }));
    numbers.push(...(res.PhoneNumbers ?? []));
    token = res.NextToken;
    if (!token) break;
  }
  return numbers;
}

/**
 * A new account's SNS is in the SMS sandbox in each region: it delivers SMS only to verified
 * destination numbers (Amazon SNS developer guide, "SMS sandbox"), so an SMS subscription of the
 * alert topics pages nobody. Not in the sandbox: PASS. In it: every configured number must be
 * Verified there (critical: FAIL, warning only: WARN); all verified: WARN, since the sandbox
 * also caps spending and every new number needs verifying.
 */
export async function smsSandboxCheck(clients: RegionClients, numbers: ReturnType<typeof smsNumbers>): Promise<CheckResult> {
  const check = `SMS sandbox (${clients.region})`;
  const status = await clients.sns.send(new GetSMSSandboxAccountStatusCommand({}));
  const all = [...new Set([...numbers.critical, ...numbers.warning])];
  if (!status.IsInSandbox) return pass(check, `out of the SMS sandbox: SMS reach ${all.join(', ')}`);
  const verified = new Set((await sandboxNumbers(clients)).filter((n) => n.Status === 'Verified').map((n) => n.PhoneNumber));
  const unverified = all.filter((n) => !verified.has(n));
  const exit = `or move ${clients.region} out of the SMS sandbox (SNS console > Text messaging (SMS) > Exit SMS sandbox: a support case)`;
  if (unverified.length === 0)
    return warn(
      check,
      `in the SMS sandbox; ${all.length} on-call number(s) verified, so they receive SMS, but only verified numbers ever will (and the sandbox caps SMS spending)`,
      `before production, ${exit}`,
    );
  const critical = unverified.filter((n) => numbers.critical.includes(n));
  const verify = `verify each number in ${clients.region}: aws sns create-sms-sandbox-phone-number --phone-number <number> --region ${clients.region}, then aws sns verify-sms-sandbox-phone-number --phone-number <number> --one-time-password <code from the SMS> --region ${clients.region}; ${exit}`;
  const one = unverified.length === 1;
  const detail = `in the SMS sandbox, and ${unverified.join(', ')} ${one ? 'is' : 'are'} not verified there: SNS sends no SMS to ${one ? 'it' : 'them'}`;
  return critical.length ? fail(check, `${detail} (critical pages: ${critical.join(', ')})`, verify) : warn(check, `${detail} (warning alerts only)`, verify);
}

/**
 * AWS Backup copies DynamoDB recovery points to another region only with AWS Backup's advanced
 * features for DynamoDB on (AWS Backup developer guide, "Advanced DynamoDB backup": cross-Region
 * copy is one of them; on by default for accounts that had no vault before 21 November 2021):
 * DescribeRegionSettings' ResourceTypeManagementPreference.DynamoDB. Off: the plan's copy to the
 * recovery region fails.
 */
export async function awsBackupDynamoDbCheck(clients: RegionClients): Promise<CheckResult> {
  const check = `AWS Backup advanced DynamoDB (${clients.region})`;
  const res = await clients.backup.send(new DescribeRegionSettingsCommand({}));
  if (res.ResourceTypeManagementPreference?.DynamoDB === true)
    return pass(check, 'advanced features on: AWS Backup manages DynamoDB backups and copies them across regions');
  return fail(
    check,
    `advanced features for DynamoDB are ${res.ResourceTypeManagementPreference?.DynamoDB === false ? 'off' : 'not set'} in ${clients.region}: the AWS Backup plan's copy of each table's recovery point to the recovery region fails`,
    `turn them on: aws backup update-region-settings --resource-type-management-preference DynamoDB=true --region ${clients.region} (or AWS Backup console > Settings > Advanced features for Amazon DynamoDB backups > Enable), in both regions`,
  );
}
