// The one "may another attempt succeed" rule, fed the errors the real clients throw.
import { errors as es } from '@elastic/elasticsearch';
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { AuthError, NotFoundError, UpstreamError, ValidationError } from '../../../core/errors.ts';
import { transientError } from '../../../core/registry/transient.ts';
import { retryable, retryableStatus } from '../../../core/retryable.ts';

const esResponse = (statusCode: number) =>
  new es.ResponseError({
    body: { error: { type: 'x' } },
    statusCode,
    headers: {},
    warnings: null,
    meta: {} as never,
  });

describe('retryable', () => {
  it('passes throttling, request timeouts and server errors, by status', () => {
    expect([408, 429, 500, 502, 503, 504].map(retryableStatus)).toEqual([true, true, true, true, true, true]);
    expect([400, 401, 403, 404, 409, 422].map((s) => retryable(s))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('reads the status of our errors and of the Elasticsearch, Kubernetes and AWS clients', () => {
    expect(retryable(new UpstreamError('h', 'x', { status: 503 }))).toBe(true);
    expect(retryable(new UpstreamError('h', 'x', { status: 400 }))).toBe(false);
    expect(retryable(esResponse(429))).toBe(true);
    expect(retryable(esResponse(400))).toBe(false);
    expect(retryable(new ApiException(503, 'unavailable', '', {}))).toBe(true);
    expect(retryable(new ApiException(404, 'not found', '', {}))).toBe(false);
    const aws = (name: string, httpStatusCode: number) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
    expect(retryable(aws('ServiceUnavailable', 503))).toBe(true);
    expect(retryable(aws('ThrottlingException', 400))).toBe(true);
    expect(retryable(aws('BadRequestException', 400))).toBe(false);
  });

  it('passes timeouts and broken connections, also when fetch wraps them', () => {
    expect(retryable(new UpstreamError('h', 'no answer'))).toBe(true);
    expect(retryable(new es.TimeoutError('timed out'))).toBe(true);
    expect(retryable(new es.ConnectionError('refused'))).toBe(true);
    expect(retryable(new DOMException('The operation timed out.', 'TimeoutError'))).toBe(true);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(retryable(new TypeError('fetch failed', { cause: reset }))).toBe(true);
  });

  it('refuses credentials, missing things, bad input and unknown errors', () => {
    expect(retryable(new AuthError('h', 'denied', { status: 401 }))).toBe(false);
    expect(retryable(new AuthError('h', 'denied'))).toBe(false);
    expect(retryable(new NotFoundError('gone'))).toBe(false);
    expect(retryable(new ValidationError('h manifest', 'bad'))).toBe(false);
    expect(retryable(new Error('bug'))).toBe(false);
    expect(retryable(undefined)).toBe(false);
  });

  it('honours the registry client’s transient marks', () => {
    expect(retryable(transientError(new UpstreamError('registry', 'x', { status: 400 })))).toBe(true);
  });
});
