// Bearer tokens per (registry, scope), kept until shortly before they expire. Registries that
// omit expires_in get the spec's default of 60 seconds.
import { type Clock, systemClock } from '../clock.ts';

export const DEFAULT_TOKEN_LIFETIME_S = 60;

export class TokenCache {
  readonly #entries = new Map<string, { authorization: string; expiresAt: number }>();
  readonly #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  static key(registry: string, scope: string | undefined): string {
    return `${registry}|${scope ?? ''}`;
  }

  get(registry: string, scope: string | undefined): string | undefined {
    const key = TokenCache.key(registry, scope);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#clock.now().getTime() >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.authorization;
  }

  /** Stores a token; it is dropped a tenth of its lifetime (at most 30 s) before it expires. */
  set(registry: string, scope: string | undefined, authorization: string, expiresInS?: number): void {
    const lifetimeMs = (expiresInS ?? DEFAULT_TOKEN_LIFETIME_S) * 1000;
    const margin = Math.min(30_000, lifetimeMs / 10);
    this.#entries.set(TokenCache.key(registry, scope), {
      authorization,
      expiresAt: this.#clock.now().getTime() + lifetimeMs - margin,
    });
  }

  delete(registry: string, scope: string | undefined): void {
    this.#entries.delete(TokenCache.key(registry, scope));
  }
}
