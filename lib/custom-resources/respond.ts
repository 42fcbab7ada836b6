/**
 * The answer every dr-stack custom resource sends CloudFormation, shared by the handlers in this
 * folder (each bundled on its own by esbuild).
 *
 * A failed Create answers with a marker physical id (`FAILED-CREATE:<name>`): CloudFormation then
 * sends the rollback's Delete with that id, and each handler treats it as nothing to undo, so a
 * failed first deploy ends ROLLBACK_COMPLETE (retryable), never ROLLBACK_FAILED.
 */

/** Prefix of the physical id a failed Create answers with; a Delete of such an id does nothing. */
export const FAILED_CREATE_MARKER = 'FAILED-CREATE:';

/** The fields of a CloudFormation custom resource request the answer needs. */
export interface CloudFormationRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
}

/**
 * Runs `apply` (which returns the physical id) and answers CloudFormation either way: SUCCESS with
 * that id, or FAILED with the error's message (the failed-Create marker id on a Create), logged as
 * one JSON line with `logFields`.
 */
export async function applyAndRespond(
  event: CloudFormationRequest,
  name: string,
  defaultId: string,
  logFields: Record<string, unknown>,
  apply: () => Promise<string>,
): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = '';
  let physicalId = event.PhysicalResourceId ?? defaultId;
  try {
    physicalId = await apply();
  } catch (e) {
    status = 'FAILED';
    reason = (e as Error).message;
    if (event.RequestType === 'Create') physicalId = `${FAILED_CREATE_MARKER}${name}`;
    console.error(JSON.stringify({ level: 'ERROR', requestType: event.RequestType, ...logFields, reason }));
  }
  const body = JSON.stringify({
    Status: status,
    // CloudFormation shows at most 4 KB of reason.
    Reason: reason.slice(0, 3000) || 'ok',
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) } });
}
