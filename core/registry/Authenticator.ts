// The registry side of WWW-Authenticate: which scheme each registry asked for, Bearer tokens
// from its realm (Basic credentials when configured, anonymous otherwise) cached per registry
// and scope until expiry, with one token request in flight per (registry, scope); or Basic.
import type { Clock } from '../clock.ts';
import { AuthError, UpstreamError, ValidationError } from '../errors.ts';
import { retryableStatus } from '../retryable.ts';
import type { CredentialSource } from './CredentialSource.ts';
import { parseChallenges } from './challenge.ts';
import { TokenResponse } from './manifest.ts';
import { TokenCache } from './TokenCache.ts';
import { transientError } from './transient.ts';

interface RealmInfo {
  /** `none`: /v2/ answered 200 without credentials (an anonymous registry). */
  scheme: 'bearer' | 'basic' | 'none';
  realm?: string;
  service?: string;
}

export interface TokenAnswer {
  status: number;
  body: Uint8Array;
}

export interface AuthenticatorOptions {
  credentials?: CredentialSource;
  clock?: Clock;
  /** GETs the token URL (with timeouts; network failures as transient UpstreamErrors). */
  getToken: (url: URL, authorization: string | undefined) => Promise<TokenAnswer>;
}

export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #tokens: TokenCache;
  readonly #realms = new Map<string, RealmInfo>();
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#tokens = new TokenCache(options.clock);
  }

  /** Whether this registry's scheme is known (so no /v2/ probe is needed). */
  knows(domain: string): boolean {
    return this.#realms.has(domain);
  }

  markAnonymous(domain: string): void {
    this.#realms.set(domain, { scheme: 'none' });
  }

  /** The Authorization to send without waiting for a challenge, when the registry is known. */
  async current(domain: string, scope: string | undefined): Promise<string | undefined> {
    const token = this.#tokens.get(domain, scope);
    if (token !== undefined) return token;
    const realm = this.#realms.get(domain);
    if (realm?.scheme === 'basic') return this.#basic(domain);
    // A Bearer registry seen before: fetch the token for this scope up front, saving a 401.
    if (realm?.scheme === 'bearer' && realm.realm !== undefined) return this.#token(domain, scope, realm);
    return undefined;
  }

  /** Answers a 401's challenge with a fresh token (or Basic); AuthError when that is impossible. */
  async answer(domain: string, scope: string | undefined, header: string | null): Promise<string> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      const realm: RealmInfo = { scheme: 'bearer', realm: bearer.params.realm };
      if (bearer.params.service !== undefined) realm.service = bearer.params.service;
      this.#realms.set(domain, realm);
      // the token we sent (if any) was refused: never offer it again
      this.#tokens.delete(domain, scope);
      return this.#token(domain, scope ?? bearer.params.scope, realm);
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      this.#realms.set(domain, { scheme: 'basic' });
      const basic = await this.#basic(domain);
      if (basic === undefined) {
        throw new AuthError(domain, 'requires credentials (Basic auth) and none are configured', {
          status: 401,
        });
      }
      return basic;
    }
    throw new AuthError(domain, `answered 401 without a usable challenge (${JSON.stringify(header ?? '')})`, {
      status: 401,
    });
  }

  /** Asked per request: a source such as ECR renews its token by itself. */
  async #basic(domain: string): Promise<string | undefined> {
    const creds = await this.#options.credentials?.lookup(domain);
    return creds
      ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
      : undefined;
  }

  #token(domain: string, scope: string | undefined, realm: RealmInfo): Promise<string> {
    const cached = this.#tokens.get(domain, scope);
    if (cached !== undefined) return Promise.resolve(cached);
    const key = TokenCache.key(domain, scope);
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#fetchToken(domain, scope, realm).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  async #fetchToken(domain: string, scope: string | undefined, realm: RealmInfo): Promise<string> {
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
    const basic = await this.#basic(domain);
    const res = await this.#options.getToken(tokenUrl, basic);
    if (res.status === 401 || res.status === 403) {
      const who = basic ? 'the credentials' : 'anonymous access';
      throw new AuthError(domain, `token service ${tokenUrl.host} refused ${who} (${res.status})`, {
        status: res.status,
      });
    }
    if (retryableStatus(res.status)) {
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
