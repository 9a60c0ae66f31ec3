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
import { defaultSleep, retry } from '../retry.ts';
import { retryableStatus } from '../retryable.ts';
import { Authenticator } from './Authenticator.ts';
import type { CredentialSource } from './CredentialSource.ts';
import { isTransient, parseRetryAfter, retryAfterMs, transientError } from './transient.ts';

/** The longest Retry-After honoured; a registry asking for more is treated as down for now. */
const MAX_RETRY_AFTER_MS = 30_000;

export interface TransportOptions {
  credentials?: CredentialSource;
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
  /** Do not read the body (a blob probe: a registry ignoring Range would send the whole blob). */
  discardBody?: boolean;
}

/** Bodies above this are refused unread (manifests are limited to 4 MiB by registries). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface RegistryResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The URL that finally answered, after redirects. */
  url: string;
}

/** Re-exported for callers that classify errors the way the retry loop does. */
export { isTransient } from './transient.ts';

export class RegistryTransport {
  readonly #options: TransportOptions;
  readonly #fetch: typeof fetch;
  readonly #log: Logger;
  readonly #auth: Authenticator;

  constructor(options: TransportOptions = {}) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#log = options.logger ?? silentLogger();
    this.#auth = new Authenticator({
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      getToken: (url, authorization) =>
        this.#fetchOnce(
          url.host,
          url,
          { method: 'GET', path: url.toString(), headers: { accept: 'application/json' } },
          authorization,
        ),
    });
  }

  baseUrl(domain: string): string {
    const scheme = this.#options.insecure?.includes(domain) ? 'http' : 'https';
    return `${scheme}://${registryApiHost(domain)}`;
  }

  request(domain: string, req: RegistryRequest): Promise<RegistryResponse> {
    const sleep = this.#options.sleep ?? defaultSleep;
    // A server's Retry-After (capped) is a floor under the jittered backoff.
    let floorMs = 0;
    return retry(() => this.#once(domain, req), {
      attempts: 1 + (req.retries ?? this.#options.retries ?? 3),
      baseMs: 250,
      maxMs: 8_000,
      // only what this transport marked transient (by the shared status rule) is retried
      retryable: isTransient,
      sleep: (ms) => sleep(Math.max(ms, floorMs)),
      ...(this.#options.random ? { random: this.#options.random } : {}),
      onRetry: (error, attempt, delayMs) => {
        floorMs = Math.min(MAX_RETRY_AFTER_MS, retryAfterMs(error) ?? 0);
        this.#log.warn(
          { registry: domain, path: req.path, attempt, delayMs: Math.max(delayMs, floorMs), err: error },
          'registry request retried',
        );
      },
    });
  }

  /** The Authorization header value for `scope` (running the challenge flow if needed), if any. */
  async authorization(domain: string, scope: string | undefined): Promise<string | undefined> {
    const cached = await this.#auth.current(domain, scope);
    if (cached !== undefined || this.#auth.knows(domain)) return cached;
    const res = await this.request(domain, { method: 'GET', path: '/v2/', noAuth: true });
    if (res.status !== 401) {
      if (res.status === 200) this.#auth.markAnonymous(domain);
      return undefined;
    }
    return this.#auth.answer(domain, scope, res.headers.get('www-authenticate'));
  }

  async #once(domain: string, req: RegistryRequest): Promise<RegistryResponse> {
    // Origin, not host: a redirect to http:// on the same host must not carry the credentials.
    const registryOrigin = new URL(this.baseUrl(domain)).origin;
    let url = new URL(req.path, this.baseUrl(domain));
    let authorization = req.noAuth ? undefined : await this.#auth.current(domain, req.scope);
    let authenticated = false;
    const maxRedirects = this.#options.maxRedirects ?? 5;
    for (let redirects = 0; ; ) {
      const onRegistry = url.origin === registryOrigin;
      const res = await this.#fetchOnce(domain, url, req, onRegistry ? authorization : undefined);
      if ((res.status === 401 || res.status === 403) && onRegistry && !req.noAuth) {
        if (res.status === 401 && !authenticated) {
          authenticated = true;
          authorization = await this.#auth.answer(domain, req.scope, res.headers.get('www-authenticate'));
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
      if (retryableStatus(res.status)) {
        const nowMs = this.#options.clock?.now().getTime() ?? Date.now();
        throw transientError(
          new UpstreamError(domain, `${req.method} ${url.pathname} answered ${res.status}`, {
            status: res.status,
          }),
          parseRetryAfter(res.headers.get('retry-after'), nowMs),
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
      const length = Number(res.headers.get('content-length') ?? '0');
      const isRedirect = res.status >= 300 && res.status < 400;
      if (req.method === 'HEAD' || req.discardBody || isRedirect || length > MAX_BODY_BYTES) {
        await res.body?.cancel().catch(() => undefined);
        if (length > MAX_BODY_BYTES && !req.discardBody && req.method !== 'HEAD' && !isRedirect) {
          throw new ValidationError(`${domain} ${url.pathname}`, `body of ${length} bytes is over the limit`);
        }
        return { status: res.status, headers: res.headers, body: new Uint8Array(), url: url.toString() };
      }
      const body = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, body, url: url.toString() };
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      const certificate = certificateProblem(error);
      if (certificate !== undefined) {
        // not transient: asking again gets the same certificate
        throw new UpstreamError(
          domain,
          `${req.method} ${url.host}${url.pathname}: TLS certificate not trusted (${certificate}); ` +
            'put the PEM of the CA that signed it in registry.caFile',
          { cause: error },
        );
      }
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
}

/** Node's codes for a server certificate that does not verify against the trusted CAs. */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function certificateProblem(error: unknown): string | undefined {
  const code = error instanceof Error ? (error.cause as { code?: string } | undefined)?.code : undefined;
  return code !== undefined && CERTIFICATE_CODES.has(code) ? code : undefined;
}

function describeNetworkError(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
