// HTTP for the registry client: one place for timeouts, retries with backoff and jitter on
// 429/5xx/network failures, the WWW-Authenticate flow (Bearer tokens cached per registry and
// scope, or Basic), and manual redirects with a hop limit. Loops are impossible by design:
// one authentication round per request (a 401 after a fresh token is an AuthError) and at
// most `maxRedirects` hops (then an UpstreamError).
import type { Clock } from '../clock.ts';
import { AuthError, UpstreamError, ValidationError } from '../errors.ts';
import { registryApiHost } from '../image-reference.ts';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { retry } from '../retry.ts';
import { parseChallenges } from './challenge.ts';
import type { CredentialStore } from './credentials.ts';
import { TokenResponse } from './manifest.ts';
import { TokenCache } from './TokenCache.ts';

export interface TransportOptions {
  credentials?: CredentialStore;
  /** Registries (host:port) spoken to over plain http. */
  insecure?: readonly string[];
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors. */
  retries?: number;
  maxRedirects?: number;
  logger?: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: Clock;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD';
  /** A path on the registry (`/v2/...`) or an absolute URL. */
  path: string;
  headers?: Record<string, string>;
  /** Token scope, e.g. `repository:team/app:pull`; undefined for /v2/. */
  scope?: string;
  timeoutMs?: number;
  retries?: number;
  /** Skip the authentication flow (a 401 is returned to the caller). */
  noAuth?: boolean;
}

export interface RegistryResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The URL that finally answered, after redirects. */
  url: string;
}

interface RealmInfo {
  /** `none`: /v2/ answered 200 without credentials (an anonymous registry). */
  scheme: 'bearer' | 'basic' | 'none';
  realm?: string;
  service?: string;
}

const transient = new WeakSet<object>();
function transientError(error: UpstreamError): UpstreamError {
  transient.add(error);
  return error;
}
/** Whether another attempt may succeed: throttling, server errors, timeouts, network failures. */
export function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && transient.has(error);
}

export class RegistryTransport {
  readonly #options: TransportOptions;
  readonly #fetch: typeof fetch;
  readonly #log: Logger;
  readonly #tokens: TokenCache;
  readonly #realms = new Map<string, RealmInfo>();

