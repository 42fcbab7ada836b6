/**
 * How `dr doctor` prints: one line per check (status, what, what was found), the fix under each
 * WARN and FAIL, a count at the end; and the one message for missing credentials.
 */
import { operatorPolicyName, type DrConfig } from '../../lib/config';
import type { CheckResult } from './result';

/** The text report. */
export function renderReport(results: readonly CheckResult[], heading: string): string {
  const width = Math.max(...results.map((r) => r.check.length));
  const lines = [heading, ''];
  for (const r of results) {
    lines.push(`${r.status.padEnd(4)}  ${r.check.padEnd(width)}  ${r.detail}`);
    if (r.fix) lines.push(`${' '.repeat(6)}fix: ${r.fix}`);
  }
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  const skipped = count('SKIP') ? `, ${count('SKIP')} skipped` : '';
  lines.push('', `${count('PASS')} passed, ${count('WARN')} warning(s), ${count('FAIL')} failed${skipped}`);
  return `${lines.join('\n')}\n`;
}

/** The heading line: which deployment, where, as whom. */
export function heading(config: DrConfig, account: string): string {
  const recoveryAccount = config.recovery.offAccount && config.recovery.account ? ` in account ${config.recovery.account}` : '';
  return `dr doctor: ${config.appName} in account ${account} (primary ${config.primary.region}, recovery ${config.recovery.region}${recoveryAccount})`;
}

/**
 * What to do when the SDK finds no credentials (or AWS rejects them). Said once, with the three
 * ways operators get credentials, instead of the SDK's stack trace.
 */
export function credentialsMessage(config: DrConfig | undefined, cause: string): string {
  const policy = config ? operatorPolicyName(config) : '<app>-dr-operator';
  return [
    `no usable AWS credentials (${cause}).`,
    'dr doctor reads the deployed account and needs credentials. Provide them in one of these ways:',
    '  - a named profile:        AWS_PROFILE=<profile> dr doctor   (or dr --profile <profile> doctor)',
    '  - IAM Identity Center:    aws sso login --profile <profile>, then the same',
    `  - the operator role:      a profile with role_arn = <role carrying the ${policy} policy> and source_profile = <your profile>`,
    '                            (docs/security.md, "Operator access"), or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from aws sts assume-role',
    'Check them with: aws sts get-caller-identity',
  ].join('\n');
}
