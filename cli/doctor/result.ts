/**
 * What one `dr doctor` check reports, and how AWS errors become reports: a denied call names the
 * permission and the operator policy; missing credentials stop the whole run with one message.
 */

/**
 * PASS: as it should be. WARN: works, but look. FAIL: broken; `dr doctor` exits 1. SKIP: not
 * checked, and why (e.g. the recovery account's credentials were not given); the fix says how to
 * run it. A SKIP never fails the run.
 */
export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

/** One line of the report (also the `--json` element). */
export interface CheckResult {
  /** What was checked, e.g. `stack Shop-Production (eu-west-1)`. */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do about it; null on PASS. */
  readonly fix: string | null;
}

/** A PASS. */
export const pass = (check: string, detail: string): CheckResult => ({ check, status: 'PASS', detail, fix: null });
/** A WARN with its fix. */
export const warn = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'WARN', detail, fix });
/** A FAIL with its fix. */
export const fail = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'FAIL', detail, fix });
/** A SKIP: what was not checked and why, and how to run it. */
export const skip = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'SKIP', detail, fix });

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Error names of a call the caller may not make (S3, CloudWatch, CloudFormation, DynamoDB, SNS). */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError', 'AuthorizationErrorException', 'UnauthorizedOperation']);

/** True when AWS refused the call for lack of permission. */
export function isAccessDenied(e: unknown): boolean {
  const err = e as SdkError;
  return DENIED.has(err?.name ?? '') || DENIED.has(err?.Code ?? '');
}

/**
 * True when the SDK found no usable credentials, or AWS rejected the ones it found (expired SSO
 * session, a deleted access key). `CredentialsProviderError` ("Could not load credentials from
 * any providers") is what the SDK's default chain throws when nothing is configured.
 */
export function isCredentialsError(e: unknown): boolean {
  const err = e as SdkError;
  return (
    ['CredentialsProviderError', 'TokenProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException'].includes(
      err?.name ?? '',
    ) || /Could not load credentials/i.test(err?.message ?? '')
  );
}

/** True when the error's name is one of `names`. */
export function isError(e: unknown, ...names: string[]): boolean {
  return names.includes((e as SdkError)?.name ?? '');
}

/** The message of an error, with its AWS error name. */
export function describeError(e: unknown): string {
  const err = e as SdkError;
  const name = err?.name && err.name !== 'Error' ? `${err.name}: ` : '';
  return `${name}${err?.message ?? String(e)}`;
}

/** What AWS said, to stand beside a FAIL's own words and hint: ` (AWS said NoSuchBucket: The specified bucket does not exist)`. */
export function awsSaid(e: unknown): string {
  return ` (AWS said ${describeError(e)})`;
}

/** The fix for an error that is not AWS refusing the call: no answer, or an answer that is not AWS's (wrong endpoint). */
function otherErrorFix(e: unknown): string {
  const err = e as SdkError & { code?: string };
  if (/ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|TimeoutError/.test(`${err?.code ?? ''} ${err?.name ?? ''} ${err?.message ?? ''}`))
    return 'the service could not be reached: check your network and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> (unset them to use AWS), then rerun dr doctor';
  if (/Deserialization error|char '.' is not expected|Unexpected token|not valid JSON|Expected closing tag/i.test(err?.message ?? ''))
    return 'the endpoint answered with something that is not an AWS response: check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> (a proxy or a local server that lacks this API), then rerun dr doctor';
  return 'rerun dr doctor; if it repeats, run the failing call with the AWS CLI to see the full error';
}

/**
 * Runs one check. A denied call becomes a FAIL that names the permission and points at the
 * operator policy; any other AWS error a FAIL with its message. Credential errors are thrown on:
 * no check can run without credentials, and one message says how to get them.
 *
 * @param need the IAM actions and resource the check calls, e.g. `s3:GetBucketVersioning on arn:aws:s3:::b`
 * @param operatorPolicy name of the operator managed policy (`<app>-dr-operator`)
 */
export async function guard(check: string, need: string, operatorPolicy: string, fn: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await fn();
  } catch (e) {
    if (isCredentialsError(e)) throw e;
    if (isAccessDenied(e))
      return fail(
        check,
        `access denied: ${describeError(e)}`,
        `the caller needs ${need}: run dr doctor as a principal with the ${operatorPolicy} managed policy (docs/security.md, "Operator access"), or add the permission`,
      );
    return fail(check, `the check could not run: its call (${need}) failed with ${describeError(e)}`, otherErrorFix(e));
  }
}
