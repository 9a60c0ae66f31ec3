import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AuthError, NotFoundError, UpstreamError } from '../../../../../core/errors.ts';
import { mapGrpcError } from '../../../../../runner/runtime/cri/cri-client.ts';

const SOCKET = '/run/containerd/containerd.sock';
const grpcError = (code: number, details: string) => Object.assign(new Error(details), { code, details });

describe('mapGrpcError', () => {
  it('turns containerd’s 401 pull failure into an auth error naming the socket, keeping the gRPC status', () => {
    // Prepare
    const cause = grpcError(
      status.UNKNOWN,
      'failed to pull and unpack image "r.corp/app:1": failed to resolve reference "r.corp/app:1": unexpected status from HEAD request: 401 Unauthorized',
    );

    // Act
    const error = mapGrpcError(SOCKET, 'pull r.corp/app:1', cause);

    // Assess
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(
      /^CRI \/run\/containerd\/containerd\.sock: pull r\.corp\/app:1: failed to pull/,
    );
    expect(error.cause).toBe(cause);
  });

  it.each([
    [status.UNKNOWN, 'failed to resolve reference "r.corp/app:9": r.corp/app:9: not found', NotFoundError],
    [status.NOT_FOUND, 'an error occurred when try to find container "x": not found', NotFoundError],
    [status.UNAVAILABLE, 'connect ENOENT /run/containerd/containerd.sock', UpstreamError],
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded', UpstreamError],
    [status.UNIMPLEMENTED, 'unknown service runtime.v1.ImageService', UpstreamError],
    [status.UNKNOWN, 'failed to extract layer: no space left on device', UpstreamError],
  ])('code %i "%s" is a %o', (code, details, kind) => {
    const error = mapGrpcError(SOCKET, 'call', grpcError(code, details));
    // the exact class: an AuthError is an UpstreamError too
    expect(error.name).toBe(kind.name);
    expect(error.message).toContain(SOCKET);
  });

  it('explains UNIMPLEMENTED as a runtime without the runtime.v1 API', () => {
    const error = mapGrpcError(
      SOCKET,
      'version',
      grpcError(status.UNIMPLEMENTED, 'unknown service runtime.v1.RuntimeService'),
    );
    expect(error.message).toContain('does not serve the CRI runtime.v1 API');
    expect(error.message).toContain('v1alpha2');
  });
});
