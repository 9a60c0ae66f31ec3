import { describe, expect, it } from 'vitest';
import { fetchEcrToken } from '../../../../core/aws/ecrAuthorization.ts';
import { AuthError, UpstreamError, ValidationError } from '../../../../core/errors.ts';

const request = { host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', region: 'eu-west-1', fips: false };

function sdkError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

const client = (answer: () => Promise<unknown>) => ({ send: answer as never });

describe('fetchEcrToken', () => {
  it('decodes base64 AWS:<password> and keeps expiresAt', async () => {
    const expiresAt = new Date('2026-06-01T20:00:00Z');
    const token = await fetchEcrToken(
      client(async () => ({
        authorizationData: [
          {
            authorizationToken: Buffer.from('AWS:pa:ss').toString('base64'),
            expiresAt,
            proxyEndpoint: 'https://x',
          },
        ],
        $metadata: {},
      })),
      request,
    );
    expect(token).toEqual({ username: 'AWS', password: 'pa:ss', expiresAt });
  });

  it('turns refusals and missing credentials into an AuthError naming the host and the IAM action', async () => {
    for (const [name, status] of [
      ['AccessDeniedException', 400],
      ['UnrecognizedClientException', 400],
    ] as const) {
      const attempt = fetchEcrToken(
        client(() => Promise.reject(sdkError(name, 'no', status))),
        request,
      );
      await expect(attempt).rejects.toBeInstanceOf(AuthError);
      await expect(attempt).rejects.toThrow(
        `${request.host}: Amazon ECR refused GetAuthorizationToken in eu-west-1 (${name}: no); the node's or pod's IAM identity needs ecr:GetAuthorizationToken`,
      );
    }
  });

  it('says that no credentials were found, naming the host and the ways to give the pod some', async () => {
    // Prepare: the SDK's default chain found nothing (no IRSA, no Pod Identity, no instance role)
    const error = sdkError('CredentialsProviderError', 'Could not load credentials from any providers', 0);
    // Act
    const attempt = fetchEcrToken(
      client(() => Promise.reject(error)),
      request,
    );
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AuthError);
    await expect(attempt).rejects.toThrow(
      `${request.host}: no AWS credentials to ask Amazon ECR for a token (GetAuthorizationToken in eu-west-1: Could not load credentials from any providers); give the runner's pod an IAM role (EKS Pod Identity or IRSA) or let it reach the node's instance role, with ecr:GetAuthorizationToken`,
    );
  });

  it('reports other failures as the ECR API being unavailable', async () => {
    const attempt = fetchEcrToken(
      client(() => Promise.reject(sdkError('ServerException', 'boom', 500))),
      { ...request, fips: true },
    );
    await expect(attempt).rejects.toBeInstanceOf(UpstreamError);
    await expect(attempt).rejects.not.toBeInstanceOf(AuthError);
    await expect(attempt).rejects.toThrow(
      'GetAuthorizationToken in eu-west-1 (FIPS) failed (ServerException: boom)',
    );
  });

  it('refuses an answer without a usable token', async () => {
    const empty = fetchEcrToken(
      client(async () => ({ authorizationData: [], $metadata: {} })),
      request,
    );
    await expect(empty).rejects.toBeInstanceOf(ValidationError);
    const bad = fetchEcrToken(
      client(async () => ({
        authorizationData: [
          { authorizationToken: Buffer.from('nocolon').toString('base64'), expiresAt: new Date() },
        ],
        $metadata: {},
      })),
      request,
    );
    await expect(bad).rejects.toThrow(/not base64 of "user:password"/);
  });
});
