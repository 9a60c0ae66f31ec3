// A fake Amazon ECR API for GetAuthorizationToken, speaking the AWS JSON 1.1 protocol the
// SDK v3 client uses: POST / with `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.
// GetAuthorizationToken`, a SigV4 Authorization header, and an answer of
// `{authorizationData: [{authorizationToken: base64("AWS:<password>"), expiresAt, proxyEndpoint}]}`
// with `expiresAt` in epoch seconds; refusals as `{__type, message}` with status 400. Tokens
// expire `tokenLifetimeS` after the fake's clock (injectable), so tests move time instead of
// sleeping. Any other request is recorded in `unexpected` and answered with an error.
// The docker-registry harness takes ECR_REGISTRY_USER to accept `AWS` with the fake's password.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken';

/** The password every token of the fake carries, and the bcrypt the registry's htpasswd holds. */
export const ECR_FAKE_PASSWORD = 'imagewarden-ecr-test-password';
export const ECR_REGISTRY_USER = {
  username: 'AWS',
  password: ECR_FAKE_PASSWORD,
  // bcrypt (cost 4) of ECR_FAKE_PASSWORD: distribution's htpasswd accepts only bcrypt
  bcrypt: '$2b$04$0B66bH/iFzEL.5O5ZfjbnO06eAZflxFOmpqaz.apDsK1Hii.JN3LG',
} as const;

export interface EcrTokenCall {
  /** The region of the SigV4 credential scope. */
  region: string;
  /** The access key id the SDK signed with. */
  accessKeyId: string;
  status: number;
}

export interface EcrFake {
  /** `http://127.0.0.1:PORT`, the endpoint to give the ECR client. */
  endpoint: string;
  /** Every GetAuthorizationToken call, in order. */
  calls: EcrTokenCall[];
  /** Requests that were not a well-formed GetAuthorizationToken. */
  unexpected: string[];
  /** Set to refuse tokens as an identity without ecr:GetAuthorizationToken. */
  deny: boolean;
  /** Set to accept requests and never answer (a hung API). */
  hang: boolean;
  stop(): Promise<void>;
}

export interface EcrFakeOptions {
  clock?: Clock;
  /** Token lifetime in seconds (ECR's is 12 hours). */
  tokenLifetimeS?: number;
  /** The registry origin put in proxyEndpoint. */
  proxyEndpoint?: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startEcrFake(options: EcrFakeOptions = {}): Promise<EcrFake> {
  const clock = options.clock ?? systemClock;
  const lifetimeS = options.tokenLifetimeS ?? 12 * 3600;
  const fake: Omit<EcrFake, 'endpoint' | 'stop'> = { calls: [], unexpected: [], deny: false, hang: false };
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `fake-${fake.calls.length}`,
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(body));
    };
    const refuse = (why: string) => {
      fake.unexpected.push(`${req.method} ${req.url} ${why}`);
      answer(400, { __type: 'UnknownOperationException', message: why }, 'UnknownOperationException');
    };
    void readBody(req).then((body) => {
      const scope = /Credential=([^/]+)\/\d{8}\/([a-z0-9-]+)\/ecr\/aws4_request/.exec(
        String(req.headers.authorization ?? ''),
      );
      if (req.method !== 'POST' || req.url !== '/') return refuse('not POST /');
      if (req.headers['x-amz-target'] !== TARGET)
        return refuse(`target ${String(req.headers['x-amz-target'])}`);
      if (!String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
        return refuse(`content-type ${String(req.headers['content-type'])}`);
      }
      if (!scope?.[1] || !scope[2]) return refuse('no SigV4 Authorization for service ecr');
      try {
        JSON.parse(body || '{}');
      } catch {
        return refuse('body is not JSON');
      }
      const call: EcrTokenCall = { accessKeyId: scope[1], region: scope[2], status: 200 };
      fake.calls.push(call);
      if (fake.hang) {
        call.status = 0;
        return;
      }
      if (fake.deny) {
        call.status = 400;
        return answer(
          400,
          {
            __type: 'AccessDeniedException',
            message: `User: arn:aws:sts::123456789012:assumed-role/node/i-0 is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
          },
          'AccessDeniedException',
        );
      }
      const nowS = clock.now().getTime() / 1000;
      return answer(200, {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${ECR_FAKE_PASSWORD}`).toString('base64'),
            expiresAt: nowS + lifetimeS,
            proxyEndpoint: options.proxyEndpoint ?? 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          },
        ],
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Static AWS credentials for the SDK client talking to the fake (it checks the signature's shape only). */
export const FAKE_AWS_CREDENTIALS = {
  accessKeyId: 'AKIDIMAGEWARDENTEST',
  secretAccessKey: 'fake-secret-key',
};
