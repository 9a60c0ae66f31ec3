// The one rule for "the other side is down": whether another attempt at a call to another
// system (registry, Clair, Elasticsearch, the Kubernetes API, Nivlheim, SES, SQS) may succeed.
// Throttling (429), request timeouts (408), server errors (5xx), timeouts and dropped or refused
// connections may pass; refused credentials, missing things and bad requests will not, so
// repeating them only delays the report. Every adapter's retry loop asks this, instead of each
// keeping its own list of statuses; an adapter may refuse more (Clair hands 429 to its adaptive
// limit instead) but never retries what this refuses.
import { AuthError, ConfigError, NotFoundError, UpstreamError, ValidationError } from './errors.ts';
import { isTransient } from './registry/transient.ts';

/** HTTP statuses worth another attempt. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Error names and codes of timeouts and broken connections, from Node, undici, fetch and the clients. */
const NETWORK = new Set([
  'TimeoutError',
  'ConnectionError',
  'NoLivingConnectionsError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** AWS SDK error names that mean "slow down", whatever status they come with. */
const AWS_THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'SlowDown',
]);

interface ClientFailure {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  status?: unknown;
  meta?: { statusCode?: unknown };
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
  cause?: unknown;
}

/** The HTTP status a client library put on its error, if any. */
export function failureStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ClientFailure;
  const candidates = [
    error instanceof UpstreamError ? error.status : undefined,
    e.$metadata?.httpStatusCode, // AWS SDK v3
    e.meta?.statusCode, // @elastic/elasticsearch ResponseError
    e.statusCode,
    // @kubernetes/client-node ApiException carries the status as a numeric `code`
    e.name === 'ApiException' || (typeof e.code === 'number' && e.code >= 100) ? e.code : undefined,
  ];
  for (const value of candidates) if (typeof value === 'number' && value >= 100 && value < 600) return value;
  return undefined;
}

/**
 * Whether another attempt may succeed. Takes an HTTP status or a thrown error: our own errors
 * (UpstreamError and subclasses), the registry's transient marks, errors of the AWS SDK, the
 * Elasticsearch and Kubernetes clients, fetch and Node sockets (following `cause`).
 */
export function retryable(failure: number | unknown): boolean {
  if (typeof failure === 'number') return retryableStatus(failure);
  return retryableError(failure, 0);
}

function retryableError(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  if (isTransient(error)) return true;
  if (
    error instanceof AuthError ||
    error instanceof NotFoundError ||
    error instanceof ValidationError ||
    error instanceof ConfigError
  )
    return false;
  const e = error as ClientFailure;
  if (e.$retryable !== undefined && e.$retryable !== null && e.$retryable !== false) return true;
  if (typeof e.name === 'string' && AWS_THROTTLING.has(e.name)) return true;
  const status = failureStatus(error);
  if (status !== undefined) return retryableStatus(status);
  // the host answered nothing we could read: down, unreachable or too slow
  if (error instanceof UpstreamError) return true;
  if (typeof e.name === 'string' && NETWORK.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK.has(e.code)) return true;
  // fetch reports a broken connection as TypeError('fetch failed') with the socket error as cause
  return e.cause !== undefined && retryableError(e.cause, depth + 1);
}
