// How a Docker or Podman pull failure is named: the digits 401 and 403 count only as an HTTP
// status, never inside a registry's host:port or a digest (a random test port 40133 once made a
// missing tag look like an auth failure).
import { describe, expect, it } from 'vitest';
import { AuthError, NotFoundError, UpstreamError } from '../../../../core/errors.ts';
import { classifyRuntimeError } from '../../../../runner/runtime/DockerImageRuntime.ts';

const pull = (reference: string) => `pull ${reference}`;

describe('classifyRuntimeError', () => {
  it.each([
    [
      '127.0.0.1:40133/small:nope',
      404,
      'manifest for 127.0.0.1:40133/small:nope not found: manifest unknown',
    ],
    [
      '127.0.0.1:40301/small:nope',
      undefined,
      'manifest for 127.0.0.1:40301/small:nope not found: manifest unknown',
    ],
    [
      `r.corp/app@sha256:${'401'.repeat(21)}4`,
      undefined,
      `manifest for r.corp/app@sha256:${'401'.repeat(21)}4 not found`,
    ],
  ])('a missing %s is not found, whatever digits its host or digest holds', (reference, status, message) => {
    expect(classifyRuntimeError(pull(reference), message, status)).toBeInstanceOf(NotFoundError);
  });

  it.each([
    [
      '(HTTP code 401) unexpected - Head "https://r.corp/v2/app/manifests/1": no basic auth credentials',
      undefined,
    ],
    ['Error response from daemon: status code 403 from registry', undefined],
    ['pull access denied for app, repository does not exist or may require docker login', undefined],
    ['unauthorized: authentication required', 500],
    ['something the daemon says', 401],
    ['GET https://r.corp/v2/: 403 Forbidden', undefined],
  ])('an auth failure (%s) is an AuthError', (message, status) => {
    expect(classifyRuntimeError(pull('r.corp/app:1'), message, status)).toBeInstanceOf(AuthError);
  });

  it('anything else from the registry or daemon is upstream, with the status kept', () => {
    const error = classifyRuntimeError(
      pull('127.0.0.1:40133/app:1'),
      'received unexpected HTTP status: 502 Bad Gateway',
      500,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('127.0.0.1:40133/app:1');
  });
});