  constructor(options: TransportOptions = {}) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#log = options.logger ?? silentLogger();
    this.#tokens = new TokenCache(options.clock);
  }

  baseUrl(domain: string): string {
    const scheme = this.#options.insecure?.includes(domain) ? 'http' : 'https';
    return `${scheme}://${registryApiHost(domain)}`;
  }

  request(domain: string, req: RegistryRequest): Promise<RegistryResponse> {
    return retry(() => this.#once(domain, req), {
      attempts: 1 + (req.retries ?? this.#options.retries ?? 3),
      baseMs: 250,
      maxMs: 8_000,
      retryable: isTransient,
      ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
      ...(this.#options.random ? { random: this.#options.random } : {}),
      onRetry: (error, attempt, delayMs) =>
        this.#log.warn(
          { registry: domain, path: req.path, attempt, delayMs, err: error },
          'registry request retried',
        ),
    });
  }

  /** The Authorization header value for `scope` (running the challenge flow if needed), if any. */
  async authorization(domain: string, scope: string | undefined): Promise<string | undefined> {
    const cached = await this.#cachedAuthorization(domain, scope);
    if (cached !== undefined || this.#realms.has(domain)) return cached;
    const res = await this.request(domain, { method: 'GET', path: '/v2/', noAuth: true });
    if (res.status !== 401) {
      if (res.status === 200) this.#realms.set(domain, { scheme: 'none' });
      return undefined;
    }
    return this.#authenticate(domain, scope, res.headers.get('www-authenticate'), true);
  }

  async #once(domain: string, req: RegistryRequest): Promise<RegistryResponse> {
    const registryHost = new URL(this.baseUrl(domain)).host;
    let url = new URL(req.path, this.baseUrl(domain));
    let authorization = req.noAuth ? undefined : await this.#cachedAuthorization(domain, req.scope);
    let authenticated = false;
    const maxRedirects = this.#options.maxRedirects ?? 5;
    for (let redirects = 0; ; ) {
      const onRegistry = url.host === registryHost;
      const res = await this.#fetchOnce(domain, url, req, onRegistry ? authorization : undefined);
      if ((res.status === 401 || res.status === 403) && onRegistry && !req.noAuth) {
        if (res.status === 401 && !authenticated) {
          authenticated = true;
          authorization = await this.#authenticate(
            domain,
            req.scope,
            res.headers.get('www-authenticate'),
            true,
          );
          continue;
        }
        throw new AuthError(
          domain,
          `${req.method} ${url.pathname} was refused (${res.status}) after authenticating`,
          {
            status: res.status,
          },
        );
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        if (++redirects > maxRedirects) {
          throw new UpstreamError(domain, `${req.method} ${req.path}: more than ${maxRedirects} redirects`, {
            status: res.status,
          });
        }
        url = new URL(location, url);
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        throw transientError(
          new UpstreamError(domain, `${req.method} ${url.pathname} answered ${res.status}`, {
            status: res.status,
          }),
        );
      }
      return res;
    }
  }

  async #fetchOnce(
    domain: string,
    url: URL,
    req: RegistryRequest,
    authorization: string | undefined,
  ): Promise<RegistryResponse> {
    const timeoutMs = req.timeoutMs ?? this.#options.timeoutMs ?? 30_000;
    try {
      const res = await this.#fetch(url, {
        method: req.method,
        redirect: 'manual',
        headers: { ...req.headers, ...(authorization ? { authorization } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = req.method === 'HEAD' ? new Uint8Array() : new Uint8Array(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, body, url: url.toString() };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const reason =
        name === 'TimeoutError' || name === 'AbortError'
          ? `timed out after ${timeoutMs} ms`
          : `unreachable (${describeNetworkError(error)})`;
      throw transientError(
        new UpstreamError(domain, `${req.method} ${url.host}${url.pathname}: ${reason}`, { cause: error }),
      );
    }
  }

  async #cachedAuthorization(domain: string, scope: string | undefined): Promise<string | undefined> {
    const token = this.#tokens.get(domain, scope);
    if (token !== undefined) return token;
    const realm = this.#realms.get(domain);
    if (realm?.scheme === 'basic') return this.#basic(domain);
    // A Bearer registry seen before: fetch the token for this scope up front, saving a 401.
    if (realm?.scheme === 'bearer' && realm.realm !== undefined)
      return this.#fetchToken(domain, scope, realm);
    return undefined;
  }

  #basic(domain: string): string | undefined {
    const creds = this.#options.credentials?.get(domain);
    return creds
      ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
      : undefined;
  }

  async #authenticate(
    domain: string,
    scope: string | undefined,
    header: string | null,
    fresh: boolean,
  ): Promise<string | undefined> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      const realm: RealmInfo = { scheme: 'bearer', realm: bearer.params.realm };
      if (bearer.params.service !== undefined) realm.service = bearer.params.service;
      this.#realms.set(domain, realm);
      if (fresh) this.#tokens.delete(domain, scope);
      return this.#fetchToken(domain, scope ?? bearer.params.scope, realm);
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      this.#realms.set(domain, { scheme: 'basic' });
      const basic = this.#basic(domain);
      if (basic === undefined)
        throw new AuthError(domain, 'requires credentials (Basic auth) and none are configured', {
          status: 401,
        });
      return basic;
    }
    throw new AuthError(domain, `answered 401 without a usable challenge (${JSON.stringify(header ?? '')})`, {
      status: 401,
    });
  }

  async #fetchToken(domain: string, scope: string | undefined, realm: RealmInfo): Promise<string> {
    const cached = this.#tokens.get(domain, scope);
    if (cached !== undefined) return cached;
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(realm.realm ?? '');
    } catch (error) {
      throw new AuthError(domain, `token realm ${JSON.stringify(realm.realm)} is not a URL`, {
        cause: error,
      });
    }
    if (realm.service !== undefined) tokenUrl.searchParams.set('service', realm.service);
    if (scope !== undefined) tokenUrl.searchParams.set('scope', scope);
    const basic = this.#basic(domain);
    const res = await this.#fetchOnce(
      tokenUrl.host,
      tokenUrl,
      { method: 'GET', path: tokenUrl.toString(), headers: { accept: 'application/json' } },
      basic,
    );
    if (res.status === 401 || res.status === 403) {
      throw new AuthError(
        domain,
        `token service ${tokenUrl.host} refused ${basic ? 'the credentials' : 'anonymous access'} (${res.status})`,
        {
          status: res.status,
        },
      );
    }
    if (res.status === 429 || res.status >= 500) {
      throw transientError(
        new UpstreamError(tokenUrl.host, `token request answered ${res.status}`, { status: res.status }),
      );
    }
    if (res.status !== 200) {
      throw new AuthError(domain, `token service ${tokenUrl.host} answered ${res.status}`, {
        status: res.status,
      });
    }
    let parsed: TokenResponse;
    try {
      parsed = TokenResponse.parse(JSON.parse(new TextDecoder().decode(res.body)));
    } catch (error) {
      throw new ValidationError(`${tokenUrl.host} token response`, 'is not a token JSON object', {
        cause: error,
      });
    }
    const authorization = `Bearer ${parsed.token ?? parsed.access_token}`;
    this.#tokens.set(domain, scope, authorization, parsed.expires_in);
    return authorization;
  }
}

function describeNetworkError(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
