// Registry credentials for Amazon ECR hosts from GetAuthorizationToken: basic auth as `AWS`
// with a token valid for 12 hours, good for every ECR registry the IAM identity may read in
// that region. One token per (region, FIPS or not), cached until a few minutes before it
// expires and shared by concurrent lookups; a failure is not cached, so the next lookup asks
// again. Hosts that are not ECR get undefined without any call. The token call itself is a
// port (core/aws/ecrAuthorization.ts in production, a fake in tests).
import { type Clock, systemClock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import type { CredentialSource } from './CredentialSource.ts';
import type { RegistryCredentials } from './credentials.ts';
import { normaliseRegistryKey } from './credentials.ts';
import { parseEcrHost } from './ecrHost.ts';

export interface EcrToken extends RegistryCredentials {
  expiresAt: Date;
}

export interface EcrTokenRequest {
  /** The registry host the token is for (for messages). */
  host: string;
  region: string;
  fips: boolean;
}

/** Calls GetAuthorizationToken; AuthError naming the host when AWS refuses. */
export type EcrTokenProvider = (request: EcrTokenRequest) => Promise<EcrToken>;

export const DEFAULT_ECR_REFRESH_BEFORE_MS = 5 * 60_000;

export interface EcrCredentialSourceOptions {
  fetchToken: EcrTokenProvider;
  clock?: Clock;
  /** Ask for a new token this long before the current one expires. */
  refreshBeforeMs?: number;
  /** Hosts to treat as ECR although their name does not say so (an alias, a proxy): host -> region. */
  extraHosts?: Readonly<Record<string, string>>;
  logger?: Logger;
}

interface Entry {
  token: Promise<EcrToken>;
  /** Reuse until then; set once the token arrived. */
  validUntil: number;
}

export class EcrCredentialSource implements CredentialSource {
  readonly #options: EcrCredentialSourceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #extra: ReadonlyMap<string, string>;
  readonly #cache = new Map<string, Entry>();

  constructor(options: EcrCredentialSourceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger();
    this.#extra = new Map(
      Object.entries(options.extraHosts ?? {}).map(([host, region]) => [normaliseRegistryKey(host), region]),
    );
  }

  /** Whether `host` is served by this source (no call made). */
  handles(host: string): boolean {
    return this.#target(host) !== undefined;
  }

  async lookup(host: string): Promise<RegistryCredentials | undefined> {
    const target = this.#target(host);
    if (target === undefined) return undefined;
    const key = `${target.region}|${target.fips ? 'fips' : ''}`;
    const now = this.#clock.now().getTime();
    let entry = this.#cache.get(key);
    if (entry === undefined || now >= entry.validUntil) {
      const fresh: Entry = { token: this.#options.fetchToken(target), validUntil: Number.POSITIVE_INFINITY };
      this.#cache.set(key, fresh);
      entry = fresh;
      try {
        const token = await fresh.token;
        const expires = token.expiresAt.getTime();
        const early = expires - (this.#options.refreshBeforeMs ?? DEFAULT_ECR_REFRESH_BEFORE_MS);
        // a token already inside the refresh window is still good until it really expires
        fresh.validUntil = early > now ? early : expires;
        this.#log.debug(
          { registry: target.host, region: target.region, expiresAt: token.expiresAt.toISOString() },
          'ECR authorization token obtained',
        );
      } catch (error) {
        if (this.#cache.get(key) === fresh) this.#cache.delete(key);
        throw error;
      }
    }
    const { username, password } = await entry.token;
    return { username, password };
  }

  #target(host: string): { host: string; region: string; fips: boolean } | undefined {
    const normalised = normaliseRegistryKey(host);
    const region = this.#extra.get(normalised);
    if (region !== undefined) return { host: normalised, region, fips: false };
    const ecr = parseEcrHost(normalised);
    return ecr ? { host: ecr.host, region: ecr.region, fips: ecr.fips } : undefined;
  }
}
