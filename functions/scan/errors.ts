// Errors of the scan step. Each says when it is thrown; the driver decides from the class
// whether to back off (ThrottledError), report the image (IndexRejectedError) or retry later.
import { UpstreamError, ValidationError } from '../../core/errors.ts';

/** Thrown when Clair answers 429 (over its index concurrency; it sends no Retry-After). */
export class ThrottledError extends UpstreamError {
  override name = 'ThrottledError';
}

/**
 * Thrown when Clair refuses a manifest with 400 (undecodable body, empty hash, no layers,
 * a layer that is not a tar). This is about the image, not about Clair being down.
 */
export class IndexRejectedError extends ValidationError {
  override name = 'IndexRejectedError';
}

/** Thrown when indexing ran and failed: 500 with an IndexError report (`err` says why). */
export class IndexFailedError extends UpstreamError {
  override name = 'IndexFailedError';
}
