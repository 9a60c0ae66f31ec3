// The production EcrTokenProvider: GetAuthorizationToken through the AWS SDK v3 ECR client,
// signed with the default credential chain (on EKS the pod's IRSA or Pod Identity role, else
// the node's instance role; in Lambda the function's role). One client per region and FIPS
// setting. `endpoint` replaces the API endpoint (a VPC endpoint name, or a fake in tests).
import {
  ECRClient,
  type ECRClientConfig,
  GetAuthorizationTokenCommand,
  type GetAuthorizationTokenCommandOutput,
} from '@aws-sdk/client-ecr';
import { AuthError, UpstreamError, ValidationError } from '../errors.ts';
import type { EcrToken, EcrTokenProvider, EcrTokenRequest } from '../registry/EcrCredentialSource.ts';

/** Errors that mean "this identity may not have a token", not "AWS is down". */
const REFUSALS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
]);

export interface EcrTokenProviderOptions {
  /** API endpoint override (http(s) URL): a VPC endpoint, or a fake ECR in tests. */
  endpoint?: string;
  /** Deadline of one GetAuthorizationToken call, SDK retries included (default 20 s). */
  timeoutMs?: number;
  /** Extra client settings (static credentials in tests, retries). */
  clientConfig?: Omit<ECRClientConfig, 'region' | 'endpoint' | 'useFipsEndpoint'>;
}

/** The one call made on the client; tests may pass a fake. */
const DEFAULT_TIMEOUT_MS = 20_000;

type Sender = {
  send(
    command: GetAuthorizationTokenCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<GetAuthorizationTokenCommandOutput>;
};

export function createEcrTokenProvider(options: EcrTokenProviderOptions = {}): EcrTokenProvider {
  const clients = new Map<string, Sender>();
  const clientFor = (region: string, fips: boolean): Sender => {
    const key = `${region}|${fips}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = new ECRClient({
        ...options.clientConfig,
        region,
        useFipsEndpoint: fips,
        ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      });
      clients.set(key, client);
    }
    return client;
  };
  return (request) =>
    fetchEcrToken(clientFor(request.region, request.fips), request, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

export async function fetchEcrToken(
  client: Sender,
  request: EcrTokenRequest,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<EcrToken> {
  const where = `GetAuthorizationToken in ${request.region}${request.fips ? ' (FIPS)' : ''}`;
  let out: GetAuthorizationTokenCommandOutput;
  try {
    // the SDK waits forever by default; a hung API must not stall a runner pass
    out = await client.send(new GetAuthorizationTokenCommand({}), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    const message = (error as { message?: string }).message ?? '';
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const details = { cause: error, ...(status === undefined ? {} : { status }) };
    if (name === 'CredentialsProviderError') {
      // nothing in the default chain: no IRSA or Pod Identity role, no reachable instance role
      throw new AuthError(
        request.host,
        `no AWS credentials to ask Amazon ECR for a token (${where}: ${message || name}); ` +
          "give the runner's pod an IAM role (EKS Pod Identity or IRSA) or let it reach the node's instance role, " +
          'with ecr:GetAuthorizationToken',
        details,
      );
    }
    if (REFUSALS.has(name)) {
      throw new AuthError(
        request.host,
        `Amazon ECR refused ${where} (${name}${message ? `: ${message}` : ''}); ` +
          "the node's or pod's IAM identity needs ecr:GetAuthorizationToken",
        details,
      );
    }
    if (name === 'AbortError' || name === 'TimeoutError') {
      throw new UpstreamError(
        request.host,
        `Amazon ECR ${where} failed (no answer in ${timeoutMs} ms)`,
        details,
      );
    }
    throw new UpstreamError(
      request.host,
      `Amazon ECR ${where} failed (${name}${message ? `: ${message}` : ''})`,
      details,
    );
  }
  const data = out.authorizationData?.[0];
  const source = `Amazon ECR ${where} answer for ${request.host}`;
  if (data?.authorizationToken === undefined || data.expiresAt === undefined) {
    throw new ValidationError(source, 'holds no authorizationToken with expiresAt');
  }
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new ValidationError(source, 'authorizationToken is not base64 of "user:password"');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), expiresAt: data.expiresAt };
}
