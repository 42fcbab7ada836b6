/**
 * Errors explained for people: which service a refused connection was meant for, and what to do.
 *
 * Node reports a refused connection as `connect ECONNREFUSED 127.0.0.1:8000`, which names
 * neither S3 nor DynamoDB; with two local servers on random ports the operator cannot tell which
 * one is down. The service is found from the standard endpoint variables (the port matched to
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_DYNAMODB`), else from the client that failed
 * (clients.ts tags its errors with {@link SERVICE_OF_ERROR}).
 */

/** The services our clients talk to. */
export type ServiceName = 'S3' | 'DynamoDB';

/** Property the clients' error middleware sets on an error: the service of the failed request. */
export const SERVICE_OF_ERROR = '$drService';

/** The variable that points the SDK at a service's endpoint. */
const ENDPOINT_VARIABLE: Record<ServiceName, string> = { S3: 'AWS_ENDPOINT_URL_S3', DynamoDB: 'AWS_ENDPOINT_URL_DYNAMODB' };

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);

interface NodeNetworkError {
  readonly code?: string;
  readonly address?: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly message?: string;
  readonly [SERVICE_OF_ERROR]?: ServiceName;
}

/** host:port of an endpoint URL, with the scheme's default port. */
function hostPort(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return undefined;
  }
}

/** The service whose endpoint variable points at `port` (and `host`, when given). */
function serviceAt(host: string | undefined, port: number | undefined, env: NodeJS.ProcessEnv): ServiceName | undefined {
  for (const service of ['S3', 'DynamoDB'] as const) {
    // The SDK reads the per-service variable first, then the general AWS_ENDPOINT_URL.
    const url = env[ENDPOINT_VARIABLE[service]] ?? env.AWS_ENDPOINT_URL;
    const hp = url ? hostPort(url) : undefined;
    if (hp && hp.port === port && (!host || hp.host === host || ['localhost', '127.0.0.1', '::1'].includes(hp.host))) return service;
  }
  return undefined;
}

/**
 * A clear message for a network error (refused, reset, unknown host, timed out) naming the
 * service and the fix; `undefined` for any other error.
 */
export function explainConnectionError(e: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const err = e as NodeNetworkError | undefined;
  if (!err || typeof err !== 'object') return undefined;
  // The SDK's retry step re-wraps an error it does not recognise as an Error (one from another
  // realm, as in test sandboxes) into a message only: the code and address are read back from it.
  const fromText =
    /^(?:AWS SDK error wrapper for )?(?:\w*Error: )?(?:connect|read|write|getaddrinfo) (ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT)\b(?:\s+([\w.:-]+?):(\d+))?/.exec(
      err.message ?? '',
    );
  const code = err.code && NETWORK_CODES.has(err.code) ? err.code : fromText?.[1];
  if (!code) return explainTimeout(err, env);
  const host = err.address ?? err.hostname ?? fromText?.[2];
  const port = err.port ?? (fromText?.[3] ? Number(fromText[3]) : undefined);
  const service = serviceAt(host, port, env) ?? err[SERVICE_OF_ERROR];
  const where = host ? `${host}${port ? `:${port}` : ''}` : ((service && env[ENDPOINT_VARIABLE[service]]) ?? 'its endpoint');
  const what = code === 'ECONNREFUSED' ? 'refused the connection' : code === 'ECONNRESET' ? 'dropped the connection' : `could not be reached (${code})`;
  if (!service) {
    return `${err.message}: a server at ${where} ${what}; neither AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB nor AWS_ENDPOINT_URL points there: check the endpoint variables and your network`;
  }
  const variable = env[ENDPOINT_VARIABLE[service]] || !env.AWS_ENDPOINT_URL ? ENDPOINT_VARIABLE[service] : 'AWS_ENDPOINT_URL';
  const configured = env[variable];
  const fix = configured
    ? `start the local ${service === 'S3' ? 'S3 server (s3rver)' : 'DynamoDB Local'} at ${configured}, or correct ${variable} (unset it to use AWS)`
    : `check your network and the region's ${service} endpoint (or set ${variable} for a local server)`;
  return `${service} is unreachable: ${where} ${what} (${code}): ${fix}`;
}

/**
 * A request the server never answered (the clients' socket idle limit, clients.ts): the SDK's
 * TimeoutError names neither the service nor the endpoint; this does.
 */
function explainTimeout(err: NodeNetworkError & { readonly name?: string }, env: NodeJS.ProcessEnv): string | undefined {
  if (err.name !== 'TimeoutError' && !/socket timed out after|timed out after \d+ ?ms/i.test(err.message ?? '')) return undefined;
  const service = err[SERVICE_OF_ERROR];
  if (!service) return undefined;
  const endpoint = env[ENDPOINT_VARIABLE[service]] ?? env.AWS_ENDPOINT_URL;
  const where = endpoint ? ` at ${endpoint}` : '';
  return `${service} timed out: a request${where} got no answer (${err.message}) on any attempt: check the network and the endpoint, then rerun; a slow link may need a larger DR_SOCKET_TIMEOUT_MS`;
}

/** The message of any error, with network errors explained. */
export function describeError(e: unknown): string {
  return explainConnectionError(e) ?? (e as Error)?.message ?? String(e);
}
