/**
 * Account and region settings a deploy cannot change but that decide whether what it built works,
 * per region: the SNS SMS sandbox (on-call SMS numbers), AWS Backup's advanced features for
 * DynamoDB (cross-region copy of the AWS Backup recovery points) and, with `recovery.vault:
 * "airGapped"`, whether the recovery region offers logically air-gapped vaults. All read-only.
 */
import { DescribeRegionSettingsCommand, ListBackupVaultsCommand, type BackupVaultListMember } from '@aws-sdk/client-backup';
import { GetSMSSandboxAccountStatusCommand, ListSMSSandboxPhoneNumbersCommand, type SMSSandboxPhoneNumber } from '@aws-sdk/client-sns';
import type { DrConfig } from '../../lib/config';
import { awsSaid, CheckResult, fail, isError, pass, warn } from './result';
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

/** Pages of ListBackupVaults read at most (1,000 vaults a page). */
const MAX_VAULT_PAGES = 10;

/**
 * Errors with which AWS Backup refuses a request it does not serve in a region (the vault type
 * unknown there). Throttling, denials and network errors are not among them: the guard reports those.
 */
const REFUSED_HERE = ['InvalidParameterValueException', 'InvalidRequestException', 'ValidationException', 'UnsupportedOperationException'];

/**
 * AWS Backup offers logically air-gapped vaults in some regions only, and the AWS documentation
 * at hand when this was built (December 2026: the developer guide's "Logically air-gapped vault"
 * and "Feature availability", the What's New posts) names no list of them, so synth cannot refuse
 * a region (docs/threat-model.md, "Logically air-gapped vault"). Doctor asks the recovery region
 * instead, read-only: ListBackupVaults filtered by the air-gapped vault type (backup:ListBackupVaults,
 * no resource type). A region that refuses the filter does not offer these vaults: FAIL. One that
 * answers and lists the vault: PASS. One that answers without it: WARN, since the vault is not
 * deployed yet and whether AWS Backup would create it there is then known only from the deploy.
 */
export async function airGappedRegionCheck(clients: RegionClients, vaultName: string): Promise<CheckResult> {
  const check = `air-gapped vault region (${clients.region})`;
  const elsewhere = `set recovery.region to a region where AWS Backup offers logically air-gapped vaults (AWS Backup developer guide, "Feature availability by Region"), or set recovery.vault to "locked" (a standard vault with Vault Lock)`;
  const vaults: BackupVaultListMember[] = [];
  try {
    let token: string | undefined;
    for (let page = 0; page < MAX_VAULT_PAGES; page++) {
      const res = await clients.backup.send(
        new ListBackupVaultsCommand({ ByVaultType: 'LOGICALLY_AIR_GAPPED_BACKUP_VAULT', MaxResults: 1000, NextToken: token }),
      );
      vaults.push(...(res.BackupVaultList ?? []));
      token = res.NextToken;
      if (!token) break;
    }
  } catch (e) {
    if (!isError(e, ...REFUSED_HERE)) throw e;
    return fail(
      check,
      `recovery.vault is "airGapped" but AWS Backup in ${clients.region} (recovery.region) refused to list logically air-gapped vaults${awsSaid(e)}: it does not offer them there, and the recovery stack's vault cannot be created`,
      elsewhere,
    );
  }
  if (vaults.some((v) => v.BackupVaultName === vaultName)) return pass(check, `${clients.region} offers logically air-gapped vaults: ${vaultName} is one`);
  return warn(
    check,
    `AWS Backup in ${clients.region} answered a listing of logically air-gapped vaults, but ${vaultName} is not among them (the recovery stack is not deployed yet?): whether ${clients.region} offers these vaults is then known only when CloudFormation creates it`,
    `deploy the recovery stack; if creating ${vaultName} (AWS::Backup::LogicallyAirGappedBackupVault) fails and the stack rolls back, ${elsewhere}`,
  );
}
