// The error hierarchy shared by every part of imagewarden. Each class says when it is
// thrown; all take `{ cause }` so the original failure is never lost.

export interface ErrorDetails {
  cause?: unknown;
}

/** Base of every error imagewarden throws on purpose. */
export class ImagewardenError extends Error {
  override name = 'ImagewardenError';
  constructor(message: string, options?: ErrorDetails) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Thrown when configuration (file, environment, flags) is invalid; `issues` name each bad key. */
export class ConfigError extends ImagewardenError {
  override name = 'ConfigError';
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = [], options?: ErrorDetails) {
    super(issues.length > 0 ? `${message}:\n  ${issues.join('\n  ')}` : message, options);
    this.issues = issues;
  }
}

/** Thrown when input from outside (a document, a response, a user string) fails its schema. */
export class ValidationError extends ImagewardenError {
  override name = 'ValidationError';
  /** Where the bad input came from, e.g. `registry.example:5000 manifest` or `acks.yaml[3]`. */
  readonly source: string;
  constructor(source: string, message: string, options?: ErrorDetails) {
    super(`${source}: ${message}`, options);
    this.source = source;
  }
}

/**
 * Thrown when another host is down, throttling us or answering with server errors after
 * retries. A run reports such a host as unavailable; it is not a bug in imagewarden.
 */
export class UpstreamError extends ImagewardenError {
  override name = 'UpstreamError';
  readonly host: string;
  readonly status: number | undefined;
  constructor(host: string, message: string, options?: ErrorDetails & { status?: number }) {
    super(`${host}: ${message}`, options);
    this.host = host;
    this.status = options?.status;
  }
}

/** Thrown when a remote system refuses our credentials (401/403 after the auth flow). */
export class AuthError extends UpstreamError {
  override name = 'AuthError';
}

/** Thrown when something looked for does not exist (a manifest, a report, a host). */
export class NotFoundError extends ImagewardenError {
  override name = 'NotFoundError';
}

/** Turns any thrown value into a one-line message suitable for logs and reports. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
