// A small token server for the token-auth registry: it signs JWTs the way distribution 2.8
// verifies them (RS256, the signing certificate in the `x5c` header, chained to the registry's
// rootcertbundle), grants pull, push and delete to the test user (basic credentials) and,
// when configured, pull to anonymous clients. Wrong credentials get 401, like a real one.
import { execFileSync } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { requireBinary } from './require.ts';

export interface TokenIssuerOptions {
  /** Directory where the key and certificate are written. */
  dir: string;
  service: string;
  issuer: string;
  username: string;
  password: string;
  /** Grant `pull` to requests without credentials. */
  anonymousPull?: boolean;
  /** Lifetime of issued tokens in seconds (returned as expires_in). */
  expiresIn?: number;
}

export interface TokenIssuer {
  url: string;
  certFile: string;
  /** Every request the issuer answered, in order (scopes asked for and who asked). */
  requests: Array<{ scopes: string[]; account: string | undefined; status: number }>;
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function grantedActions(requested: string[], authenticated: boolean, anonymousPull: boolean): string[] {
  if (authenticated) return requested.filter((a) => ['pull', 'push', 'delete', '*'].includes(a));
  return anonymousPull ? requested.filter((a) => a === 'pull') : [];
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const openssl = requireBinary('openssl', 'openssl');
  const keyFile = join(options.dir, 'issuer-key.pem');
  const certFile = join(options.dir, 'issuer-cert.pem');
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
    ].concat(['-subj', `/CN=${options.issuer}`]),
    { stdio: 'ignore' },
  );
  const key = readFileSync(keyFile, 'utf8');
  const certDer = readFileSync(certFile, 'utf8')
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  const expiresIn = options.expiresIn ?? 300;
  const requests: TokenIssuer['requests'] = [];

  const server: Server = createServer((req, res) => {
    // The OAuth2 password grant of the token spec (docs/spec/auth/oauth.md): a POST form with
    // grant_type=password, username, password, scope and service. containerd tries it first.
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const basic =
          form.get('grant_type') === 'password'
            ? `Basic ${Buffer.from(`${form.get('username') ?? ''}:${form.get('password') ?? ''}`).toString('base64')}`
            : undefined;
        const query = new URLSearchParams();
        for (const scope of form.getAll('scope')) query.append('scope', scope);
        const service = form.get('service');
        if (service) query.set('service', service);
        issue(new URL(`/token?${query.toString()}`, 'http://issuer'), basic, res);
      });
      return;
    }
    issue(new URL(req.url ?? '/', 'http://issuer'), req.headers.authorization, res);
  });
  const issue = (url: URL, header: string | undefined, res: import('node:http').ServerResponse): void => {
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ').filter(Boolean));
    let account: string | undefined;
    let authenticated = false;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      account = decoded.slice(0, colon);
      if (account !== options.username || decoded.slice(colon + 1) !== options.password) {
        requests.push({ scopes, account, status: 401 });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      authenticated = true;
    }
    const access = scopes.flatMap((scope) => {
      // repository:<name>:<actions>; the name itself may hold a port colon, so split from the ends
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last === first) return [];
      const actions = grantedActions(
        scope.slice(last + 1).split(','),
        authenticated,
        options.anonymousPull ?? false,
      );
      return [{ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header64 = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
    const claims64 = b64url(
      JSON.stringify({
        iss: options.issuer,
        sub: account ?? '',
        aud: url.searchParams.get('service') ?? options.service,
        exp: now + expiresIn,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = sign('RSA-SHA256', Buffer.from(`${header64}.${claims64}`), key);
    const token = `${header64}.${claims64}.${b64url(signature)}`;
    requests.push({ scopes, account, status: 200 });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date().toISOString(),
      }),
    );
  };
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/token`,
    certFile,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
