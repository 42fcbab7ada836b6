/**
 * What a run says when it cannot claim its slot at all (issue 23, defect 13): the state table is
 * missing, the role may not write to it, or DynamoDB throttled it beyond the SDK's retries. The
 * raw SDK error names neither the state table nor DynamoDB, and a run that died there emitted no
 * failure metric, so no alarm paged. The message names the table, the service, the error and
 * the fix, and the CloudWatch metric the caller reports the failure as.
 */
import { describeError } from '../shared/errors';
import { METRIC_NAMESPACE, type MetricNameValue } from '../shared/metrics';

/** The fix for a claim that failed with the SDK error `name`. */
function fixFor(name: string, tableName: string): string {
  if (name === 'ResourceNotFoundException') {
    return `the state table "${tableName}" does not exist in this account and region: deploy the stack (it creates the table) or correct STATE_TABLE`;
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnrecognizedClientException') {
    return `this role may not use the state table "${tableName}": it needs dynamodb:PutItem, GetItem and UpdateItem on it (the stack grants them to the backup and finalizer functions)`;
  }
  if (['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded'].includes(name)) {
    return `DynamoDB throttled the state table "${tableName}" beyond the SDK's retries: the scheduled retry claims the slot again; if it persists, check the table's capacity and the account's request limits`;
  }
  return `check that the state table "${tableName}" exists and that DynamoDB is reachable`;
}

/** Thrown by {@link SlotStore.claim} when the claim itself fails: nothing was claimed or written. */
export class SlotClaimError extends Error {
  /** The SDK error's name (`ResourceNotFoundException`, `AccessDeniedException`, ...). */
  readonly errorName: string;

  constructor(slotKey: string, tableName: string, cause: unknown, failureMetric?: MetricNameValue) {
    const name = (cause as Error)?.name ?? 'Error';
    const reported = failureMetric
      ? `; this run reports it as the CloudWatch metric ${METRIC_NAMESPACE}/${failureMetric}, which the failure alarm watches`
      : '';
    super(
      `could not claim slot ${slotKey} in the state table "${tableName}" (DynamoDB ${name}: ${describeError(cause)}): ${fixFor(name, tableName)}; nothing was claimed or written${reported}`,
    );
    this.name = 'SlotClaimError';
    this.errorName = name;
  }
}
